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
import { type HeaderStep, padded, TarDecoder } from "./tar_decode.ts";
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

/** What {@linkcode TarCursor.next} returns when the entry it is at is not all in the bytes given yet. */
export const MORE = Symbol("more bytes needed");

/**
 * Reads the entries of an archive held in memory that may still be growing
 * (decompressed as it is read): {@linkcode next} is given the bytes that are
 * there so far and says {@linkcode MORE} when it needs the rest of an entry.
 * Bodies are views into the bytes given (no copy). Errors as
 * {@linkcode parseTar}.
 */
export class TarCursor {
  readonly #decoder: TarDecoder;
  #pos = 0;
  #ended = false;
  /** The header at {@linkcode position}, read already, whose data is not all there yet. */
  #waiting: HeaderStep | undefined;

  /** @param name how the archive is named in error messages (its file name) */
  constructor(name = "tar archive") {
    this.#decoder = new TarDecoder(name);
  }

  #wait(step: HeaderStep): typeof MORE {
    this.#waiting = step;
    return MORE;
  }

  /**
   * The next entry of the archive in `bytes`, of which the first `length`
   * are there (`final`: no more will come); `null` after the end-of-archive
   * marker; {@linkcode MORE} when the entry needs bytes beyond `length`.
   */
  next(bytes: Uint8Array, length: number, final: boolean): TarItem | null | typeof MORE {
    if (this.#ended) return null;
    const decoder = this.#decoder;
    for (;;) {
      const pos = this.#pos;
      // A header read before MORE is not read again: reading one uses up the long name or pax records before it.
      let step = this.#waiting;
      this.#waiting = undefined;
      if (step === undefined) {
        if (pos + BLOCK > length) {
          if (!final) return MORE;
          throw decoder.truncated(pos, pos === length ? "no end-of-archive marker" : "partial header block");
        }
        step = decoder.header(bytes, pos, pos);
      }
      const data = pos + BLOCK;
      switch (step.kind) {
        case "end":
          if (decoder.pending) throw decoder.fault(pos, "an extended header is not followed by an entry");
          this.#ended = true;
          return null;
        case "meta": {
          if (data + step.size > length) {
            if (!final) return this.#wait(step);
            throw decoder.truncated(pos, "extended header body cut short");
          }
          decoder.meta(bytes.subarray(data, data + step.size));
          this.#pos = data + padded(step.size);
          break;
        }
        case "ignore":
          this.#pos = data + step.skip;
          break;
        case "entry": {
          const { entry } = step;
          if (data + entry.size > length) {
            if (!final) return this.#wait(step);
            throw decoder.truncated(pos, `${entry.size} bytes of content expected, ${length - data} left`);
          }
          this.#pos = data + step.skip;
          return { entry, body: entry.size > 0 ? bytes.subarray(data, data + entry.size) : EMPTY };
        }
      }
    }
  }
}

/**
 * Reads the entries of an archive held in memory, in archive order. Bodies
 * are views into `bytes` (no copy). Throws a {@linkcode KilnError} on a
 * damaged, truncated or unsafe archive; entries before the fault have already
 * been yielded.
 */
export function* parseTar(bytes: Uint8Array, options: ReadOptions = {}): Generator<TarItem> {
  const cursor = new TarCursor(options.name);
  for (;;) {
    const item = cursor.next(bytes, bytes.length, true);
    if (item === null || item === MORE) return;
    yield item;
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
