/**
 * Positioned reads of an open file, for the ELF and `ar` readers: exact
 * lengths or a clear error naming the file, never a whole-file read.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { pread } from "../../ffi/fs.ts";

/** Largest string the readers accept (names, paths). */
export const MAX_STRING = 1 << 16;

/** The error for a damaged ELF file. */
export function corrupt(path: string, what: string): KilnError {
  return new KilnError(`${path}: damaged ELF file: ${what}`, {
    hint: "the file is truncated or corrupt; rebuild it, or remove it from the package",
  });
}

/** What {@linkcode Reader} needs of an open file (a `Deno.FsFile` has it). */
export interface SeekableFile {
  /** Move to `offset` from `whence`. */
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  /** Read into `p`: the bytes read, or null at end of file. */
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * A file descriptor (opened by kiln with `O_NOFOLLOW`) read with `pread`,
 * for reading a build's files without looking their names up again.
 */
export class DescriptorFile implements SeekableFile {
  #offset = 0;
  /** Read the open descriptor `fd` (the caller closes it). */
  constructor(readonly fd: number) {}
  /** Only `Deno.SeekMode.Start` is needed by the readers. */
  seek(offset: number, _whence: Deno.SeekMode): Promise<number> {
    this.#offset = offset;
    return Promise.resolve(offset);
  }
  /** `pread` at the current offset. */
  read(p: Uint8Array): Promise<number | null> {
    const n = pread(this.fd, p, this.#offset);
    this.#offset += n;
    return Promise.resolve(n === 0 && p.length > 0 ? null : n);
  }
}

/** Reads at absolute offsets of an open file; short reads only at end of file. */
export class Reader {
  constructor(readonly file: SeekableFile, readonly size: number, readonly path: string) {}

  /** Exactly `length` bytes at `offset`; `what` names them in errors. */
  async at(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw corrupt(
        this.path,
        `${what} (bytes ${offset}–${offset + length}) lie past the end of the file (${this.size} bytes)`,
      );
    }
    const buf = new Uint8Array(length);
    await this.file.seek(offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < length) {
      const n = await this.file.read(buf.subarray(got));
      if (n === null) throw corrupt(this.path, `${what} cut short at byte ${offset + got}`);
      got += n;
    }
    return buf;
  }

  /** A NUL-terminated string starting at `offset`, read in small pieces. */
  async cstring(offset: number, limit: number, what: string): Promise<string> {
    const parts: Uint8Array[] = [];
    let pos = offset, total = 0;
    while (total < Math.min(limit, MAX_STRING)) {
      const chunk = await this.at(pos, Math.min(256, this.size - pos, limit - total), what);
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        return new TextDecoder().decode(concat(parts));
      }
      if (chunk.length === 0) break;
      parts.push(chunk);
      pos += chunk.length;
      total += chunk.length;
    }
    throw corrupt(this.path, `${what} at byte ${offset} has no terminating NUL`);
  }
}

/** The bytes of `parts`, one after the other. */
export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
