/**
 * The 512-byte header block of the tar format: numeric fields (octal and
 * GNU base-256), string fields, the checksum, and pax extended-header records.
 *
 * This module knows the byte layout only; which headers to write and how a
 * series of headers makes one entry is decided in `tar.ts`.
 *
 * @module
 */

/** Size of a tar block. */
export const BLOCK = 512;

/** Byte offsets and lengths of the header fields (POSIX ustar and GNU). */
export const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 8],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
} as const satisfies Record<string, readonly [number, number]>;

/** The magic and version of GNU-format headers: `"ustar "` then `" \0"`. */
const GNU_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00];

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Thrown by the field readers; `tar.ts` turns it into a KilnError naming the archive and offset. */
export class HeaderFault extends Error {}

/** True when the 512 bytes at `offset` are all zero (an end-of-archive block). */
export function isZeroBlock(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset, end = offset + BLOCK; i < end; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

/**
 * Decodes bytes of a name. UTF-8 when valid, otherwise each byte is taken as
 * one Latin-1 character (old archives carry Latin-1 names).
 */
export function decodeName(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    // One flat string in one call (a string built by `+=` is a rope that every later search flattens).
    if (bytes.length <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    return latin1.decode(bytes);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/** Reads a NUL-terminated (or field-filling) string field. */
export function readString(block: Uint8Array, offset: number, field: readonly [number, number]): string {
  const from = offset + field[0];
  const length = field[1];
  let end = from;
  const limit = from + length;
  while (end < limit && block[end] !== 0) end++;
  return decodeName(block.subarray(from, end));
}

/**
 * Reads a numeric field: octal digits padded with spaces or NULs, or GNU
 * base-256 when the first byte has its high bit set (0x80 positive, 0xff
 * negative).
 */
export function readNumber(block: Uint8Array, offset: number, field: readonly [number, number]): number {
  const start = field[0];
  const from = offset + start;
  const end = from + field[1];
  const first = block[from];
  if (first & 0x80) {
    // Two's complement over the whole field; 0xff leads a negative number.
    let value = first === 0xff ? -1 : first & 0x7f;
    for (let i = from + 1; i < end; i++) {
      value = value * 256 + block[i];
      if (!Number.isSafeInteger(value)) throw new HeaderFault("base-256 number too large");
    }
    return value;
  }
  let i = from;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new HeaderFault(`invalid octal digit in a numeric field at byte ${start}`);
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    if (block[i] !== 0x20 && block[i] !== 0) throw new HeaderFault(`junk after a numeric field at byte ${start}`);
  }
  return digits === 0 ? 0 : value;
}

/** Unsigned and signed sums of the header with the checksum field taken as spaces. */
export function checksums(block: Uint8Array, offset: number): [number, number] {
  let unsigned = 0;
  let high = 0;
  for (let i = offset, end = offset + BLOCK; i < end; i++) {
    const b = block[i];
    unsigned += b;
    if (b >= 0x80) high++;
  }
  const cs = offset + FIELD.checksum[0];
  for (let i = cs; i < cs + 8; i++) {
    const b = block[i];
    unsigned += 0x20 - b;
    if (b >= 0x80) high--;
  }
  // A signed-char sum differs by 256 for every byte of 0x80 or more.
  return [unsigned, unsigned - 256 * high];
}

/** The unsigned sum of a header block's bytes, 4 bytes at a time when the block is aligned. */
function byteSum(block: Uint8Array, offset: number): number {
  const start = block.byteOffset + offset;
  if (start % 4 !== 0) {
    let sum = 0;
    for (let i = offset, end = offset + BLOCK; i < end; i++) sum += block[i];
    return sum;
  }
  const words = new Uint32Array(block.buffer, start, BLOCK / 4);
  // Two 16-bit lanes of byte sums: at most 2 × 255 × 128 per lane, no overflow.
  let lanes = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    lanes += (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff);
  }
  return (lanes & 0xffff) + (lanes >>> 16);
}

/** True when the stored checksum matches the header's contents. */
export function checksumMatches(block: Uint8Array, offset: number): boolean {
  let stored: number;
  try {
    stored = readNumber(block, offset, FIELD.checksum);
  } catch {
    return false;
  }
  let unsigned = byteSum(block, offset);
  const cs = offset + FIELD.checksum[0];
  for (let i = cs; i < cs + 8; i++) unsigned += 0x20 - block[i];
  if (stored === unsigned) return true;
  return stored === checksums(block, offset)[1];
}

/** True when the header carries a POSIX `ustar\0` magic (whose prefix field holds a path prefix). */
export function isPosixUstar(block: Uint8Array, offset: number): boolean {
  const m = offset + FIELD.magic[0];
  return block[m] === 0x75 && block[m + 1] === 0x73 && block[m + 2] === 0x74 && block[m + 3] === 0x61 &&
    block[m + 4] === 0x72 && block[m + 5] === 0;
}

/** Encodes a string, as UTF-8. */
export function encodeString(text: string): Uint8Array {
  return encoder.encode(text);
}

function writeBytes(block: Uint8Array, [start, length]: readonly [number, number], bytes: Uint8Array): void {
  block.set(bytes.subarray(0, length), start);
}

/**
 * Writes a number into a field: zero-padded octal with a NUL terminator when
 * it fits, GNU base-256 otherwise (also for negative numbers).
 */
export function writeNumber(block: Uint8Array, [start, length]: readonly [number, number], value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  const digits = length - 1;
  if (value >= 0 && value < 8 ** digits) {
    const text = value.toString(8).padStart(digits, "0");
    for (let i = 0; i < digits; i++) block[start + i] = text.charCodeAt(i);
    block[start + digits] = 0;
    return;
  }
  let v = BigInt(value);
  if (v < 0n) v += 1n << BigInt(8 * length);
  for (let i = length - 1; i >= 1; i--) {
    block[start + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[start] = value < 0 ? 0xff : 0x80;
}

/** What goes into one raw header block. */
export interface RawHeader {
  /** Name bytes (at most 100 are stored). */
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** One ASCII character. */
  typeflag: string;
  /** Link name bytes (at most 100 are stored). */
  linkname?: Uint8Array;
  devmajor?: number;
  devminor?: number;
}

/**
 * Encodes one GNU-format header block (`ustar  \0` magic, empty owner
 * names), with its checksum, into `out` at `offset`. `out` must be zeroed.
 */
export function encodeHeader(h: RawHeader, out: Uint8Array, offset = 0): void {
  const block = out.subarray(offset, offset + BLOCK);
  writeBytes(block, FIELD.name, h.name);
  writeNumber(block, FIELD.mode, h.mode);
  writeNumber(block, FIELD.uid, h.uid);
  writeNumber(block, FIELD.gid, h.gid);
  writeNumber(block, FIELD.size, h.size);
  writeNumber(block, FIELD.mtime, h.mtime);
  block[FIELD.typeflag[0]] = h.typeflag.charCodeAt(0);
  if (h.linkname) writeBytes(block, FIELD.linkname, h.linkname);
  block.set(GNU_MAGIC, FIELD.magic[0]);
  if (h.devmajor !== undefined) writeNumber(block, FIELD.devmajor, h.devmajor);
  if (h.devminor !== undefined) writeNumber(block, FIELD.devminor, h.devminor);
  block.fill(0x20, FIELD.checksum[0], FIELD.checksum[0] + 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  const text = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[FIELD.checksum[0] + i] = text.charCodeAt(i);
  block[FIELD.checksum[0] + 6] = 0;
  block[FIELD.checksum[0] + 7] = 0x20;
}

/** The pax keys kiln acts on; the rest (atime, ctime, uname, SCHILY.*, …) are read and ignored. */
export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
  uid?: number;
  gid?: number;
  /** Set when the archive stores a sparse file through pax (GNU.sparse.*). */
  sparse?: boolean;
}

/**
 * Parses the body of a pax extended header (`x` or `g`): records of the form
 * `"<length> <key>=<value>\n"` where the length counts the whole record.
 */
export function parsePax(body: Uint8Array, into: PaxRecords = {}): PaxRecords {
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break;
    let space = pos;
    let length = 0;
    while (space < body.length && body[space] >= 0x30 && body[space] <= 0x39) {
      length = length * 10 + (body[space] - 0x30);
      space++;
    }
    if (space === pos || body[space] !== 0x20 || length <= space - pos + 1 || pos + length > body.length) {
      throw new HeaderFault(`malformed pax record at byte ${pos} of an extended header`);
    }
    const record = body.subarray(space + 1, pos + length);
    if (record[record.length - 1] !== 0x0a) {
      throw new HeaderFault(`pax record at byte ${pos} does not end in a newline`);
    }
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new HeaderFault(`pax record at byte ${pos} has no "="`);
    const key = decodeName(record.subarray(0, eq));
    const value = decodeName(record.subarray(eq + 1, record.length - 1));
    applyPax(into, key, value);
    pos += length;
  }
  return into;
}

function paxNumber(key: string, value: string, fraction: boolean): number {
  const pattern = fraction ? /^-?\d+(\.\d*)?$/ : /^\d+$/;
  if (!pattern.test(value)) throw new HeaderFault(`pax ${key} is not a number: ${JSON.stringify(value)}`);
  const n = fraction ? Math.floor(Number(value)) : Number(value);
  if (!Number.isSafeInteger(n)) throw new HeaderFault(`pax ${key} is out of range: ${value}`);
  return n;
}

function applyPax(into: PaxRecords, key: string, value: string): void {
  switch (key) {
    case "path":
      into.path = value;
      break;
    case "linkpath":
      into.linkpath = value;
      break;
    case "size":
      into.size = paxNumber(key, value, false);
      break;
    case "mtime":
      into.mtime = paxNumber(key, value, true);
      break;
    case "uid":
      into.uid = paxNumber(key, value, false);
      break;
    case "gid":
      into.gid = paxNumber(key, value, false);
      break;
    default:
      if (key.startsWith("GNU.sparse.")) into.sparse = true;
  }
}
