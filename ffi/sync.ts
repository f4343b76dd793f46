/**
 * Flushing file systems without a `sync` process: `newfstatat(2)` for the
 * device a path is on, `syncfs(2)` for the file system holding it — what
 * `sync -f` does, without the cost of starting a program.
 *
 * @module
 */

import { call, cstring, tryCall } from "./libc.ts";
import { AT_FDCWD, close, O, openat } from "./fs.ts";

// Room for `struct stat` on every architecture; `st_dev` is its first field, 64 bits wide.
const stat = new BigUint64Array(32);

/**
 * The device of what is at `path`, following links (`st_dev` of `stat`),
 * or `undefined` when nothing is there. Throws when the C library is not
 * available.
 */
export function deviceOf(path: string): bigint | undefined {
  return tryCall("newfstatat", [AT_FDCWD, cstring(path), stat, 0]) === 0 ? stat[0] : undefined;
}

/** `syncfs` on the file system holding `path`. Throws `SyscallError` (of `libc.ts`) on failure. */
export function syncFileSystemOf(path: string): void {
  const fd = openat(AT_FDCWD, path, O.RDONLY | O.CLOEXEC);
  try {
    call("syncfs", [fd], path);
  } finally {
    close(fd);
  }
}
