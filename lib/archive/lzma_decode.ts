/**
 * An LZMA decoder, under the containers built on raw LZMA: lzip and legacy
 * `.lzma` (`lzip_decode.ts`) and xz's LZMA2 (`xz_decode.ts`). It follows the
 * LZMA specification's reference decoder (`LzmaSpec.cpp` of the LZMA SDK);
 * its state is kept between calls so that LZMA2 chunks continue one
 * another, and its output window either grows or slides over the
 * dictionary.
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
