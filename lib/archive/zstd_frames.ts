/**
 * zstd data may hold several frames one after another (`pzstd` writes them,
 * and `cat a.zst b.zst` is valid zstd), but `node:zlib`'s zstd decoder stops
 * silently after the first. This module finds the frame boundaries — from
 * the frame and block headers, without decoding — so that each frame can be
 * given to a decoder of its own — and an upper bound of each frame's
 * decompressed size (its recorded content size, or the sum of its blocks'
 * largest possible sizes), so that a decoder can write into one buffer of
 * the right size instead of growing and copying.
 *
 * @module
 */

/** A frame boundary problem; `codecs.ts` names the file in the message. */
export class ZstdFrameError extends Error {}

/** A piece of input: bytes of frame number `frame`; `last` on the piece that ends it. */
export interface FramePiece {
  frame: number;
  bytes: Uint8Array;
  last: boolean;
  /**
   * On the last piece: the most bytes the frame can decompress to — the
   * content size its header records, else the sum over its blocks (raw and
   * RLE blocks by their size, compressed ones by the format's block maximum).
   * A damaged frame may claim a wrong size: use it as a hint, never trust it.
   */
  bound?: number;
}

/** The largest block a zstd frame may hold (`Block_Maximum_Size` is at most 128 KiB). */
const MAX_BLOCK = 128 * 1024;

const enum Need {
  Magic,
  SkipSize,
  Skip,
  Descriptor,
  Header,
  BlockHeader,
  BlockBody,
  Checksum,
}

/** Splits a zstd byte stream into frames, incrementally; skippable frames are dropped. */
export class ZstdSplitter {
  #need = Need.Magic;
  /** Bytes still wanted in the current state. */
  #count = 4;
  #small = new Uint8Array(14);
  #smallUsed = 0;
  #checksum = false;
  #frame = -1;
  #lastBlock = false;
  /** Descriptor byte of the current frame. */
  #descriptor = 0;
  /** Content size recorded in the frame header, when there is one. */
  #contentSize: number | undefined;
  /** Largest size of one compressed block of the current frame. */
  #blockMax = MAX_BLOCK;
  /** Sum of the block bounds seen so far in the current frame. */
  #blocksBound = 0;

  /** Feeds a chunk; returns the frame pieces it completes or continues. */
  push(chunk: Uint8Array): FramePiece[] {
    const out: FramePiece[] = [];
    let pos = 0;
    let pieceStart = -1;
    const flush = (end: number, last: boolean) => {
      if (pieceStart >= 0 && (end > pieceStart || last)) {
        const piece: FramePiece = { frame: this.#frame, bytes: chunk.subarray(pieceStart, end), last };
        if (last) piece.bound = this.#contentSize ?? this.#blocksBound;
        out.push(piece);
      }
      pieceStart = last ? -1 : end;
    };
    while (pos < chunk.length) {
      const inFrame = this.#need !== Need.Magic && this.#need !== Need.SkipSize && this.#need !== Need.Skip;
      if (inFrame && pieceStart < 0) pieceStart = pos;
      if (this.#need === Need.Skip || this.#need === Need.BlockBody) {
        const n = Math.min(this.#count, chunk.length - pos);
        pos += n;
        this.#count -= n;
        if (this.#count === 0) this.#next(pos, flush);
        continue;
      }
      // Gather a small header field.
      const n = Math.min(this.#count, chunk.length - pos);
      this.#small.set(chunk.subarray(pos, pos + n), this.#smallUsed);
      this.#smallUsed += n;
      this.#count -= n;
      pos += n;
      if (this.#count > 0) continue;
      if (this.#need === Need.Magic) {
        const s = this.#small;
        if (s[0] === 0x28 && s[1] === 0xb5 && s[2] === 0x2f && s[3] === 0xfd) {
          this.#frame++;
          pieceStart = pos - 4;
          // The magic's bytes may have come partly from an earlier chunk: emit them whole.
          if (pieceStart < 0) {
            out.push({ frame: this.#frame, bytes: Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd), last: false });
            pieceStart = pos;
          }
          this.#want(Need.Descriptor, 1);
        } else if ((s[0] & 0xf0) === 0x50 && s[1] === 0x2a && s[2] === 0x4d && s[3] === 0x18) {
          this.#want(Need.SkipSize, 4);
        } else {
          throw new ZstdFrameError(this.#frame < 0 ? "not zstd data" : "trailing garbage after the last frame");
        }
      } else {
        this.#next(pos, flush);
      }
    }
    if (pieceStart >= 0 && pieceStart < chunk.length) flush(chunk.length, false);
    return out;
  }

  #want(need: Need, count: number): void {
    this.#need = need;
    this.#count = count;
    this.#smallUsed = 0;
  }

  #next(pos: number, flush: (end: number, last: boolean) => void): void {
    const s = this.#small;
    switch (this.#need) {
      case Need.SkipSize:
        this.#want(Need.Skip, (s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24)) >>> 0);
        if (this.#count === 0) this.#want(Need.Magic, 4);
        break;
      case Need.Skip:
        this.#want(Need.Magic, 4);
        break;
      case Need.Descriptor: {
        const fhd = s[0];
        if (fhd & 0x08) throw new ZstdFrameError("reserved bit set in a frame header");
        const single = (fhd >> 5) & 1;
        const fcs = fhd >> 6;
        this.#checksum = ((fhd >> 2) & 1) === 1;
        const size = (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3] + (fcs === 0 ? single : [0, 2, 4, 8][fcs]);
        this.#lastBlock = false;
        this.#descriptor = fhd;
        this.#contentSize = undefined;
        this.#blockMax = MAX_BLOCK;
        this.#blocksBound = 0;
        if (size === 0) this.#want(Need.BlockHeader, 3);
        else this.#want(Need.Header, size);
        break;
      }
      case Need.Header:
        this.#readFrameHeader();
        this.#want(Need.BlockHeader, 3);
        break;
      case Need.BlockHeader: {
        const header = s[0] | (s[1] << 8) | (s[2] << 16);
        this.#lastBlock = (header & 1) === 1;
        const type = (header >> 1) & 3;
        if (type === 3) throw new ZstdFrameError("reserved block type");
        const size = type === 1 ? 1 : header >>> 3;
        // Raw and RLE blocks regenerate exactly their size field; a compressed one at most the block maximum.
        this.#blocksBound += type === 2 ? this.#blockMax : header >>> 3;
        if (size > 0) {
          this.#want(Need.BlockBody, size);
          break;
        }
        this.#afterBlock(pos, flush);
        break;
      }
      case Need.BlockBody:
        this.#afterBlock(pos, flush);
        break;
      case Need.Checksum:
        flush(pos, true);
        this.#want(Need.Magic, 4);
        break;
    }
  }

  /** Reads the window size and content size of the frame header gathered in `#small`. */
  #readFrameHeader(): void {
    const fhd = this.#descriptor;
    const s = this.#small;
    const single = (fhd >> 5) & 1;
    let at = 0;
    if (!single) {
      const exponent = s[0] >> 3;
      const base = 2 ** (10 + exponent);
      this.#blockMax = Math.min(MAX_BLOCK, base + (base / 8) * (s[0] & 7));
      at = 1;
    }
    at += [0, 1, 2, 4][fhd & 3];
    const fcs = fhd >> 6;
    let size: number | undefined;
    if (fcs === 0 && single) size = s[at];
    else if (fcs === 1) size = (s[at] | (s[at + 1] << 8)) + 256;
    else if (fcs === 2) size = (s[at] | (s[at + 1] << 8) | (s[at + 2] << 16) | (s[at + 3] << 24)) >>> 0;
    else if (fcs === 3) {
      const low = (s[at] | (s[at + 1] << 8) | (s[at + 2] << 16) | (s[at + 3] << 24)) >>> 0;
      const high = (s[at + 4] | (s[at + 5] << 8) | (s[at + 6] << 16) | (s[at + 7] << 24)) >>> 0;
      size = high * 2 ** 32 + low;
    }
    this.#contentSize = size;
    if (single && size !== undefined) this.#blockMax = Math.min(MAX_BLOCK, size);
  }

  #afterBlock(pos: number, flush: (end: number, last: boolean) => void): void {
    if (!this.#lastBlock) {
      this.#want(Need.BlockHeader, 3);
    } else if (this.#checksum) {
      this.#want(Need.Checksum, 4);
    } else {
      flush(pos, true);
      this.#want(Need.Magic, 4);
    }
  }

  /** Call at the end of input: throws when it ended inside a frame or held no frame. */
  finish(): void {
    if (this.#need !== Need.Magic || this.#smallUsed !== 0) throw new ZstdFrameError("data cut short");
    if (this.#frame < 0) throw new ZstdFrameError("no zstd frame");
  }
}
