/**
 * Flushing file systems without a `sync` process: `newfstatat(2)` for the
 * device a path is on, `syncfs(2)` for the file system holding it — what
 * `sync -f` does, without the cost of starting a program.
 *
 * @module
 */

import { call, cstring, SyscallError } from "./libc.ts";
import { AT_FDCWD, close, O, openat } from "./fs.ts";

/**
 * The device of what is at `path`, following links (`st_dev` of `stat`),
 * or `undefined` when nothing is there. Throws when the C library is not
 * available.
 */
export function deviceOf(path: string): bigint | undefined {
  // Room for `struct stat` on every architecture; `st_dev` is its first field, 64 bits wide.
  const stat = new BigUint64Array(32);
  try {
    call("newfstatat", [AT_FDCWD, cstring(path), stat, 0], path);
  } catch (err) {
    if (err instanceof SyscallError) return undefined;
    throw err;
  }
  return stat[0];
}

/** `syncfs` on the file system holding `path`. Throws {@linkcode SyscallError} on failure. */
export function syncFileSystemOf(path: string): void {
  const fd = openat(AT_FDCWD, path, O.RDONLY | O.CLOEXEC);
  try {
    call("syncfs", [fd], path);
  } finally {
    close(fd);
  }
}
