/**
 * The filters xz puts before LZMA2, undone on decoding: the branch
 * converters (BCJ) for x86, PowerPC, IA-64, ARM, ARM-Thumb, ARM64 and SPARC code,
 * which turn relative call addresses into absolute ones to make machine code
 * compress better, and the delta filter. Each works incrementally: bytes in,
 * bytes out, a few bytes held back until the instruction they may start is
 * complete.
 *
 * @module
 */

/** An incremental decoding filter. */
export interface Filter {
  /** Filters `bytes` (which it may change in place); returns what is final so far. */
  push(bytes: Uint8Array): Uint8Array;
  /** The bytes held back, unchanged: the data ended before they could start an instruction. */
  finish(): Uint8Array;
}

/** Filter IDs and names of the filters kiln undoes (LZMA2, 0x21, is the last of every chain). */
export const FILTER_NAMES: Record<number, string> = {
  0x03: "delta",
  0x04: "x86",
  0x05: "PowerPC",
  0x06: "IA-64",
  0x07: "ARM",
  0x08: "ARM-Thumb",
  0x09: "SPARC",
  0x0a: "ARM64",
};

/** Undoes one branch converter over `buf[0, size)` whose first byte is at stream offset `pos`; returns bytes done. */
type Convert = (buf: Uint8Array, pos: number, size: number) => number;

/** Is this the high byte of a near x86 call or jump target kept as is (0x00 or 0xFF)? */
function x86High(b: number): boolean {
  return b === 0 || b === 0xff;
}

const X86_ALLOWED = [true, true, true, false, true, false, false, false];
const X86_BIT = [0, 1, 2, 2, 3, 3, 3, 3];

/** The x86 converter, with the state it carries from one call to the next. */
function x86(): Convert {
  let prevMask = 0;
  let prevPos = -5;
  return (buf, pos, size) => {
    if (size < 5) return 0;
    if (pos - prevPos > 5) prevPos = pos - 5;
    const limit = size - 5;
    let i = 0;
    while (i <= limit) {
      const op = buf[i];
      if (op !== 0xe8 && op !== 0xe9) {
        i++;
        continue;
      }
      const gap = pos + i - prevPos;
      prevPos = pos + i;
      if (gap > 5) prevMask = 0;
      else for (let k = 0; k < gap; k++) prevMask = (prevMask & 0x77) << 1;
      let b = buf[i + 4];
      if (x86High(b) && X86_ALLOWED[(prevMask >>> 1) & 7] && (prevMask >>> 1) < 0x10) {
        let src = ((b << 24) | (buf[i + 3] << 16) | (buf[i + 2] << 8) | buf[i + 1]) >>> 0;
        let dest: number;
        for (;;) {
          dest = (src - (pos + i + 5)) >>> 0;
          if (prevMask === 0) break;
          const bit = X86_BIT[prevMask >>> 1];
          b = (dest >>> (24 - bit * 8)) & 0xff;
          if (!x86High(b)) break;
          src = (dest ^ (2 ** (32 - bit * 8) - 1)) >>> 0;
        }
        buf[i + 4] = (dest >>> 24) & 1 ? 0xff : 0;
        buf[i + 3] = dest >>> 16;
        buf[i + 2] = dest >>> 8;
        buf[i + 1] = dest;
        i += 5;
        prevMask = 0;
      } else {
        i++;
        prevMask |= 1;
        if (x86High(b)) prevMask |= 0x10;
      }
    }
    return i;
  };
}

const arm: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    if (buf[i + 3] !== 0xeb) continue;
    const src = ((buf[i + 2] << 16) | (buf[i + 1] << 8) | buf[i]) << 2;
    const dest = (src - (pos + i + 8)) >>> 2;
    buf[i + 2] = dest >>> 16;
    buf[i + 1] = dest >>> 8;
    buf[i] = dest;
  }
  return i;
};

const armThumb: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 4 <= size; i += 2) {
    if ((buf[i + 1] & 0xf8) !== 0xf0 || (buf[i + 3] & 0xf8) !== 0xf8) continue;
    const src = (((buf[i + 1] & 7) << 19) | (buf[i] << 11) | ((buf[i + 3] & 7) << 8) | buf[i + 2]) << 1;
    const dest = (src - (pos + i + 4)) >>> 1;
    buf[i + 1] = 0xf0 | ((dest >>> 19) & 7);
    buf[i] = dest >>> 11;
    buf[i + 3] = 0xf8 | ((dest >>> 8) & 7);
    buf[i + 2] = dest;
    i += 2;
  }
  return i;
};

const powerPc: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    if ((buf[i] >>> 2) !== 0x12 || (buf[i + 3] & 3) !== 1) continue;
    const src = ((buf[i] & 3) << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | (buf[i + 3] & ~3);
    const dest = src - (pos + i);
    buf[i] = 0x48 | ((dest >>> 24) & 3);
    buf[i + 1] = dest >>> 16;
    buf[i + 2] = dest >>> 8;
    buf[i + 3] = (buf[i + 3] & 3) | (dest & 0xff);
  }
  return i;
};

const sparc: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const a = buf[i], b = buf[i + 1];
    if (!((a === 0x40 && (b & 0xc0) === 0) || (a === 0x7f && (b & 0xc0) === 0xc0))) continue;
    const src = ((a << 24) | (b << 16) | (buf[i + 2] << 8) | buf[i + 3]) << 2;
    let dest = (src - (pos + i)) >>> 2;
    dest = (((0 - ((dest >>> 22) & 1)) << 22) & 0x3fffffff) | (dest & 0x3fffff) | 0x40000000;
    buf[i] = dest >>> 24;
    buf[i + 1] = dest >>> 16;
    buf[i + 2] = dest >>> 8;
    buf[i + 3] = dest;
  }
  return i;
};

const arm64: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    let instr = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> 0;
    const pc = (pos + i) >>> 0;
    if ((instr >>> 26) === 0x25) {
      // BL: a 26-bit word offset.
      instr = (0x94000000 | ((instr - (pc >>> 2)) & 0x03ffffff)) >>> 0;
    } else if (((instr & 0x9f000000) >>> 0) === 0x90000000) {
      // ADRP: a 21-bit page offset, converted only when it lies within ±512 MiB.
      const src = ((instr >>> 29) & 3) | ((instr >>> 3) & 0x001ffffc);
      if (((src + 0x00020000) & 0x001c0000) !== 0) continue;
      const dest = (src - (pc >>> 12)) >>> 0;
      instr = ((instr & 0x9000001f) | ((dest & 3) << 29) | ((dest & 0x0003fffc) << 3) |
        ((0 - (dest & 0x00020000)) & 0x00e00000)) >>> 0;
    } else {
      continue;
    }
    buf[i] = instr;
    buf[i + 1] = instr >>> 8;
    buf[i + 2] = instr >>> 16;
    buf[i + 3] = instr >>> 24;
  }
  return i;
};

/** Which of the three 41-bit slots of an IA-64 bundle may hold a branch, by the bundle's template. */
const IA64_SLOTS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 6, 6, 0, 0, 7, 7, 4, 4, 0, 0, 4, 4, 0, 0];

/** IA-64: 16-byte bundles; 64-bit arithmetic in BigInt (the filter is rare, so speed matters little). */
const ia64: Convert = (buf, pos, size) => {
  let i = 0;
  for (; i + 16 <= size; i += 16) {
    const mask = IA64_SLOTS[buf[i] & 0x1f];
    for (let slot = 0, bitPos = 5; slot < 3; slot++, bitPos += 41) {
      if (((mask >>> slot) & 1) === 0) continue;
      const at = i + (bitPos >>> 3);
      const shift = BigInt(bitPos & 7);
      let instruction = 0n;
      for (let j = 5; j >= 0; j--) instruction = (instruction << 8n) | BigInt(buf[at + j]);
      let norm = instruction >> shift;
      if (((norm >> 37n) & 0xfn) !== 5n || ((norm >> 9n) & 7n) !== 0n) continue;
      let src = Number((norm >> 13n) & 0xfffffn);
      src |= Number((norm >> 36n) & 1n) << 20;
      const dest = (((src << 4) - (pos + i)) >>> 4) & 0x1fffff;
      norm &= ~(0x8fffffn << 13n);
      norm |= BigInt(dest & 0xfffff) << 13n;
      norm |= BigInt(dest & 0x100000) << 16n;
      instruction = (instruction & ((1n << shift) - 1n)) | (norm << shift);
      for (let j = 0; j < 6; j++) buf[at + j] = Number((instruction >> BigInt(8 * j)) & 0xffn);
    }
  }
  return i;
};

/** A converter made incremental: bytes it could not finish wait for the next piece. */
class BranchFilter implements Filter {
  #held = new Uint8Array(0);
  #pos: number;

  constructor(readonly convert: Convert, start: number) {
    this.#pos = start;
  }

  push(bytes: Uint8Array): Uint8Array {
    let buf = bytes;
    if (this.#held.length > 0) {
      buf = new Uint8Array(this.#held.length + bytes.length);
      buf.set(this.#held);
      buf.set(bytes, this.#held.length);
    }
    const done = this.convert(buf, this.#pos >>> 0, buf.length);
    this.#pos += done;
    this.#held = buf.slice(done);
    return buf.subarray(0, done);
  }

  finish(): Uint8Array {
    const rest = this.#held;
    this.#held = new Uint8Array(0);
    return rest;
  }
}

/** The delta filter: each byte was stored as its difference from the byte `distance` before it. */
class DeltaFilter implements Filter {
  #history = new Uint8Array(256);
  #pos = 0;

  constructor(readonly distance: number) {}

  push(bytes: Uint8Array): Uint8Array {
    const h = this.#history, d = this.distance;
    let p = this.#pos;
    for (let i = 0; i < bytes.length; i++) {
      const b = (bytes[i] + h[(p - d) & 0xff]) & 0xff;
      bytes[i] = b;
      h[p & 0xff] = b;
      p++;
    }
    this.#pos = p & 0xff;
    return bytes;
  }

  finish(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** Converters by filter ID. */
const CONVERTERS: Record<number, () => Convert> = {
  0x04: x86,
  0x05: () => powerPc,
  0x06: () => ia64,
  0x07: () => arm,
  0x08: () => armThumb,
  0x09: () => sparc,
  0x0a: () => arm64,
};

/**
 * A decoding filter for filter `id` with properties `props`; `undefined`
 * when kiln does not know the filter. Throws an Error on properties the
 * format forbids.
 */
export function newFilter(id: number, props: Uint8Array): Filter | undefined {
  if (id === 0x03) {
    if (props.length !== 1) throw new Error("bad delta filter properties");
    return new DeltaFilter(props[0] + 1);
  }
  const make = CONVERTERS[id];
  if (!make) return undefined;
  if (props.length !== 0 && props.length !== 4) throw new Error(`bad ${FILTER_NAMES[id]} filter properties`);
  const start = props.length === 4 ? new DataView(props.buffer, props.byteOffset, 4).getUint32(0, true) : 0;
  return new BranchFilter(make(), start);
}
