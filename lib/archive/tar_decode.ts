/**
 * Turns a series of tar header blocks into entries: the GNU long-name (`L`)
 * and long-link (`K`) headers and pax extended headers (`x`, `g`) are folded
 * into the entry that follows them; entry types are mapped to
 * {@linkcode EntryType}; unsafe names and unsupported types are refused.
 *
 * Both the in-memory reader and the stream reader of `tar.ts` drive one
 * {@linkcode TarDecoder}.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { cleanEntryPath } from "./entry_path.ts";
import type { EntryType, TarEntry } from "./tar_entry.ts";
import {
  BLOCK,
  checksumMatches,
  decodeName,
  FIELD,
  HeaderFault,
  isPosixUstar,
  isZeroBlock,
  parsePax,
  type PaxRecords,
  readNumber,
  readString,
} from "./tar_header.ts";

/** What one header block means. */
export type HeaderStep =
  /** An end-of-archive (zero) block. */
  | { kind: "end" }
  /** A header whose body (`size` bytes) modifies the next entry; pass the body to {@linkcode TarDecoder.meta}. */
  | { kind: "meta"; size: number }
  /** An entry; `skip` bytes of data follow the header (its body, padded by the caller). */
  | { kind: "entry"; entry: TarEntry; skip: number }
  /** A header to ignore (e.g. a volume label) with `skip` bytes of data. */
  | { kind: "ignore"; skip: number };

const TYPES: Record<string, EntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
  "D": "directory",
};

const UNSUPPORTED: Record<string, string> = {
  S: "a GNU sparse file (type S)",
  M: "a GNU multi-volume continuation (type M)",
  N: "an old GNU long-names list (type N)",
};

/** Bytes of data blocks that follow a header with `size` bytes of data. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** Reads one archive's headers in order; keeps the state that spans headers. */
export class TarDecoder {
  #longName?: string;
  #longLink?: string;
  #pax?: PaxRecords;
  #global: PaxRecords = {};
  #metaFlag = "";
  #metaOffset = 0;
  /** The last entry's path, for error messages. */
  lastPath?: string;

  /** @param archive how the archive is named in error messages (its file name) */
  constructor(readonly archive: string) {}

  /** A KilnError naming the archive, the offset and the entry at fault. */
  fault(offset: number, what: string, path = this.lastPath): KilnError {
    const where = path === undefined ? `at offset ${offset}` : `at offset ${offset} (entry ${path})`;
    return new KilnError(`${this.archive}: bad tar archive ${where}: ${what}`, {
      hint: "the file is damaged or not a tar archive: download or build it again",
    });
  }

  /** A KilnError for an archive that ends early. */
  truncated(offset: number, what: string, path = this.lastPath): KilnError {
    const where = path === undefined ? `at offset ${offset}` : `at offset ${offset} (entry ${path})`;
    return new KilnError(`${this.archive}: truncated tar archive ${where}: ${what}`, {
      hint: "the file is incomplete: delete it and download or build it again",
    });
  }

  /** Interprets the header block at `offset` of `block` (`pos` is its offset in the archive). */
  header(block: Uint8Array, offset: number, pos: number): HeaderStep {
    if (isZeroBlock(block, offset)) return { kind: "end" };
    try {
      return this.#header(block, offset, pos);
    } catch (err) {
      if (err instanceof HeaderFault) throw this.fault(pos, err.message);
      throw err;
    }
  }

  #header(block: Uint8Array, offset: number, pos: number): HeaderStep {
    if (!checksumMatches(block, offset)) {
      throw this.fault(
        pos,
        "header checksum mismatch",
        this.lastPath === undefined ? undefined : `after ${this.lastPath}`,
      );
    }
    const flag = String.fromCharCode(block[offset + FIELD.typeflag[0]]);
    const headerSize = readNumber(block, offset, FIELD.size);
    if (flag === "L" || flag === "K" || flag === "x" || flag === "g" || flag === "X") {
      this.#metaFlag = flag;
      this.#metaOffset = pos;
      if (headerSize > 64 * 1024 * 1024) throw new HeaderFault(`extended header of ${headerSize} bytes`);
      return { kind: "meta", size: headerSize };
    }
    if (flag === "V") return { kind: "ignore", skip: padded(headerSize) };

    let name = readString(block, offset, FIELD.name);
    if (isPosixUstar(block, offset)) {
      const prefix = readString(block, offset, FIELD.prefix);
      if (prefix !== "") name = `${prefix}/${name}`;
    }
    const pax = this.#pax === undefined ? this.#global : { ...this.#global, ...this.#pax };
    const rawPath = pax.path ?? this.#longName ?? name;
    let type = TYPES[flag];
    if (type === undefined) {
      const what = UNSUPPORTED[flag] ?? `an unknown entry type ${JSON.stringify(flag)}`;
      throw this.fault(pos, `${what} is not supported`, rawPath);
    }
    if (pax.sparse) throw this.fault(pos, "a sparse file (pax GNU.sparse) is not supported", rawPath);
    // Old (pre-POSIX) archives mark directories with a trailing slash only.
    if (type === "file" && flag !== "7" && rawPath.endsWith("/")) type = "directory";

    const path = cleanEntryPath(rawPath);
    if (path === undefined) {
      throw new KilnError(`${this.archive}: unsafe entry ${JSON.stringify(rawPath)} at offset ${pos}`, {
        hint: "an absolute name or a '..' component would write outside the target directory; the archive is refused",
      });
    }
    const dataSize = pax.size ?? headerSize;
    const entry: TarEntry = {
      path,
      type,
      mode: readNumber(block, offset, FIELD.mode) & 0o7777,
      uid: pax.uid ?? readNumber(block, offset, FIELD.uid),
      gid: pax.gid ?? readNumber(block, offset, FIELD.gid),
      mtime: pax.mtime ?? readNumber(block, offset, FIELD.mtime),
      size: type === "file" ? dataSize : 0,
    };
    if (type === "symlink" || type === "hardlink") {
      const rawLink = pax.linkpath ?? this.#longLink ?? readString(block, offset, FIELD.linkname);
      if (type === "hardlink") {
        const link = cleanEntryPath(rawLink);
        if (link === undefined || link === ".") {
          throw new KilnError(
            `${this.archive}: unsafe hard link ${JSON.stringify(path)} -> ${JSON.stringify(rawLink)} at offset ${pos}`,
            { hint: "a hard link must name another entry of the same archive; the archive is refused" },
          );
        }
        entry.linkName = link;
      } else {
        entry.linkName = rawLink;
      }
    } else if (type === "char" || type === "block") {
      entry.devMajor = readNumber(block, offset, FIELD.devmajor);
      entry.devMinor = readNumber(block, offset, FIELD.devminor);
    }
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#pax = undefined;
    this.lastPath = path;
    return { kind: "entry", entry, skip: padded(dataSize) };
  }

  /** Takes the body of the last `meta` header (without padding). */
  meta(body: Uint8Array): void {
    const pos = this.#metaOffset;
    try {
      switch (this.#metaFlag) {
        case "L":
          this.#longName = nulTerminated(body);
          break;
        case "K":
          this.#longLink = nulTerminated(body);
          break;
        case "x":
        case "X":
          this.#pax = parsePax(body, this.#pax ?? {});
          break;
        case "g":
          this.#global = parsePax(body, { ...this.#global });
          break;
      }
    } catch (err) {
      if (err instanceof HeaderFault) throw this.fault(pos, err.message);
      throw err;
    }
  }

  /** True when a long name or pax header waits for an entry that never came. */
  get pending(): boolean {
    return this.#longName !== undefined || this.#longLink !== undefined || this.#pax !== undefined;
  }
}

function nulTerminated(body: Uint8Array): string {
  const nul = body.indexOf(0);
  return decodeName(nul < 0 ? body : body.subarray(0, nul));
}
