/**
 * `unlink(2)` and `rmdir(2)` for deleting a package's files: one system call
 * per file, through the FFI fast path with a reused path buffer, where
 * `Deno.removeSync` makes two (an `lstat` first). A removal of 20,000 files
 * spends most of its time here.
 *
 * The same calls are offered by address ({@linkcode deletionAddresses}) for
 * a worker thread, which cannot import modules and builds its own
 * `Deno.UnsafeFnPointer`s from them: no second `Deno.dlopen`.
 *
 * Every function answers `undefined` when the C library cannot be opened
 * (no FFI permission, no C library): callers then use `Deno.removeSync`.
 *
 * @module
 */

import { ERRNO, openLibrary } from "./libc.ts";

const SYMBOLS = {
  unlink: { parameters: ["buffer"], result: "i32" },
  rmdir: { parameters: ["buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  unlinkAddress: { name: "unlink", type: "pointer" },
  rmdirAddress: { name: "rmdir", type: "pointer" },
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
let pathBuffer = new Uint8Array(4096);

/** `path` as a NUL-terminated C string in a reused buffer, or `undefined` if it holds a NUL itself. */
function cPath(path: string): Uint8Array | undefined {
  if (path.includes("\0")) return undefined;
  // Up to 3 bytes of UTF-8 per UTF-16 unit, and the NUL.
  if (pathBuffer.length < path.length * 3 + 1) pathBuffer = new Uint8Array(path.length * 3 + 1);
  const { written } = encoder.encodeInto(path, pathBuffer);
  pathBuffer[written] = 0;
  return pathBuffer;
}

function run(l: Lib, fn: (p: Uint8Array) => number, path: string): number {
  const p = cPath(path);
  if (p === undefined) return ERRNO.EINVAL;
  if (fn(p) === 0) return 0;
  return new Deno.UnsafePointerView(l.__errno_location()!).getInt32();
}

/**
 * `unlink(path)`: 0 on success, else `errno` (read right after the call;
 * `EINVAL` for a path holding a NUL, which no call would take whole);
 * `undefined` when the C library is not available.
 */
export function tryUnlink(path: string): number | undefined {
  const l = library();
  return l === null ? undefined : run(l, l.unlink, path);
}

/** `rmdir(path)`: as {@linkcode tryUnlink}. */
export function tryRmdir(path: string): number | undefined {
  const l = library();
  return l === null ? undefined : run(l, l.rmdir, path);
}

/** Addresses of the C library's functions, for a thread that calls them through `Deno.UnsafeFnPointer`. */
export interface DeletionAddresses {
  /** `int unlink(const char *)`. */
  readonly unlink: number | bigint;
  /** `int rmdir(const char *)`. */
  readonly rmdir: number | bigint;
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
    unlink: Deno.UnsafePointer.value(l.unlinkAddress),
    rmdir: Deno.UnsafePointer.value(l.rmdirAddress),
    errnoLocation: Deno.UnsafePointer.value(l.errnoLocationAddress),
    strerror: Deno.UnsafePointer.value(l.strerrorAddress),
  };
}
