/**
 * `unlinkat(2)` for deleting a package's files: one system call per file,
 * through the FFI fast path with a reused name buffer, where
 * `Deno.removeSync` makes two (an `lstat` first). A
 * {@linkcode DirectoryUnlinker} also keeps the directory of the last file
 * open, so that the files of one directory are deleted by name, without a
 * walk of the whole path each. A removal of 20,000 files spends most of its
 * time here.
 *
 * The same calls are offered by address ({@linkcode deletionAddresses}) for
 * a worker thread, which cannot import modules and builds its own
 * `Deno.UnsafeFnPointer`s from them: no second `Deno.dlopen`.
 *
 * Every call answers `undefined` when the C library cannot be opened (no
 * FFI permission, no C library): callers then use `Deno.removeSync`.
 *
 * @module
 */

import { ERRNO, openLibrary } from "./libc.ts";
import { AT_FDCWD, O } from "./fs.ts";

/** `unlinkat` flag: remove an empty directory (as `rmdir`). */
export const AT_REMOVEDIR = 0x200;
/** `openat` flags of a directory kept open only to delete names in it (search permission is enough). */
export const DIRECTORY_FLAGS = O.PATH | O.DIRECTORY | O.CLOEXEC;

const SYMBOLS = {
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  unlinkatAddress: { name: "unlinkat", type: "pointer" },
  openatAddress: { name: "openat", type: "pointer" },
  closeAddress: { name: "close", type: "pointer" },
  errnoLocationAddress: { name: "__errno_location", type: "pointer" },
  strerrorAddress: { name: "strerror", type: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Lib | null | undefined;

function library(): Lib | null {
  if (lib === undefined) {
    try {
      lib = openLibrary(SYMBOLS);
    } catch {
      lib = null;
    }
  }
  return lib;
}

const encoder = new TextEncoder();
let nameBuffer = new Uint8Array(4096);

/** `s` as a NUL-terminated C string in a reused buffer, or `undefined` if it holds a NUL itself. */
function cString(s: string): Uint8Array | undefined {
  if (s.includes("\0")) return undefined;
  // Up to 3 bytes of UTF-8 per UTF-16 unit, and the NUL.
  if (nameBuffer.length < s.length * 3 + 1) nameBuffer = new Uint8Array(s.length * 3 + 1);
  nameBuffer[encoder.encodeInto(s, nameBuffer).written] = 0;
  return nameBuffer;
}

function errnoOf(l: Lib): number {
  return new Deno.UnsafePointerView(l.__errno_location()!).getInt32();
}

function unlinkat(l: Lib, dir: number, name: string, flags: number): number {
  const c = cString(name);
  if (c === undefined) return ERRNO.EINVAL;
  return l.unlinkat(dir, c, flags) === 0 ? 0 : errnoOf(l);
}

/**
 * `unlink(path)` (with `flags` {@linkcode AT_REMOVEDIR}: `rmdir(path)`): 0
 * on success, else `errno` read right after the call (`EINVAL` for a path
 * holding a NUL, which no call would take whole); `undefined` when the C
 * library is not available.
 */
export function tryUnlink(path: string, flags = 0): number | undefined {
  const l = library();
  return l === null ? undefined : unlinkat(l, AT_FDCWD, path, flags);
}

/** `rmdir(path)`: as {@linkcode tryUnlink}. */
export function tryRmdir(path: string): number | undefined {
  return tryUnlink(path, AT_REMOVEDIR);
}

/**
 * {@linkcode tryUnlink} for many files, keeping the directory of the last
 * one open: each file is deleted by its name in that directory. Where the
 * directory cannot be opened, each file is deleted by its whole path (so
 * every error is the one `unlink` gives). {@linkcode close} when done.
 */
export class DirectoryUnlinker {
  #dir: string | undefined;
  #fd = -1;

  /** As {@linkcode tryUnlink}. */
  unlink(path: string, flags = 0): number | undefined {
    const l = library();
    if (l === null) return undefined;
    const slash = path.lastIndexOf("/");
    if (slash < 0 || slash === path.length - 1) return unlinkat(l, AT_FDCWD, path, flags);
    const dir = slash === 0 ? "/" : path.slice(0, slash);
    if (dir !== this.#dir) {
      this.close();
      this.#dir = dir;
      const c = cString(dir);
      if (c !== undefined) this.#fd = l.openat(AT_FDCWD, c, DIRECTORY_FLAGS);
    }
    if (this.#fd < 0) return unlinkat(l, AT_FDCWD, path, flags);
    return unlinkat(l, this.#fd, path.slice(slash + 1), flags);
  }

  /** Close the directory kept open. Safe to call more than once. */
  close(): void {
    if (this.#fd >= 0) library()?.close(this.#fd);
    this.#fd = -1;
    this.#dir = undefined;
  }
}

/** Addresses of the C library's functions, for a thread that calls them through `Deno.UnsafeFnPointer`. */
export interface DeletionAddresses {
  /** `int unlinkat(int, const char *, int)`. */
  readonly unlinkat: number | bigint;
  /** `int openat(int, const char *, int)`. */
  readonly openat: number | bigint;
  /** `int close(int)`. */
  readonly close: number | bigint;
  /** `int *__errno_location(void)`: the calling thread's `errno`. */
  readonly errnoLocation: number | bigint;
  /** `char *strerror(int)`. */
  readonly strerror: number | bigint;
}

/** The addresses of {@linkcode DeletionAddresses}, or `undefined` when the C library is not available. */
export function deletionAddresses(): DeletionAddresses | undefined {
  const l = library();
  if (l === null) return undefined;
  return {
    unlinkat: Deno.UnsafePointer.value(l.unlinkatAddress),
    openat: Deno.UnsafePointer.value(l.openatAddress),
    close: Deno.UnsafePointer.value(l.closeAddress),
    errnoLocation: Deno.UnsafePointer.value(l.errnoLocationAddress),
    strerror: Deno.UnsafePointer.value(l.strerrorAddress),
  };
}
