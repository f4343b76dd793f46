/**
 * Writing tar archives in the GNU format.
 *
 * Why GNU and not pax: kiss makes its package archives with `tar cf - .`
 * from GNU tar or busybox tar, and both write the GNU format — plain headers
 * with the `ustar  ` magic, a `././@LongLink` header of type `L` before an
 * entry whose name is longer than 100 bytes (`K` for a long link target),
 * and base-256 for numbers too large for octal. Every tar kiss may run reads
 * that (busybox tar reads `L`/`K` and base-256; its pax support is optional
 * at build time), and the archive holds nothing but the entry's own fields:
 * no pax records with access times, change times or host names that would
 * make two builds differ.
 *
 * @module
 */

import type { TarEntry } from "./tar_entry.ts";
import { BLOCK, encodeHeader, encodeString, type RawHeader } from "./tar_header.ts";

/** One entry to write, with its content when it is a file. */
export interface TarInput {
  /** The entry; `path` is written as given (with a trailing `/` added for a directory). */
  entry: TarEntry;
  /** The file's bytes: exactly `entry.size` of them. */
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

const TYPEFLAG: Record<TarEntry["type"], string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
};

const LONG_LINK = encodeString("././@LongLink");

/** The header blocks of one entry: an `L` and/or `K` header when needed, then the entry's own. */
export function entryHeader(entry: TarEntry): Uint8Array {
  const name = encodeString(entry.type === "directory" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path);
  const link = entry.linkName === undefined ? undefined : encodeString(entry.linkName);
  const longName = name.length > 100;
  const longLink = link !== undefined && link.length > 100;
  let blocks = 1;
  if (longName) blocks += 1 + Math.ceil((name.length + 1) / BLOCK);
  if (longLink) blocks += 1 + Math.ceil((link.length + 1) / BLOCK);
  const out = new Uint8Array(blocks * BLOCK);
  let pos = 0;
  const long = (flag: string, bytes: Uint8Array) => {
    encodeHeader(
      { name: LONG_LINK, mode: 0, uid: 0, gid: 0, size: bytes.length + 1, mtime: 0, typeflag: flag },
      out,
      pos,
    );
    out.set(bytes, pos + BLOCK);
    pos += BLOCK + Math.ceil((bytes.length + 1) / BLOCK) * BLOCK;
  };
  if (longLink) long("K", link);
  if (longName) long("L", name);
  const header: RawHeader = {
    name,
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.type === "file" ? entry.size : 0,
    mtime: entry.mtime,
    typeflag: TYPEFLAG[entry.type],
    linkname: link,
  };
  if (entry.type === "char" || entry.type === "block") {
    header.devmajor = entry.devMajor ?? 0;
    header.devminor = entry.devMinor ?? 0;
  }
  encodeHeader(header, out, pos);
  return out;
}

function checkBody(entry: TarEntry, length: number): void {
  const expected = entry.type === "file" ? entry.size : 0;
  if (length !== expected) {
    throw new RangeError(`tar entry ${entry.path}: ${length} bytes of content given, its size says ${expected}`);
  }
}

/**
 * Writes a whole archive into memory: each entry's headers and content, then
 * two zero blocks. Bodies must be `Uint8Array`s of exactly `entry.size` bytes.
 */
export function writeTar(entries: Iterable<{ entry: TarEntry; body?: Uint8Array }>): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 2 * BLOCK;
  for (const { entry, body } of entries) {
    checkBody(entry, body?.length ?? 0);
    const header = entryHeader(entry);
    parts.push(header);
    total += header.length;
    if (body && body.length > 0) {
      parts.push(body);
      total += Math.ceil(body.length / BLOCK) * BLOCK;
    }
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += Math.ceil(part.length / BLOCK) * BLOCK;
  }
  return out;
}

/** Flushes small pieces in chunks of this size. */
const CHUNK = 1 << 20;

/**
 * Writes an archive as a stream, for inputs too large for memory. Entries
 * are pulled one at a time as the consumer reads (back-pressure); a body may
 * be a stream of exactly `entry.size` bytes. Small headers and files are
 * gathered into 1 MiB chunks.
 */
export function tarStream(
  entries: Iterable<TarInput> | AsyncIterable<TarInput>,
): ReadableStream<Uint8Array> {
  const iterator = Symbol.asyncIterator in entries
    ? entries[Symbol.asyncIterator]()
    : (entries as Iterable<TarInput>)[Symbol.iterator]();
  let buffer = new Uint8Array(CHUNK);
  let used = 0;
  let ended = false;

  const flush = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (used > 0) controller.enqueue(buffer.subarray(0, used));
    buffer = new Uint8Array(CHUNK);
    used = 0;
  };
  const put = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array, paddedTo: number) => {
    if (paddedTo > CHUNK) {
      flush(controller);
      const copy = new Uint8Array(paddedTo);
      copy.set(bytes);
      controller.enqueue(copy);
      return;
    }
    if (used + paddedTo > CHUNK) flush(controller);
    buffer.set(bytes, used);
    used += paddedTo;
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (ended) return;
      // Produce at least one chunk's worth per pull, or finish.
      const start = used;
      while (used === start || used < CHUNK / 2) {
        const next = await iterator.next();
        if (next.done) {
          if (used + 2 * BLOCK > CHUNK) flush(controller);
          used += 2 * BLOCK; // the end-of-archive blocks: the buffer is zero-filled
          flush(controller);
          ended = true;
          controller.close();
          return;
        }
        const { entry, body } = next.value;
        const header = entryHeader(entry);
        put(controller, header, header.length);
        if (body instanceof ReadableStream) {
          let written = 0;
          for await (const chunk of body) {
            written += chunk.length;
            if (written > entry.size) checkBody(entry, written);
            if (used + chunk.length > CHUNK) flush(controller);
            if (chunk.length > CHUNK) {
              controller.enqueue(chunk.slice());
            } else {
              buffer.set(chunk, used);
              used += chunk.length;
            }
          }
          checkBody(entry, written);
          const pad = Math.ceil(written / BLOCK) * BLOCK - written;
          if (used + pad > CHUNK) flush(controller);
          used += pad;
        } else {
          checkBody(entry, body?.length ?? 0);
          if (body && body.length > 0) put(controller, body, Math.ceil(body.length / BLOCK) * BLOCK);
        }
        if (used === 0) return; // a large piece was enqueued on its own
      }
      flush(controller);
    },
    async cancel() {
      ended = true;
      await (iterator as AsyncIterator<TarInput>).return?.();
    },
  });
}
