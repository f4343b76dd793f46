/**
 * An LZMA decoder, for the two container formats built on raw LZMA that no
 * library at hand reads: lzip (`.lz`, magic `LZIP`, CRC-32 and sizes in a
 * trailer, members may be concatenated) and the legacy `.lzma` ("LZMA
 * alone") format. It follows the LZMA specification's reference decoder
 * (`LzmaSpec.cpp` of the LZMA SDK) and works on whole buffers.
 *
 * @module
 */

/** A decoding failure; `codecs.ts` names the file in the message. */
export class LzmaError extends Error {}

const PROB_INIT = 1024;
const STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL_INDEX = 14;
const FULL_DISTANCES = 128;
const MATCH_MIN_LEN = 2;

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  pos: number;

  constructor(readonly input: Uint8Array, start: number) {
    if (input[start] !== 0) throw new LzmaError("bad range coder start byte");
    if (start + 5 > input.length) throw new LzmaError("data cut short");
    this.pos = start + 1;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + input[this.pos++];
    if (this.code === this.range) throw new LzmaError("bad range coder state");
  }

  #next(): number {
    if (this.pos >= this.input.length) throw new LzmaError("data cut short");
    return this.input[this.pos++];
  }

  bit(probs: Uint16Array, i: number): number {
    const p = probs[i];
    const bound = (this.range >>> 11) * p;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      bit = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >>> 5);
      bit = 1;
    }
    if (this.range < 0x1000000) {
      this.range = this.range * 256;
      this.code = this.code * 256 + this.#next();
    }
    return bit;
  }

  direct(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        bit = 1;
      }
      result = result * 2 + bit;
      if (this.range < 0x1000000) {
        this.range = this.range * 256;
        this.code = this.code * 256 + this.#next();
      }
    }
    return result;
  }

  tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }

  reverseTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.bit(probs, base + m);
      m = (m << 1) + bit;
      symbol |= bit << i;
    }
    return symbol;
  }
}

function probs(n: number): Uint16Array {
  return new Uint16Array(n).fill(PROB_INIT);
}

class LenDecoder {
  choice = probs(2);
  low = probs(POS_STATES_MAX << 3);
  mid = probs(POS_STATES_MAX << 3);
  high = probs(256);

  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.choice, 0) === 0) return rc.tree(this.low, posState << 3, 3);
    if (rc.bit(this.choice, 1) === 0) return 8 + rc.tree(this.mid, posState << 3, 3);
    return 16 + rc.tree(this.high, 0, 8);
  }
}

/** Parameters of one raw LZMA stream. */
interface LzmaParams {
  lc: number;
  lp: number;
  pb: number;
  dictSize: number;
  /** Bytes of output, or -1 when the stream ends with an end marker. */
  unpackSize: number;
}

/** Grows as output is written. */
class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(size, 4096));
  }
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }
}

/** Decodes one raw LZMA stream starting at `start` into `out`; returns the input offset after it. */
function decodeRaw(input: Uint8Array, start: number, p: LzmaParams, out: Output): number {
  const rc = new RangeDecoder(input, start);
  const literal = probs(0x300 << (p.lc + p.lp));
  const isMatch = probs(STATES << 4);
  const isRep = probs(STATES);
  const isRepG0 = probs(STATES);
  const isRepG1 = probs(STATES);
  const isRepG2 = probs(STATES);
  const isRep0Long = probs(STATES << 4);
  const posSlot = probs(4 << 6);
  const posDecoders = probs(1 + FULL_DISTANCES - END_POS_MODEL_INDEX);
  const align = probs(1 << 4);
  const lenDecoder = new LenDecoder();
  const repLenDecoder = new LenDecoder();
  const pbMask = (1 << p.pb) - 1;
  const lpMask = (1 << p.lp) - 1;
  const base = out.pos;
  const sized = p.unpackSize >= 0;
  let remaining = sized ? p.unpackSize : Infinity;
  if (sized) out.reserve(p.unpackSize);
  let state = 0;
  let rep0 = 0, rep1 = 0, rep2 = 0, rep3 = 0;

  for (;;) {
    if (sized && remaining === 0 && rc.code === 0) break;
    const written = out.pos - base;
    const posState = written & pbMask;
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      if (remaining === 0) throw new LzmaError("more data than the stated size");
      out.reserve(1);
      const buf = out.buf;
      const prev = written > 0 ? buf[out.pos - 1] : 0;
      const litBase = 0x300 * (((written & lpMask) << p.lc) + (prev >>> (8 - p.lc)));
      let symbol = 1;
      if (state >= 7) {
        let matchByte = buf[out.pos - rep0 - 1];
        do {
          const matchBit = (matchByte >>> 7) & 1;
          matchByte <<= 1;
          const bit = rc.bit(literal, litBase + ((1 + matchBit) << 8) + symbol);
          symbol = (symbol << 1) | bit;
          if (matchBit !== bit) break;
        } while (symbol < 0x100);
      }
      while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(literal, litBase + symbol);
      buf[out.pos++] = symbol - 0x100;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      remaining--;
      continue;
    }
    let len: number;
    if (rc.bit(isRep, state) !== 0) {
      if (remaining === 0 || written === 0) throw new LzmaError("bad repeated match");
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          out.reserve(1);
          out.buf[out.pos] = out.buf[out.pos - rep0 - 1];
          out.pos++;
          remaining--;
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) {
          dist = rep1;
        } else {
          if (rc.bit(isRepG2, state) === 0) {
            dist = rep2;
          } else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = repLenDecoder.decode(rc, posState);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      len = lenDecoder.decode(rc, posState);
      state = state < 7 ? 7 : 10;
      // The distance.
      const lenState = len < 3 ? len : 3;
      const slot = rc.tree(posSlot, lenState << 6, 6);
      if (slot < 4) {
        rep0 = slot;
      } else {
        const directBits = (slot >>> 1) - 1;
        let dist = (2 | (slot & 1)) * 2 ** directBits;
        if (slot < END_POS_MODEL_INDEX) {
          dist += rc.reverseTree(posDecoders, dist - slot, directBits);
        } else {
          dist += rc.direct(directBits - 4) * 16;
          dist += rc.reverseTree(align, 0, 4);
        }
        rep0 = dist;
      }
      if (rep0 === 0xffffffff) {
        if (rc.code !== 0) throw new LzmaError("bad end marker");
        if (sized && remaining !== 0) throw new LzmaError("end marker before the stated size");
        break;
      }
      if (remaining === 0) throw new LzmaError("more data than the stated size");
      if (rep0 >= p.dictSize || rep0 >= written) throw new LzmaError("match distance out of range");
    }
    len += MATCH_MIN_LEN;
    if (len > remaining) throw new LzmaError("match runs past the stated size");
    out.reserve(len);
    const buf = out.buf;
    let from = out.pos - rep0 - 1;
    for (let i = 0; i < len; i++) buf[out.pos++] = buf[from++];
    remaining -= len;
  }
  return rc.pos;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), as lzip stores it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function le(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = count - 1; i >= 0; i--) value = value * 256 + bytes[at + i];
  return value;
}

/** Decodes an lzip file (one or more members). */
export function decodeLzip(input: Uint8Array): Uint8Array {
  const out = new Output(input.length * 4);
  let pos = 0;
  while (pos < input.length) {
    if (
      input.length - pos < 26 || input[pos] !== 0x4c || input[pos + 1] !== 0x5a || input[pos + 2] !== 0x49 ||
      input[pos + 3] !== 0x50
    ) {
      if (pos === 0) throw new LzmaError("not lzip data");
      throw new LzmaError(`trailing garbage at byte ${pos}`);
    }
    if (input[pos + 4] !== 1) throw new LzmaError(`unsupported lzip version ${input[pos + 4]}`);
    const ds = input[pos + 5];
    const dictSize = 2 ** (ds & 0x1f) - (2 ** (ds & 0x1f) / 16) * ((ds >>> 5) & 7);
    if (dictSize < 4096 || dictSize > 2 ** 29) throw new LzmaError("bad dictionary size");
    const first = out.pos;
    const end = decodeRaw(input, pos + 6, { lc: 3, lp: 0, pb: 2, dictSize, unpackSize: -1 }, out);
    if (end + 20 > input.length) throw new LzmaError("member trailer cut short");
    const data = out.buf.subarray(first, out.pos);
    if (crc32(data) !== le(input, end, 4)) throw new LzmaError("CRC mismatch");
    if (data.length !== le(input, end + 4, 8)) throw new LzmaError("data size mismatch");
    if (end + 20 - pos !== le(input, end + 12, 8)) throw new LzmaError("member size mismatch");
    pos = end + 20;
  }
  return out.buf.subarray(0, out.pos);
}

/** Decodes a legacy `.lzma` file (13-byte header, then raw LZMA). */
export function decodeLzmaAlone(input: Uint8Array): Uint8Array {
  if (input.length < 13) throw new LzmaError("not lzma data");
  let d = input[0];
  if (d >= 9 * 5 * 5) throw new LzmaError("bad lzma properties");
  const lc = d % 9;
  d = Math.floor(d / 9);
  const lp = d % 5;
  const pb = Math.floor(d / 5);
  const dictSize = Math.max(le(input, 1, 4), 4096);
  const unknown = input.subarray(5, 13).every((b) => b === 0xff);
  const unpackSize = unknown ? -1 : le(input, 5, 8);
  if (!Number.isSafeInteger(unpackSize)) throw new LzmaError("bad uncompressed size");
  const out = new Output(unknown ? input.length * 4 : unpackSize);
  decodeRaw(input, 13, { lc, lp, pb, dictSize, unpackSize }, out);
  return out.buf.subarray(0, out.pos);
}
