/**
 * Reading and writing tar archives.
 *
 * Reading takes ustar, GNU (`L`/`K` long names, base-256 numbers) and pax
 * (`x`/`g`: path, linkpath, size, mtime, uid, gid) archives, verifies every
 * header checksum, and refuses what kiln must not write: absolute names, `..`
 * components, hard links to names outside the archive, sparse files, unknown
 * entry types. A damaged or truncated archive is a {@linkcode KilnError}
 * naming the archive, the offset and the entry.
 *
 * Writing produces the GNU format — what `tar cf` writes with GNU tar and
 * with busybox tar, the two tars kiss uses — see `tar_encode.ts`.
 *
 * @example Read an archive in memory
 * ```ts
 * for (const { entry, body } of parseTar(bytes, { name: "zlib.tar" })) {
 *   console.log(entry.type, entry.path, body.length);
 * }
 * ```
 *
 * @module
 */

import { ByteQueue } from "./byte_queue.ts";
import { padded, TarDecoder } from "./tar_decode.ts";
import type { TarItem } from "./tar_entry.ts";
import { BLOCK } from "./tar_header.ts";

export type { EntryType, TarEntry, TarItem } from "./tar_entry.ts";
export { type TarInput, tarStream, writeTar } from "./tar_encode.ts";

/** Options of the readers. */
export interface ReadOptions {
  /** How to name the archive in error messages (e.g. its file name). */
  name?: string;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads the entries of an archive held in memory, in archive order. Bodies
 * are views into `bytes` (no copy). Throws a {@linkcode KilnError} on a
 * damaged, truncated or unsafe archive; entries before the fault have already
 * been yielded.
 */
export function* parseTar(bytes: Uint8Array, options: ReadOptions = {}): Generator<TarItem> {
  const decoder = new TarDecoder(options.name ?? "tar archive");
  let pos = 0;
  for (;;) {
    if (pos + BLOCK > bytes.length) {
      throw decoder.truncated(pos, pos === bytes.length ? "no end-of-archive marker" : "partial header block");
    }
    const step = decoder.header(bytes, pos, pos);
    const headerAt = pos;
    pos += BLOCK;
    switch (step.kind) {
      case "end":
        if (decoder.pending) throw decoder.fault(headerAt, "an extended header is not followed by an entry");
        return;
      case "meta": {
        if (pos + step.size > bytes.length) throw decoder.truncated(headerAt, "extended header body cut short");
        decoder.meta(bytes.subarray(pos, pos + step.size));
        pos += padded(step.size);
        break;
      }
      case "ignore":
        pos += step.skip;
        break;
      case "entry": {
        const { entry } = step;
        if (pos + entry.size > bytes.length) {
          throw decoder.truncated(headerAt, `${entry.size} bytes of content expected, ${bytes.length - pos} left`);
        }
        const body = entry.size > 0 ? bytes.subarray(pos, pos + entry.size) : EMPTY;
        pos += step.skip;
        yield { entry, body };
      }
    }
  }
}

/**
 * Reads the entries of an archive from a stream, in archive order. Each
 * file's body is complete when yielded. Errors as {@linkcode parseTar}; the
 * stream is cancelled when the caller stops early or an error is thrown.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  options: ReadOptions = {},
): AsyncGenerator<TarItem> {
  const decoder = new TarDecoder(options.name ?? "tar archive");
  const queue = new ByteQueue(stream);
  let finished = false;
  try {
    for (;;) {
      const headerAt = queue.position;
      const have = await queue.fill(BLOCK);
      if (have < BLOCK) {
        throw decoder.truncated(headerAt, have === 0 ? "no end-of-archive marker" : "partial header block");
      }
      const block = queue.take(BLOCK);
      const step = decoder.header(block, 0, headerAt);
      switch (step.kind) {
        case "end":
          if (decoder.pending) throw decoder.fault(headerAt, "an extended header is not followed by an entry");
          // Read the rest (padding) so that a compressed stream's own checksum is verified.
          await queue.drain();
          finished = true;
          return;
        case "meta": {
          const size = padded(step.size);
          if (await queue.fill(size) < step.size) throw decoder.truncated(headerAt, "extended header body cut short");
          decoder.meta(queue.take(step.size));
          queue.skip(Math.min(size - step.size, await queue.fill(size - step.size)));
          break;
        }
        case "ignore":
          if (await queue.fill(step.skip) < step.skip) throw decoder.truncated(headerAt, "content cut short");
          queue.skip(step.skip);
          break;
        case "entry": {
          const { entry } = step;
          const have = await queue.fill(step.skip);
          if (have < entry.size) {
            throw decoder.truncated(headerAt, `${entry.size} bytes of content expected, ${have} left`);
          }
          const body = entry.size > 0 ? queue.take(entry.size) : EMPTY;
          queue.skip(Math.min(step.skip - entry.size, have - entry.size));
          yield { entry, body };
        }
      }
    }
  } finally {
    if (!finished) await queue.cancel();
  }
}
