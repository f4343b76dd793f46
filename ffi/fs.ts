/**
 * File and descriptor calls (`openat`, `openat2`, `linkat`, `mkdirat`,
 * `symlinkat`, `renameat`, `close`, `close_range`, `dup2`, `fcntl`, `read`,
 * `write`, `fdatasync`, `chdir`, `statfs`, `flock`). Each throws {@linkcode SyscallError} on
 * failure, unless it says otherwise.
 *
 * @module
 */

import { addressOf, call, cstring, encoder, ERRNO, errno, openLibrary, strerror, SyscallError } from "./libc.ts";

// The calls made once per file of a package (open, stat, read, close) have
// their own symbols, called through the FFI fast path: the generic
// `syscall` costs some 30 µs a call, which a package of 20,000 files feels.
// Where the C library lacks one of them (`statx` is recent in musl), every
// call goes through `syscall` instead.
const PER_FILE = {
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
} as const;
let perFile: Deno.DynamicLibrary<typeof PER_FILE>["symbols"] | null | undefined;

function perFileCalls(): Deno.DynamicLibrary<typeof PER_FILE>["symbols"] | null {
  if (perFile === undefined) {
    try {
      perFile = openLibrary(PER_FILE);
    } catch {
      perFile = null;
    }
  }
  return perFile;
}

function failed(name: string, what?: string): SyscallError {
  const n = errno();
  return new SyscallError(name, n, strerror(n), what);
}

/** `AT_FDCWD`: resolve relative paths from the working directory. */
export const AT_FDCWD = -100;

/** `open` flags used by the sandbox. */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOFOLLOW: 0o400000,
  DIRECTORY: 0o200000,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

/** `openat2` resolve flags. */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
} as const;

/** `close_range` flag: mark the range close-on-exec instead of closing it. */
export const CLOSE_RANGE_CLOEXEC = 1 << 2;

/** `fcntl` commands. */
export const F = {
  /** Duplicate to the lowest free fd at or above the argument, close-on-exec. */
  DUPFD_CLOEXEC: 1030,
  /** Set the file status flags (`O_NONBLOCK`). */
  SETFL: 4,
  /** Set the capacity of a pipe, in bytes. */
  SETPIPE_SZ: 1031,
  /** The capacity of a pipe, in bytes (fails on anything else). */
  GETPIPE_SZ: 1032,
} as const;

/** `chdir(path)`. */
export function chdir(path: string): void {
  call("chdir", [cstring(path)], path);
}

// linkat is the one call made thousands of times (a hermetic sysroot has a
// hard link per file), so it has its own symbol, called through the FFI fast
// path with two reused path buffers instead of a fresh C string per call.
let linkatFn: ((a: number, b: Uint8Array, c: number, d: Uint8Array, e: number) => number) | undefined;
const linkOld = new Uint8Array(4096);
const linkNew = new Uint8Array(4096);

function fill(buf: Uint8Array, s: string): Uint8Array {
  const { read, written } = encoder.encodeInto(s, buf);
  if (read !== s.length || written >= buf.length) return cstring(s);
  buf[written] = 0;
  return buf;
}

/**
 * `linkat(oldDir, oldPath, newDir, newPath, flags)` without throwing: 0, or
 * the errno of the failure (for loops where failures are expected answers).
 */
export function tryLinkat(oldDir: number, oldPath: string, newDir: number, newPath: string, flags = 0): number {
  linkatFn ??= openLibrary({ linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" } }).linkat;
  const a = fill(linkOld, oldPath);
  const b = newPath === oldPath ? a : fill(linkNew, newPath);
  return linkatFn(oldDir, a, newDir, b, flags) === -1 ? errno() : 0;
}

/** `linkat(oldDir, oldPath, newDir, newPath, flags)`: a hard link (a symlink is linked itself, not followed). */
export function linkat(oldDir: number, oldPath: string, newDir: number, newPath: string, flags = 0): void {
  const n = tryLinkat(oldDir, oldPath, newDir, newPath, flags);
  if (n !== 0) throw new SyscallError("linkat", n, strerror(n), newPath);
}

/** `mkdirat(dir, path, mode)`. */
export function mkdirat(dir: number, path: string, mode: number): void {
  call("mkdirat", [dir, cstring(path), mode], path);
}

/** `symlinkat(target, dir, path)`. */
export function symlinkat(target: string, dir: number, path: string): void {
  call("symlinkat", [cstring(target), dir, cstring(path)], path);
}

/** `openat(dir, path, flags, mode)`: returns the new file descriptor. */
export function openat(dir: number, path: string, flags: number, mode = 0): number {
  return call("openat", [dir, cstring(path), flags, mode], path);
}

/** `openat2(dir, path, {flags, mode, resolve})`: returns the new file descriptor. */
export function openat2(dir: number, path: string, flags: number, resolve: number, mode = 0): number {
  const how = new BigUint64Array([BigInt(flags), BigInt(mode), BigInt(resolve)]);
  return call("openat2", [dir, cstring(path), how, how.byteLength], path);
}

/** `close(fd)`. */
export function close(fd: number): void {
  call("close", [fd]);
}

/** `close_range(first, last, flags)`. */
export function closeRange(first: number, last: number, flags: number): void {
  call("close_range", [first, last, flags]);
}

/** `dup2(old, new)` (as `dup3`, which every architecture has). */
export function dup2(oldFd: number, newFd: number): void {
  if (oldFd !== newFd) call("dup3", [oldFd, newFd, 0]);
}

/** `fcntl(fd, cmd, arg)`; returns the call's result. */
export function fcntl(fd: number, cmd: number, arg: number): number {
  return call("fcntl", [fd, cmd, arg]);
}

/** `write(fd, bytes)` until everything is written (retrying on EINTR). */
export function writeAll(fd: number, bytes: Uint8Array<ArrayBuffer>): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += call("write", [fd, bytes.subarray(off), bytes.length - off]);
    } catch (err) {
      if (err instanceof SyscallError && err.errno === ERRNO.EINTR) continue;
      throw err;
    }
  }
}

/**
 * `read(fd, buf)` once (retrying on EINTR): the number of bytes read, 0 at
 * end of file. `buf` may be a view of shared memory.
 */
export function read(fd: number, buf: Uint8Array): number {
  for (;;) {
    try {
      return call("read", [fd, addressOf(buf), buf.length]);
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === ERRNO.EINTR)) throw err;
    }
  }
}

/** `statfs(path)`: the file system type (`f_type`) of `path`, or `undefined` when it cannot be told. */
export function fileSystemType(path: string): number | undefined {
  // struct statfs is 120 bytes on 64-bit Linux; f_type (a long) comes first.
  const buf = new BigInt64Array(16);
  try {
    call("statfs", [cstring(path), new Uint8Array(buf.buffer)], path);
  } catch {
    return undefined;
  }
  return Number(BigInt.asUintN(32, buf[0]));
}

/** `statfs(path)`: the file system's free blocks for unprivileged writers (`f_bavail`), or `undefined`. */
export function freeBlocks(path: string): number | undefined {
  // struct statfs on 64-bit Linux: f_type, f_bsize, f_blocks, f_bfree, f_bavail, ... (each a long).
  const buf = new BigInt64Array(16);
  try {
    call("statfs", [cstring(path), new Uint8Array(buf.buffer)], path);
  } catch {
    return undefined;
  }
  return Number(buf[4]);
}

/** What `statfs` tells of a file system's room: bytes and inodes an unprivileged user may still take. */
export interface FileSystemSpace {
  /** Bytes free for unprivileged users (`f_bavail` × `f_bsize`). */
  readonly bytes: number;
  /** Inodes free (`f_ffree`), or `undefined` when the file system has no fixed number (`f_files` is 0). */
  readonly inodes?: number;
}

/** `statfs(path)`: the room left on the file system of `path`, or `undefined` when it cannot be told. */
export function fileSystemSpace(path: string): FileSystemSpace | undefined {
  // struct statfs on 64-bit Linux: f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree (longs).
  const buf = new BigInt64Array(16);
  try {
    call("statfs", [cstring(path), new Uint8Array(buf.buffer)], path);
  } catch {
    return undefined;
  }
  const files = buf[5];
  return {
    bytes: Number(BigInt.asUintN(64, buf[4]) * BigInt.asUintN(64, buf[1])),
    inodes: files === 0n ? undefined : Number(BigInt.asUintN(64, buf[6])),
  };
}

/** `flock` operations. */
export const LOCK = { EX: 2, NB: 4, UN: 8 } as const;

/**
 * `flock(fd, op)`, retrying on EINTR. With `LOCK.NB` in `op`, returns false
 * when another open file holds a conflicting lock; otherwise true once held.
 */
export function flock(fd: number, op: number): boolean {
  for (;;) {
    try {
      call("flock", [fd, op]);
      return true;
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      if (err.errno === ERRNO.EAGAIN && (op & LOCK.NB) !== 0) return false;
      if (err.errno !== ERRNO.EINTR) throw err;
    }
  }
}

/** `*at` flags. */
export const AT = {
  /** Do not follow a final symbolic link. */
  SYMLINK_NOFOLLOW: 0x100,
  /** `unlinkat`: remove a directory. */
  REMOVEDIR: 0x200,
  /** Act on the descriptor itself when the path is empty. */
  EMPTY_PATH: 0x1000,
} as const;

/** `S_IFMT` file types of a mode. */
export const S = {
  FMT: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  FIFO: 0o010000,
} as const;

/** What `statx` says about a file (the fields kiln uses). */
export interface Stat {
  /** Type and permission bits (`S_IFMT | 07777`). */
  readonly mode: number;
  /** Number of hard links. */
  readonly nlink: number;
  /** Owner. */
  readonly uid: number;
  /** Group. */
  readonly gid: number;
  /** Inode number. */
  readonly ino: bigint;
  /** Size in bytes. */
  readonly size: number;
  /** Modification time, whole seconds. */
  readonly mtime: number;
  /** The device, as `major:minor`. */
  readonly dev: string;
}

/**
 * `statx(dir, path, flags)` with the basic fields; `AT.EMPTY_PATH` and an
 * empty `path` give the descriptor's own file (an `fstat`).
 */
export function statx(dir: number, path: string, flags: number): Stat {
  const buf = new Uint8Array(256);
  const lib = perFileCalls();
  if (lib === null) call("statx", [dir, cstring(path), flags, 0x7ff, buf], path);
  else if (lib.statx(dir, cstring(path), flags, 0x7ff, buf) === -1) throw failed("statx", path);
  const v = new DataView(buf.buffer);
  return {
    nlink: v.getUint32(16, true),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    mode: v.getUint16(28, true),
    ino: v.getBigUint64(32, true),
    size: Number(v.getBigUint64(40, true)),
    mtime: Number(v.getBigInt64(112, true)),
    dev: `${v.getUint32(136, true)}:${v.getUint32(140, true)}`,
  };
}

/** `fstat(fd)` (as `statx` with `AT_EMPTY_PATH`). */
export function fstat(fd: number): Stat {
  return statx(fd, "", AT.EMPTY_PATH);
}

/** `unlinkat(dir, path, flags)`: removes the name (a symbolic link itself, never its target). */
export function unlinkat(dir: number, path: string, flags = 0): void {
  call("unlinkat", [dir, cstring(path), flags], path);
}

/** `readlinkat(dir, path)`: the target of a symbolic link. */
export function readlinkat(dir: number, path: string): string {
  const buf = new Uint8Array(4097);
  const n = call("readlinkat", [dir, cstring(path), buf, buf.length], path);
  if (n >= buf.length) throw new SyscallError("readlinkat", ERRNO.EINVAL, "link target too long", path);
  return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, n));
}

/** `pread(fd, buf, offset)` once (retrying on EINTR): bytes read, 0 at end of file. */
export function pread(fd: number, buf: Uint8Array, offset: number): number {
  const lib = perFileCalls();
  for (;;) {
    try {
      if (lib === null) return call("pread64", [fd, addressOf(buf), buf.length, offset]);
      const n = Number(lib.pread(fd, buf, BigInt(buf.length), BigInt(offset)));
      if (n === -1) throw failed("pread");
      return n;
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === ERRNO.EINTR)) throw err;
    }
  }
}

/** `ftruncate(fd, length)`. */
export function ftruncate(fd: number, length: number): void {
  call("ftruncate", [fd, length]);
}

/** `d_type` of a directory entry: unknown, FIFO, character device, directory, block device, file, link, socket. */
export const DIRENT_TYPE = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 } as const;

/**
 * Every entry of the open directory `fd` but `.` and `..`, as raw name
 * bytes with their `d_type` (`getdents64`). The descriptor's position is
 * left at the end.
 */
export function getdents(fd: number): { name: Uint8Array; type: number }[] {
  const buf = new Uint8Array(64 * 1024);
  const out: { name: Uint8Array; type: number }[] = [];
  for (;;) {
    const n = call("getdents64", [fd, buf, buf.length]);
    if (n === 0) return out;
    // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
    for (let off = 0; off < n; off += buf[off + 16] | (buf[off + 17] << 8)) {
      let end = off + 19;
      while (buf[end] !== 0) end++;
      const name = buf.slice(off + 19, end);
      if ((name.length === 1 && name[0] === 0x2e) || (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e)) {
        continue;
      }
      out.push({ name, type: buf[off + 18] });
    }
  }
}

/**
 * `openat(dir, path, flags, mode)` through its own symbol (see above), for
 * the opens made once per file: returns the new descriptor.
 */
export function openatFile(dir: number, path: string, flags: number, mode = 0): number {
  const lib = perFileCalls();
  if (lib === null) return openat(dir, path, flags, mode);
  const fd = lib.openat(dir, cstring(path), flags, mode);
  if (fd === -1) throw failed("openat", path);
  return fd;
}

/** `close(fd)` through its own symbol (see {@linkcode openatFile}). */
export function closeFile(fd: number): void {
  const lib = perFileCalls();
  if (lib === null) return close(fd);
  if (lib.close(fd) === -1) throw failed("close");
}

/** `renameat(oldDir, oldPath, newDir, newPath)` (as `renameat2` with no flags, which every architecture has). */
export function renameat(oldDir: number, oldPath: string, newDir: number, newPath: string): void {
  call("renameat2", [oldDir, cstring(oldPath), newDir, cstring(newPath), 0], newPath);
}

/** `fdatasync(fd)`: flush a file's data to its disk. */
export function fdatasync(fd: number): void {
  call("fdatasync", [fd]);
}
