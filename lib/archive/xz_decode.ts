/**
 * An xz decoder: the `.xz` container (streams, blocks, index, stream
 * padding, concatenated streams) around LZMA2 (on the LZMA decoder of
 * `lzma_decode.ts`), with every check xz writes (none, CRC-32, CRC-64,
 * SHA-256) verified and the delta and branch-converter filters undone.
 *
 * It is incremental: compressed bytes are read as they arrive and decoded
 * bytes come out one LZMA2 chunk (at most 2 MiB) at a time, so memory stays
 * bounded by the dictionary size the file was made with (8 MiB for `xz -6`,
 * 64 MiB for `xz -9`) however large the data.
 *
 * Two kinds of failure are told apart: {@linkcode XzUnsupported} for valid
 * data that uses something kiln does not implement (a filter, a check),
 * and {@linkcode LzmaError} for damaged data.
 *
 * @module
 */

import { ByteQueue } from "./byte_queue.ts";
import { LzmaCore, LzmaError, RangeDecoder, Window } from "./lzma_decode.ts";
import { type Check, checkSize, crc32, crc32Update, newCheck, prepareCheck } from "./xz_check.ts";
import { type Filter, FILTER_NAMES, newFilter } from "./xz_filters.ts";

/** Valid xz data that uses a feature kiln does not implement (a filter, a check, new header flags). */
export class XzUnsupported extends Error {
  /** Told apart from damaged data by this name. */
  override name = "XzUnsupported";
}

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const LZMA2 = 0x21;
/** Filters xz knows but kiln does not undo, for messages. */
const OTHER_FILTERS: Record<number, string> = { 0x0b: "RISC-V" };
const CHECK_NAMES: Record<number, string> = { 0: "none", 1: "CRC-32", 4: "CRC-64", 10: "SHA-256" };

/** Exact reads from the input, with the CRC-32 of what was read when asked. */
class Reader {
  #queue: ByteQueue;
  crc = 0;
  hashing = false;

  constructor(input: ReadableStream<Uint8Array>) {
    this.#queue = new ByteQueue(input);
  }

  get position(): number {
    return this.#queue.position;
  }

  /** Whether no byte is left. */
  async atEnd(): Promise<boolean> {
    return await this.#queue.fill(1) === 0;
  }

  /** The next `n` bytes (a view that is valid until the next read). */
  async read(n: number): Promise<Uint8Array> {
    if (await this.#queue.fill(n) < n) throw new LzmaError("data cut short");
    const bytes = this.#queue.take(n);
    if (this.hashing) this.crc = crc32Update(this.crc, bytes);
    return bytes;
  }

  async byte(): Promise<number> {
    return (await this.read(1))[0];
  }

  /** A variable-length integer (7 bits a byte, at most 9 bytes). */
  async vli(): Promise<number> {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      const b = await this.byte();
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new LzmaError("badly encoded integer");
        if (!Number.isSafeInteger(value)) throw new LzmaError("integer out of range");
        return value;
      }
    }
    throw new LzmaError("badly encoded integer");
  }

  cancel(): Promise<void> {
    return this.#queue.cancel();
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase().padStart(2, "0")}`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Decodes a stream header; returns the check ID. */
function streamHeader(header: Uint8Array): number {
  if (!MAGIC.every((b, i) => header[i] === b)) throw new LzmaError("not xz data");
  if (crc32(header.subarray(6, 8)) !== u32(header, 8)) throw new LzmaError("stream header CRC mismatch");
  if (header[6] !== 0 || (header[7] & 0xf0) !== 0) {
    throw new XzUnsupported(`xz stream flags ${hex(header[6])} ${hex(header[7])}`);
  }
  const check = header[7];
  if (!(check in CHECK_NAMES)) throw new XzUnsupported(`xz check ${hex(check)}`);
  return check;
}

/** What a block header says. */
interface BlockHeader {
  size: number;
  compressed?: number;
  uncompressed?: number;
  dictSize: number;
  /** Filters before LZMA2, in the order they are undone. */
  filters: Filter[];
}

async function blockHeader(reader: Reader, first: number): Promise<BlockHeader> {
  const size = (first + 1) * 4;
  const rest = await reader.read(size - 1);
  const bytes = new Uint8Array(size);
  bytes[0] = first;
  bytes.set(rest, 1);
  if (crc32(bytes.subarray(0, size - 4)) !== u32(bytes, size - 4)) throw new LzmaError("block header CRC mismatch");
  const flags = bytes[1];
  if (flags & 0x3c) throw new XzUnsupported(`xz block flags ${hex(flags)}`);
  let pos = 2;
  const vli = () => {
    let value = 0;
    for (let i = 0; i < 9 && pos < size - 4; i++) {
      const b = bytes[pos++];
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) break;
        return value;
      }
    }
    throw new LzmaError("bad block header");
  };
  const compressed = flags & 0x40 ? vli() : undefined;
  const uncompressed = flags & 0x80 ? vli() : undefined;
  if (compressed === 0) throw new LzmaError("bad block header");
  const count = (flags & 3) + 1;
  const filters: Filter[] = [];
  let dictSize = 0;
  for (let i = 0; i < count; i++) {
    const id = vli();
    const propsSize = vli();
    if (pos + propsSize > size - 4) throw new LzmaError("bad block header");
    const props = bytes.subarray(pos, pos + propsSize);
    pos += propsSize;
    const last = i === count - 1;
    if (id === LZMA2) {
      if (!last || propsSize !== 1) throw new LzmaError("bad LZMA2 filter in block header");
      const p = props[0];
      if (p > 40) throw new LzmaError("bad LZMA2 dictionary size");
      dictSize = p === 40 ? 0xffffffff : (2 | (p & 1)) * 2 ** (Math.floor(p / 2) + 11);
      continue;
    }
    if (last) throw new XzUnsupported(`xz filter ${hex(id)} at the end of a filter chain`);
    const filter = newFilter(id, props);
    if (!filter) {
      const name = FILTER_NAMES[id] ?? OTHER_FILTERS[id];
      throw new XzUnsupported(`xz filter ${hex(id)}${name ? ` (${name})` : ""}`);
    }
    filters.unshift(filter);
  }
  while (pos < size - 4) if (bytes[pos++] !== 0) throw new XzUnsupported("xz block header padding that is not zero");
  return { size, compressed, uncompressed, dictSize, filters };
}

/** Passes decoded bytes through the filters; `end` flushes what they held back. */
function runFilters(filters: Filter[], bytes: Uint8Array, end: boolean): Uint8Array {
  let data = bytes;
  for (const filter of filters) {
    const out = data.length > 0 ? filter.push(data) : data;
    if (!end) {
      data = out;
      continue;
    }
    const rest = filter.finish();
    if (rest.length === 0) data = out;
    else {
      data = new Uint8Array(out.length + rest.length);
      data.set(out);
      data.set(rest, out.length);
    }
  }
  return data;
}

/** Decodes one block's LZMA2 data; yields its output and returns its compressed size. */
async function* lzma2Block(reader: Reader, header: BlockHeader, check: Check): AsyncGenerator<Uint8Array, number> {
  const start = reader.position;
  const window = new Window(Math.min(header.dictSize, 1 << 20), header.dictSize);
  let core: LzmaCore | undefined;
  let needReset = true;
  let needProps = true;
  let produced = 0;
  for (;;) {
    const control = await reader.byte();
    if (control === 0) break;
    if (control >= 0xe0 || control === 1) {
      needProps = true;
      needReset = false;
      window.total = 0;
    } else if (needReset) {
      throw new LzmaError("LZMA2 data does not begin with a dictionary reset");
    }
    let from: number;
    if (control >= 0x80) {
      const sizes = await reader.read(4);
      const unpacked = (control & 0x1f) * 65536 + (sizes[0] << 8) + sizes[1] + 1;
      const packed = (sizes[2] << 8) + sizes[3] + 1;
      if (control >= 0xc0) {
        let p = await reader.byte();
        if (p >= 9 * 5 * 5) throw new LzmaError("bad LZMA2 properties");
        const lc = p % 9;
        p = Math.floor(p / 9);
        const lp = p % 5, pb = Math.floor(p / 5);
        if (lc + lp > 4) throw new LzmaError("bad LZMA2 properties");
        needProps = false;
        if (core) core.reset({ lc, lp, pb });
        else core = new LzmaCore({ lc, lp, pb }, header.dictSize);
      } else if (needProps || !core) {
        throw new LzmaError("LZMA2 chunk without properties");
      } else if (control >= 0xa0) {
        core.reset();
      }
      const data = await reader.read(packed);
      window.reserve(unpacked);
      from = window.pos;
      const rc = new RangeDecoder(data, 0, packed);
      core.decode(rc, window, unpacked, false);
      if (rc.code !== 0 || rc.pos !== packed) throw new LzmaError("LZMA2 chunk size mismatch");
    } else {
      if (control > 2) throw new LzmaError(`bad LZMA2 control byte ${hex(control)}`);
      const sizes = await reader.read(2);
      const data = await reader.read((sizes[0] << 8) + sizes[1] + 1);
      window.reserve(data.length);
      from = window.pos;
      window.append(data);
    }
    const out = runFilters(header.filters, window.buf.slice(from, window.pos), false);
    produced += window.pos - from;
    if (header.uncompressed !== undefined && produced > header.uncompressed) {
      throw new LzmaError("block larger than its header says");
    }
    if (out.length > 0) {
      check.update(out);
      yield out;
    }
  }
  const tail = runFilters(header.filters, new Uint8Array(0), true);
  if (tail.length > 0) {
    check.update(tail);
    yield tail;
  }
  const compressed = reader.position - start;
  if (header.compressed !== undefined && compressed !== header.compressed) {
    throw new LzmaError("block compressed size does not match its header");
  }
  if (header.uncompressed !== undefined && produced !== header.uncompressed) {
    throw new LzmaError("block size does not match its header");
  }
  return compressed;
}

/** Reads the index and checks it lists exactly the blocks decoded. */
async function index(reader: Reader, blocks: { unpadded: number; uncompressed: number }[]): Promise<number> {
  const start = reader.position - 1;
  reader.crc = crc32(new Uint8Array([0]));
  reader.hashing = true;
  const count = await reader.vli();
  if (count !== blocks.length) throw new LzmaError("index does not match the blocks");
  for (const block of blocks) {
    if (await reader.vli() !== block.unpadded || await reader.vli() !== block.uncompressed) {
      throw new LzmaError("index does not match the blocks");
    }
  }
  const padding = (4 - ((reader.position - start) % 4)) % 4;
  if (!(await reader.read(padding)).every((b) => b === 0)) throw new LzmaError("bad index padding");
  reader.hashing = false;
  const crc = reader.crc;
  if (u32(await reader.read(4), 0) !== crc) throw new LzmaError("index CRC mismatch");
  return reader.position - start;
}

/** Decodes one stream after its 12-byte header. */
async function* stream(reader: Reader, header: Uint8Array): AsyncGenerator<Uint8Array> {
  const checkId = streamHeader(header);
  await prepareCheck(checkId);
  const blocks: { unpadded: number; uncompressed: number }[] = [];
  for (;;) {
    const first = await reader.byte();
    if (first === 0) break;
    const block = await blockHeader(reader, first);
    const check = newCheck(checkId);
    let uncompressed = 0;
    const body = lzma2Block(reader, block, check);
    let step = await body.next();
    while (!step.done) {
      uncompressed += step.value.length;
      yield step.value;
      step = await body.next();
    }
    const compressed = step.value;
    if (!(await reader.read((4 - (compressed % 4)) % 4)).every((b) => b === 0)) {
      throw new LzmaError("bad block padding");
    }
    const stored = await reader.read(checkSize(checkId));
    if (!equal(stored, check.digest())) throw new LzmaError(`${CHECK_NAMES[checkId]} check mismatch`);
    blocks.push({ unpadded: block.size + compressed + stored.length, uncompressed });
  }
  const indexSize = await index(reader, blocks);
  const footer = await reader.read(12);
  if (footer[10] !== FOOTER_MAGIC[0] || footer[11] !== FOOTER_MAGIC[1]) throw new LzmaError("bad stream footer");
  if (crc32(footer.subarray(4, 10)) !== u32(footer, 0)) throw new LzmaError("stream footer CRC mismatch");
  if (footer[8] !== header[6] || footer[9] !== header[7]) throw new LzmaError("stream footer does not match header");
  if ((u32(footer, 4) + 1) * 4 !== indexSize) throw new LzmaError("stream footer does not match index");
}

/**
 * Decodes xz data: one or more streams, with stream padding (multiples of
 * four zero bytes) between and after them. Yields decoded bytes as they
 * come; throws {@linkcode XzUnsupported} or {@linkcode LzmaError}.
 */
export async function* decodeXz(input: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = new Reader(input);
  try {
    let streams = 0;
    while (streams === 0 || !(await reader.atEnd())) {
      const start = await reader.read(4);
      if (streams > 0 && start.every((b) => b === 0)) continue; // stream padding
      const header = new Uint8Array(12);
      header.set(start);
      header.set(await reader.read(8), 4);
      yield* stream(reader, header);
      streams++;
    }
  } finally {
    await reader.cancel();
  }
}
