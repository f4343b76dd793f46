/**
 * Room on the target file system (SPEC §8.1): a package is refused before
 * anything of it is written when its files would not fit, with how much it
 * needs and how much is free. While an archive is read, the sizes its tar
 * headers declare are added up as they come, so that an archive which
 * decompresses to more than the file system holds (a decompression bomb) is
 * refused at the header that crosses the line — before its data is read.
 *
 * What is counted: every file's size rounded up to whole 4 KiB blocks, plus
 * a margin of 1% (at least 1 MiB) for directories and the database entry;
 * inodes, on file systems that have a fixed number of them, one per entry.
 * The file system checked is the root's: a package whose directories lie on
 * other file systems (mounted below the root) is checked against the root's.
 *
 * @module
 */

import { fileSystemSpace } from "../../ffi/fs.ts";
import { KilnError } from "../errors.ts";

const BLOCK = 4096;

/** A package does not fit: in the root's file system, or in what kiln holds in memory. Said from tar headers. */
export class NoRoom extends KilnError {}

/** Bytes a file of `size` bytes takes on disk, as counted here (whole blocks). */
export function blocksOf(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** The room `bytes` of files need, margin included. */
export function withMargin(bytes: number): number {
  return bytes + Math.max(1024 * 1024, Math.ceil(bytes / 100));
}

/** `bytes` for people: MiB with one decimal (KiB below 1 MiB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * Counts what a package needs as its entries are read, against the room on
 * the file system of `root` taken once at the start (no root: nothing is
 * checked). {@linkcode add} throws as soon as the total is beyond it.
 */
export class SpaceBudget {
  readonly #file: string;
  readonly #root: string | undefined;
  readonly #free: number | undefined;
  readonly #inodes: number | undefined;
  /** Bytes counted so far (whole blocks, no margin). */
  bytes = 0;
  /** Entries counted so far. */
  entries = 0;

  /** Count for the archive `file` (named in errors), installed on `root` if known. */
  constructor(file: string, root?: string) {
    this.#file = file;
    this.#root = root;
    const room = root === undefined ? undefined : fileSystemSpace(root);
    this.#free = room?.bytes;
    this.#inodes = room?.inodes;
  }

  /** Count one entry of `size` bytes of content (`path` names it in the error). */
  add(path: string, size: number): void {
    this.bytes += blocksOf(size);
    this.entries++;
    if (this.#free !== undefined && withMargin(this.bytes) > this.#free) {
      throw noRoom(
        this.#file,
        this.#root!,
        `at ${path} it needs ${formatBytes(withMargin(this.bytes))} or more`,
        this.#free,
      );
    }
    if (this.#inodes !== undefined && this.entries > this.#inodes) {
      throw new NoRoom(
        `${this.#file}: no room in ${this.#root}: it has ${this.entries} or more entries, and only ${this.#inodes} ` +
          `more files can be made on that file system`,
        { hint: "free inodes (remove files or packages) and install again; nothing was installed" },
      );
    }
  }
}

/**
 * Check that `bytes` of files (counted as {@linkcode SpaceBudget} counts
 * them, margin not yet added) fit on the file system of `root` now; throws
 * a {@linkcode KilnError} naming the package file, the need and the room.
 */
export function checkRoom(file: string, root: string, bytes: number): void {
  const room = fileSystemSpace(root);
  if (room !== undefined && withMargin(bytes) > room.bytes) {
    throw noRoom(file, root, `it needs ${formatBytes(withMargin(bytes))}`, room.bytes);
  }
}

function noRoom(file: string, root: string, need: string, free: number): NoRoom {
  return new NoRoom(
    `${file}: not enough free space on the file system of ${root}: ${need}, ${formatBytes(free)} is free ` +
      `(sizes from the archive's tar headers, before anything is decompressed to disk)`,
    {
      hint:
        "free space on that file system (or check the archive: it may be a decompression bomb); nothing was installed",
    },
  );
}
