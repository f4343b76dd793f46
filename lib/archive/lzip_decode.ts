/**
 * The two container formats built on raw LZMA that no library at hand reads:
 * lzip (`.lz`, magic `LZIP`, CRC-32 and sizes in a trailer, members may be
 * concatenated) and the legacy `.lzma` ("LZMA alone") format. Whole buffers.
 *
 * @module
 */

import { LzmaCore, LzmaError, RangeDecoder, Window } from "./lzma_decode.ts";
import { crc32 } from "./xz_check.ts";

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
