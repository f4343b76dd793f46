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

/** A range decoder over `input[start, end)`. */
export class RangeDecoder {
  /** The current range. */
  range = 0xffffffff;
  /** The current code value (0 at a clean end). */
  code = 0;
  /** The next input byte to read. */
  pos: number;

  /** Starts decoding at `start` (the five bytes that begin every range-coded stream). */
  constructor(readonly input: Uint8Array, start: number, readonly end: number = input.length) {
    if (start + 5 > end) throw new LzmaError("data cut short");
    if (input[start] !== 0) throw new LzmaError("bad range coder start byte");
    this.pos = start + 1;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + input[this.pos++];
    if (this.code === this.range) throw new LzmaError("bad range coder state");
  }

  #next(): number {
    if (this.pos >= this.end) throw new LzmaError("data cut short");
    return this.input[this.pos++];
  }

  /** Decodes a bit with the adaptive probability `probs[i]`. */
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

  /** Decodes `count` bits of even probability. */
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

  /** Decodes a `bits`-bit symbol, high bit first, with the probability tree at `probs[base]`. */
  tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }

  /** Decodes a `bits`-bit symbol, low bit first, with the probability tree at `probs[base]`. */
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

/**
 * The decoded bytes, which are also the dictionary matches copy from. It
 * either grows to hold all output, or (given `keep`, the dictionary size)
 * slides: when full, only the last `keep` bytes are kept, so memory stays
 * bounded by the dictionary and the largest piece asked for at once.
 */
export class Window {
  /** The bytes; `buf[0, pos)` is valid. */
  buf: Uint8Array;
  /** Where the next byte goes. */
  pos = 0;
  /** Bytes written since the dictionary was last reset (matches may not reach further back). */
  total = 0;

  /** A window of `size` bytes to start with, growing when `keep` is undefined, sliding otherwise. */
  constructor(size: number, readonly keep?: number) {
    this.buf = new Uint8Array(Math.max(size, 4096));
  }

  /** Makes room for `n` more bytes (moving the kept history to the front, or growing). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.keep !== undefined && this.pos > this.keep) {
      const from = this.pos - this.keep;
      this.buf.copyWithin(0, from, this.pos);
      this.pos -= from;
      if (this.pos + n <= this.buf.length) return;
    }
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
  }

  /** Appends bytes that were stored without compression. */
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    this.total += bytes.length;
  }
}

/** Literal context, literal position and position bits of an LZMA stream. */
export interface LzmaProps {
  /** Literal context bits (0–8). */
  lc: number;
  /** Literal position bits (0–4). */
  lp: number;
  /** Position bits (0–4). */
  pb: number;
}

/**
 * The adaptive state of an LZMA decoder (probabilities, state, last
 * distances), kept between the calls of {@linkcode LzmaCore.decode} so that
 * LZMA2 chunks can continue where the previous one stopped.
 */
export class LzmaCore {
  #lc = 0;
  #lp = 0;
  #pb = 0;
  #literal = probs(0x300);
  #isMatch = probs(STATES << 4);
  #isRep = probs(STATES);
  #isRepG0 = probs(STATES);
  #isRepG1 = probs(STATES);
  #isRepG2 = probs(STATES);
  #isRep0Long = probs(STATES << 4);
  #posSlot = probs(4 << 6);
  #posDecoders = probs(1 + FULL_DISTANCES - END_POS_MODEL_INDEX);
  #align = probs(1 << 4);
  #len = new LenDecoder();
  #repLen = new LenDecoder();
  #state = 0;
  #reps = [0, 0, 0, 0];

  /** A decoder for `props` matching against at most `dictSize` bytes back. */
  constructor(props: LzmaProps, readonly dictSize: number) {
    this.reset(props);
  }

  /** Starts afresh, with new properties when given (LZMA2's state and property resets). */
  reset(props?: LzmaProps): void {
    if (props) {
      if (props.lc > 8 || props.lp > 4 || props.pb > 4) throw new LzmaError("bad lzma properties");
      this.#lc = props.lc;
      this.#lp = props.lp;
      this.#pb = props.pb;
    }
    const literals = 0x300 << (this.#lc + this.#lp);
    if (this.#literal.length !== literals) this.#literal = probs(literals);
    else this.#literal.fill(PROB_INIT);
    for (
      const p of [
        this.#isMatch,
        this.#isRep,
        this.#isRepG0,
        this.#isRepG1,
        this.#isRepG2,
        this.#isRep0Long,
        this.#posSlot,
        this.#posDecoders,
        this.#align,
      ]
    ) p.fill(PROB_INIT);
    this.#len = new LenDecoder();
    this.#repLen = new LenDecoder();
    this.#state = 0;
    this.#reps = [0, 0, 0, 0];
  }

  /**
   * Decodes into `out` until `size` bytes are written (then stops, or with
   * `endMarker`, also takes an end marker that may follow), or, for `size`
   * -1, until the end marker. Room for `size` bytes should be reserved
   * beforehand when the window slides.
   */
  decode(rc: RangeDecoder, out: Window, size: number, endMarker: boolean): void {
    const literal = this.#literal, isMatch = this.#isMatch, isRep = this.#isRep;
    const isRepG0 = this.#isRepG0, isRepG1 = this.#isRepG1, isRepG2 = this.#isRepG2;
    const isRep0Long = this.#isRep0Long, posSlot = this.#posSlot, posDecoders = this.#posDecoders;
    const align = this.#align, lenDecoder = this.#len, repLenDecoder = this.#repLen;
    const lc = this.#lc, pbMask = (1 << this.#pb) - 1, lpMask = (1 << this.#lp) - 1;
    const dictSize = this.dictSize;
    const sized = size >= 0;
    let remaining = sized ? size : Infinity;
    if (sized) out.reserve(size);
    // `written` (bytes since the dictionary reset) is pos + offset: the window does not slide in here.
    const offset = out.total - out.pos;
    // The window's buffer and position in locals (the engine keeps them in registers); room for a sized
    // stream was made above, an unsized one grows here (no closure: locals a closure captures are slower).
    let buf = out.buf;
    let pos = out.pos;

    let state = this.#state;
    let [rep0, rep1, rep2, rep3] = this.#reps;

    try {
      for (;;) {
        if (sized && remaining === 0 && (!endMarker || rc.code === 0)) break;
        const written = pos + offset;
        const posState = written & pbMask;
        if (rc.bit(isMatch, (state << 4) + posState) === 0) {
          if (remaining === 0) throw new LzmaError("more data than the stated size");
          if (pos >= buf.length) {
            out.pos = pos;
            out.reserve(1);
            buf = out.buf;
          }
          const prev = written > 0 ? buf[pos - 1] : 0;
          const litBase = 0x300 * (((written & lpMask) << lc) + (prev >>> (8 - lc)));
          let symbol = 1;
          if (state >= 7) {
            let matchByte = buf[pos - rep0 - 1];
            do {
              const matchBit = (matchByte >>> 7) & 1;
              matchByte <<= 1;
              const bit = rc.bit(literal, litBase + ((1 + matchBit) << 8) + symbol);
              symbol = (symbol << 1) | bit;
              if (matchBit !== bit) break;
            } while (symbol < 0x100);
          }
          while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(literal, litBase + symbol);
          buf[pos++] = symbol - 0x100;
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
              if (pos >= buf.length) {
                out.pos = pos;
                out.reserve(1);
                buf = out.buf;
              }
              buf[pos] = buf[pos - rep0 - 1];
              pos++;
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
            if (!endMarker) throw new LzmaError("end marker where none is allowed");
            if (rc.code !== 0) throw new LzmaError("bad end marker");
            if (sized && remaining !== 0) throw new LzmaError("end marker before the stated size");
            break;
          }
          if (remaining === 0) throw new LzmaError("more data than the stated size");
          if (rep0 >= dictSize || rep0 >= written) throw new LzmaError("match distance out of range");
        }
        len += MATCH_MIN_LEN;
        if (len > remaining) throw new LzmaError("match runs past the stated size");
        if (pos + len > buf.length) {
          out.pos = pos;
          out.reserve(len);
          buf = out.buf;
        }
        let from = pos - rep0 - 1;
        for (let i = 0; i < len; i++) buf[pos++] = buf[from++];
        remaining -= len;
      }
    } finally {
      out.pos = pos;
      out.total = pos + offset;
      this.#state = state;
      this.#reps = [rep0, rep1, rep2, rep3];
    }
  }
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
  const out = new Window(input.length * 4);
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
    out.total = 0;
    const rc = new RangeDecoder(input, pos + 6);
    new LzmaCore({ lc: 3, lp: 0, pb: 2 }, dictSize).decode(rc, out, -1, true);
    const end = rc.pos;
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
  const out = new Window(unknown ? input.length * 4 : unpackSize);
  new LzmaCore({ lc, lp, pb }, dictSize).decode(new RangeDecoder(input, 13), out, unpackSize, true);
  return out.buf.subarray(0, out.pos);
}
