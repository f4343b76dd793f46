/**
 * Reading a tar stream's entries in bounded memory: each entry's header is
 * shown to the caller before its data is read, and the data is kept only
 * when the caller asks for it; otherwise it is read and dropped in pieces
 * (so a header that declares gigabytes costs no memory, and the caller may
 * refuse it before a byte of it is read). Headers are read exactly as
 * {@linkcode readTar} reads them (the same decoder, the same errors).
 *
 * @module
 */

import { ByteQueue } from "./byte_queue.ts";
import type { ReadOptions } from "./tar.ts";
import { padded, TarDecoder } from "./tar_decode.ts";
import type { TarEntry, TarItem } from "./tar_entry.ts";
import { BLOCK } from "./tar_header.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

/** Extended headers (long names, pax records) larger than this are refused rather than held in memory. */
const MAX_META = 1024 * 1024;

/** Data is dropped in pieces of this size at most. */
const PIECE = 1024 * 1024;

/**
 * The entries of the tar stream `stream`, in archive order; `keep(entry)`
 * is called for each entry before its data is read (it may throw, which
 * stops the reading) and says whether to keep the data: an entry whose data
 * is not kept comes with an empty body. Errors as `readTar` of `tar.ts`;
 * the stream is cancelled when the caller stops early or an error is thrown.
 */
export async function* scanTar(
  stream: ReadableStream<Uint8Array>,
  keep: (entry: TarEntry) => boolean,
  options: ReadOptions = {},
): AsyncGenerator<TarItem> {
  const decoder = new TarDecoder(options.name ?? "tar archive");
  const queue = new ByteQueue(stream);
  let finished = false;
  /** Drop `n` bytes in pieces; returns how many there were. */
  const drop = async (n: number) => {
    let dropped = 0;
    while (dropped < n) {
      const have = Math.min(await queue.fill(Math.min(PIECE, n - dropped)), n - dropped);
      if (have === 0) break;
      queue.skip(have);
      dropped += have;
    }
    return dropped;
  };
  try {
    for (;;) {
      const headerAt = queue.position;
      const have = await queue.fill(BLOCK);
      if (have < BLOCK) {
        throw decoder.truncated(headerAt, have === 0 ? "no end-of-archive marker" : "partial header block");
      }
      const step = decoder.header(queue.take(BLOCK), 0, headerAt);
      switch (step.kind) {
        case "end":
          if (decoder.pending) throw decoder.fault(headerAt, "an extended header is not followed by an entry");
          // Read the rest (padding) so that a compressed stream's own checksum is verified.
          await queue.drain();
          finished = true;
          return;
        case "meta": {
          if (step.size > MAX_META) {
            throw decoder.fault(
              headerAt,
              `an extended header of ${step.size} bytes (more than ${MAX_META} is refused)`,
            );
          }
          const size = padded(step.size);
          if (await queue.fill(step.size) < step.size) {
            throw decoder.truncated(headerAt, "extended header body cut short");
          }
          decoder.meta(queue.take(step.size));
          await drop(size - step.size);
          break;
        }
        case "ignore":
          if (await drop(step.skip) < step.skip) throw decoder.truncated(headerAt, "content cut short");
          break;
        case "entry": {
          const { entry } = step;
          let body: Uint8Array = EMPTY;
          if (keep(entry) && entry.size > 0) {
            const got = await queue.fill(entry.size);
            if (got < entry.size) {
              throw decoder.truncated(headerAt, `${entry.size} bytes of content expected, ${got} left`);
            }
            body = queue.take(entry.size);
          } else {
            const got = await drop(entry.size);
            if (got < entry.size) {
              throw decoder.truncated(headerAt, `${entry.size} bytes of content expected, ${got} left`);
            }
          }
          await drop(step.skip - entry.size);
          yield { entry, body };
        }
      }
    }
  } finally {
    if (!finished) await queue.cancel();
  }
}
