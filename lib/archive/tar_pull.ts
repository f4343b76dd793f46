/**
 * Reading a tar stream synchronously through a window of fixed size: for
 * code that cannot wait on promises (an install's writing, which runs
 * between a journal's steps), reading from a descriptor with blocking
 * `read` calls. Each entry's data is handed over in pieces no larger than
 * the window, so memory does not grow with the archive or with its largest
 * file. Headers are read exactly as `readTar` of `tar.ts` reads them (the
 * same decoder, the same errors).
 *
 * @module
 */

import { padded, TarDecoder } from "./tar_decode.ts";
import type { TarEntry } from "./tar_entry.ts";
import { BLOCK } from "./tar_header.ts";

/** Reads into `into`; returns how many bytes were read, 0 at the end. */
export type ReadInto = (into: Uint8Array) => number;

/** Bytes of the default window. */
export const WINDOW_BYTES = 4 * 1024 * 1024;

/** Extended headers larger than this are refused (as `scanTar` of `tar_scan.ts` does). */
const MAX_META = 1024 * 1024;

/** A tar stream read entry by entry with blocking reads (see the module documentation). */
export class TarPull {
  readonly #read: ReadInto;
  readonly #decoder: TarDecoder;
  readonly #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #ended = false;
  /** Stream offset of `#buf[#start]`. */
  #position = 0;
  /** Data bytes of the current entry not yet handed over, and the padding after them. */
  #left = 0;
  #padding = 0;
  #headerAt = 0;

  /**
   * A reader of the tar stream `read` gives, `name` naming it in errors,
   * through a window of `window` bytes (at least 1 MiB and a block).
   */
  constructor(read: ReadInto, name: string, window = WINDOW_BYTES) {
    this.#read = read;
    this.#decoder = new TarDecoder(name);
    this.#buf = new Uint8Array(Math.max(window, MAX_META + BLOCK));
  }

  /** Make `n` bytes (at most the window) available; returns how many are. */
  #fill(n: number): number {
    if (this.#end - this.#start >= n) return this.#end - this.#start;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end < n && !this.#ended) {
      const got = this.#read(this.#buf.subarray(this.#end));
      if (got === 0) this.#ended = true;
      this.#end += got;
    }
    return this.#end;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    this.#position += n;
    return out;
  }

  /** Drop `n` bytes; returns how many there were. */
  #drop(n: number): number {
    let dropped = 0;
    while (dropped < n) {
      const have = Math.min(this.#fill(Math.min(this.#buf.length, n - dropped)), n - dropped);
      if (have === 0) break;
      this.#take(have);
      dropped += have;
    }
    return dropped;
  }

  /**
   * The next entry, or `null` after the end-of-archive marker. The data of
   * the entry before, if not read with {@linkcode body}, is dropped.
   */
  next(): TarEntry | null {
    this.#finishEntry();
    const decoder = this.#decoder;
    for (;;) {
      const headerAt = this.#position;
      const have = this.#fill(BLOCK);
      if (have < BLOCK) {
        throw decoder.truncated(headerAt, have === 0 ? "no end-of-archive marker" : "partial header block");
      }
      const step = decoder.header(this.#buf, this.#start, headerAt);
      this.#take(BLOCK);
      switch (step.kind) {
        case "end":
          if (decoder.pending) throw decoder.fault(headerAt, "an extended header is not followed by an entry");
          return null;
        case "meta":
          if (step.size > MAX_META) {
            throw decoder.fault(
              headerAt,
              `an extended header of ${step.size} bytes (more than ${MAX_META} is refused)`,
            );
          }
          if (this.#fill(step.size) < step.size) throw decoder.truncated(headerAt, "extended header body cut short");
          decoder.meta(this.#take(step.size));
          this.#drop(padded(step.size) - step.size);
          break;
        case "ignore":
          if (this.#drop(step.skip) < step.skip) throw decoder.truncated(headerAt, "content cut short");
          break;
        case "entry":
          this.#headerAt = headerAt;
          this.#left = step.entry.size;
          this.#padding = step.skip - step.entry.size;
          return step.entry;
      }
    }
  }

  /**
   * Hand the current entry's data to `piece`, in order, in views of at most
   * the window's size (valid only during the call).
   */
  body(piece: (bytes: Uint8Array) => void): void {
    while (this.#left > 0) {
      const have = Math.min(this.#fill(Math.min(this.#buf.length, this.#left)), this.#left);
      if (have === 0) throw this.#cutShort();
      this.#left -= have;
      piece(this.#take(have));
    }
  }

  #cutShort() {
    return this.#decoder.truncated(this.#headerAt, `content cut short (${this.#left} bytes missing)`);
  }

  #finishEntry(): void {
    if (this.#left > 0) {
      const want = this.#left;
      this.#left = 0;
      if (this.#drop(want) < want) {
        this.#left = want;
        throw this.#cutShort();
      }
    }
    this.#drop(this.#padding);
    this.#padding = 0;
  }
}
