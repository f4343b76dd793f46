/**
 * A package directory opened as a directory descriptor: every look, read,
 * write and removal kiln makes in what a build wrote (`$1`, SPEC §6.3) goes
 * through here, so that no symbolic link the build left can lead kiln out of
 * the directory.
 *
 * The build controls every name below the package directory and may leave
 * any of them a symbolic link (to `/etc`, say), or keep a process running that
 * swaps a directory for a link while kiln works. So:
 *
 * - the package directory itself is opened once, with `O_NOFOLLOW`; every
 *   other path is opened relative to that descriptor with `openat2` and
 *   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` (one
 *   component at a time with `O_NOFOLLOW` where the kernel has no
 *   `openat2`): a link anywhere on the path is refused, not followed;
 * - directories kiln needs (the database entry) are made with `mkdirat`
 *   relative to their parent's descriptor; a component that is a link or not
 *   a directory is an error naming it and what it points to;
 * - files kiln writes are created with `O_CREAT | O_EXCL | O_NOFOLLOW` after
 *   `unlinkat` of whatever the build left under that name (a link is removed,
 *   its target never touched);
 * - files kiln reads are opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO cannot
 *   stall the open) and checked with `fstat` on the descriptor: what is read
 *   is what was checked, never a name looked up twice.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { describeSpecial, type PackageEntry, readAll, typeOf, walkDirectory } from "./pkgwalk.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";
import {
  AT,
  close,
  closeFile,
  fstat,
  mkdirat,
  O,
  openat,
  openat2,
  openatFile,
  readlinkat,
  RESOLVE,
  S,
  type Stat,
  statx,
  unlinkat,
  writeAll,
} from "../../ffi/fs.ts";

export type { PackageEntry, Stat };
export { describeSpecial, readAll, S, typeOf };

/** `O_NOCTTY`: opening a terminal the build left does not make it kiln's. */
const NOCTTY = 0o400;
const RESOLVE_SAFE = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS;
/** Flags for reading a file the build wrote. */
export const READ_FLAGS = O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.CLOEXEC | NOCTTY;
const DIR_FLAGS = O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;

/** A package directory (or any directory a build wrote) held open by descriptor. */
export class PackageDir {
  #fd: number;
  #cached?: { rel: string; fd: number };
  /** Set when `openat2` is missing (kernels before 5.6): paths are walked one component at a time. */
  static #noOpenat2 = false;

  private constructor(readonly path: string, fd: number) {
    this.#fd = fd;
  }

  /** Open the directory `path` (not a link to one). Throws a KilnError naming it. */
  static open(path: string): PackageDir {
    try {
      return new PackageDir(path, openat(-100, path, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC));
    } catch (err) {
      let link = false;
      try {
        link = Deno.lstatSync(path).isSymlink;
      } catch { /* missing: the error says so */ }
      const why = link ? "it is a symbolic link" : (err as Error).message;
      throw new KilnError(`cannot open package directory ${path}: ${why}`, {
        hint: "the build must leave its package directory a directory; build again",
        cause: err,
      });
    }
  }

  /** The directory's descriptor (an `O_PATH` one). */
  get fd(): number {
    return this.#fd;
  }

  /** Close the descriptor. */
  close(): void {
    if (this.#cached !== undefined) closeFile(this.#cached.fd);
    this.#cached = undefined;
    if (this.#fd >= 0) close(this.#fd);
    this.#fd = -1;
  }

  /** Same as {@linkcode PackageDir.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Open `rel` (relative, no `..`) beneath the directory with `flags`,
   * following no link on the way or at the end. Throws a KilnError that
   * names the link the build left, or the {@linkcode SyscallError} of any
   * other failure (ENOENT for a missing path).
   */
  openBeneath(rel: string, flags: number, mode = 0): number {
    const parts = components(rel);
    try {
      if (!PackageDir.#noOpenat2) {
        try {
          return openat2(this.#fd, parts.join("/") || ".", flags | O.CLOEXEC, RESOLVE_SAFE, mode);
        } catch (err) {
          if (!(err instanceof SyscallError && err.errno === ERRNO.ENOSYS)) throw err;
          PackageDir.#noOpenat2 = true;
        }
      }
      return this.#walkOpen(parts, flags, mode);
    } catch (err) {
      if (err instanceof SyscallError && (err.errno === ERRNO.ELOOP || err.errno === ERRNO.EXDEV)) {
        throw this.linkError(rel);
      }
      throw err;
    }
  }

  #walkOpen(parts: string[], flags: number, mode: number): number {
    let dir = this.#fd;
    try {
      for (let i = 0; i < parts.length - 1; i++) {
        const next = openat(dir, parts[i], O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
        if (dir !== this.#fd) close(dir);
        dir = next;
      }
      return openat(dir, parts.at(-1) ?? ".", flags | O.NOFOLLOW | O.CLOEXEC, mode);
    } finally {
      if (dir !== this.#fd) close(dir);
    }
  }

  /**
   * The error for a path of the build that leads through a symbolic link:
   * names the first link on `rel` and its target.
   */
  linkError(rel: string, doing = "follow"): KilnError {
    const parts = components(rel);
    let at = "";
    for (const part of parts) {
      at = at === "" ? part : `${at}/${part}`;
      const parent = at.includes("/") ? at.slice(0, at.lastIndexOf("/")) : "";
      let target: string | undefined;
      try {
        const fd = parent === "" ? this.#fd : this.openBeneath(parent, O.PATH | O.DIRECTORY);
        try {
          if (typeOf(statx(fd, part, AT.SYMLINK_NOFOLLOW).mode) === "symlink") target = readlinkat(fd, part);
        } finally {
          if (fd !== this.#fd) close(fd);
        }
      } catch {
        break;
      }
      if (target !== undefined) {
        return new KilnError(
          `the build left ${at} as a symbolic link to ${target} in ${this.path}; ` +
            `kiln does not ${doing} links a build made (needed: ${rel})`,
          {
            hint: `change the build script so that ${at} is a real ${at === rel ? "file" : "directory"} of the package`,
          },
        );
      }
    }
    return new KilnError(`${this.path}/${rel} changed into a symbolic link while kiln read it`, {
      hint: "make sure nothing the build started still runs, then build again",
    });
  }

  /** `statx` of `rel` itself (a link is not followed; none on the way is either); `undefined` when missing. */
  stat(rel: string): Stat | undefined {
    const parts = components(rel);
    const parent = parts.slice(0, -1).join("/");
    let fd: number;
    try {
      fd = parent === "" ? this.#fd : this.openBeneath(parent, O.PATH | O.DIRECTORY);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      return statx(fd, parts.at(-1)!, AT.SYMLINK_NOFOLLOW);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    } finally {
      if (fd !== this.#fd) close(fd);
    }
  }

  /** The target of the link `rel` (looked up beneath, no link followed on the way). */
  readLink(rel: string): string {
    const parts = components(rel);
    const dir = parts.length === 1 ? this.#fd : this.#directory(parts.slice(0, -1).join("/"));
    return readlinkat(dir, parts.at(-1)!);
  }

  /**
   * Make the directory `rel` and the directories leading to it, each with
   * `mkdirat` relative to its parent. A component the build left as a link or
   * as anything but a directory is refused, naming it. Returns an `O_PATH`
   * descriptor of the directory (the caller closes it).
   */
  makeDirectories(rel: string, mode = 0o755): number {
    let dir = this.#fd;
    let at = "";
    try {
      for (const part of components(rel)) {
        at = at === "" ? part : `${at}/${part}`;
        try {
          mkdirat(dir, part, mode);
        } catch (err) {
          if (!(err instanceof SyscallError && err.errno === ERRNO.EEXIST)) throw err;
        }
        let next: number;
        try {
          next = openat(dir, part, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
        } catch (err) {
          if (!(err instanceof SyscallError && (err.errno === ERRNO.ELOOP || err.errno === ERRNO.ENOTDIR))) throw err;
          const st = statx(dir, part, AT.SYMLINK_NOFOLLOW);
          if (typeOf(st.mode) === "symlink") {
            throw new KilnError(
              `the build left ${at} as a symbolic link to ${readlinkat(dir, part)} in ${this.path}; ` +
                `a package may not replace the directories kiln writes its database entry into`,
              { hint: `change the build script so that it leaves ${at} a directory (or does not make it)` },
            );
          }
          throw new KilnError(`the build left ${at} in ${this.path} as a ${typeOf(st.mode)}, not a directory`, {
            hint: `change the build script so that it leaves ${at} a directory (or does not make it)`,
          });
        }
        if (dir !== this.#fd) close(dir);
        dir = next;
      }
    } catch (err) {
      if (dir !== this.#fd) close(dir);
      throw err;
    }
    return dir === this.#fd ? openat(this.#fd, ".", O.PATH | O.DIRECTORY | O.CLOEXEC) : dir;
  }

  /**
   * Replace whatever is at `name` in the directory `dirFd` (a descriptor from
   * {@linkcode PackageDir.makeDirectories}) with a new file of `bytes`: the
   * old name is unlinked (a link itself, never its target), the new file made
   * with `O_CREAT | O_EXCL | O_NOFOLLOW`.
   */
  static replaceFile(dirFd: number, name: string, bytes: Uint8Array, mode = 0o644): void {
    removeName(dirFd, name);
    const fd = openat(dirFd, name, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC, mode);
    try {
      writeAll(fd, bytes as Uint8Array<ArrayBuffer>);
    } finally {
      close(fd);
    }
  }

  /** Remove the file or link `rel` (never a link's target); a missing one is fine. */
  unlink(rel: string): void {
    const parts = components(rel);
    const parent = parts.slice(0, -1).join("/");
    const fd = parent === "" ? this.#fd : this.openBeneath(parent, O.PATH | O.DIRECTORY);
    try {
      removeName(fd, parts.at(-1)!);
    } finally {
      if (fd !== this.#fd) close(fd);
    }
  }

  /**
   * Open the regular file `rel` for reading: `O_NOFOLLOW | O_NONBLOCK`, then
   * `fstat` of the descriptor. Resolves to the descriptor and its stat, or
   * `undefined` when nothing is there; a link or special file is a KilnError.
   */
  openFile(rel: string, flags = READ_FLAGS): { fd: number; stat: Stat } | undefined {
    const parts = components(rel);
    let fd: number;
    try {
      const dir = parts.length === 1 ? this.#fd : this.#directory(parts.slice(0, -1).join("/"));
      fd = openatFile(dir, parts.at(-1)!, flags | O.NOFOLLOW | O.CLOEXEC);
    } catch (err) {
      if (isMissing(err)) return undefined;
      if (err instanceof SyscallError && err.errno === ERRNO.ELOOP) throw this.linkError(rel);
      throw err;
    }
    const st = fstat(fd);
    if (typeOf(st.mode) !== "file") {
      closeFile(fd);
      throw new KilnError(`${this.path}/${rel} is ${describeSpecial(st.mode)}, not a file`, {
        hint: "packages hold files, directories and links; remove it in the build script",
      });
    }
    return { fd, stat: st };
  }

  /**
   * An `O_PATH` descriptor of the directory `rel`, opened beneath (no link
   * followed) and kept for the next call: files are mostly opened one
   * directory after another.
   */
  #directory(rel: string): number {
    if (this.#cached?.rel === rel) return this.#cached.fd;
    const fd = this.openBeneath(rel, O.PATH | O.DIRECTORY);
    if (this.#cached !== undefined) closeFile(this.#cached.fd);
    this.#cached = { rel, fd };
    return fd;
  }

  /** The bytes of the regular file `rel` (see {@linkcode PackageDir.openFile}); `undefined` when missing. */
  readFile(rel: string): Uint8Array | undefined {
    const opened = this.openFile(rel);
    if (opened === undefined) return undefined;
    try {
      return readAll(opened.fd, opened.stat.size, `${this.path}/${rel}`);
    } finally {
      closeFile(opened.fd);
    }
  }

  /**
   * Every entry below the directory, parents before children (each
   * directory's entries in the order `cmp` gives): directories are opened
   * from their parent's descriptor with `O_NOFOLLOW`, entries examined with
   * `statx` relative to it, link targets read with `readlinkat`. `skip`
   * prunes directories (by relative path); `under` walks only that
   * directory (opened beneath, no link followed).
   */
  walk(cmp: (a: string, b: string) => number, skip?: (rel: string) => boolean, under = ""): PackageEntry[] {
    const root = under === "" ? openat(this.#fd, ".", DIR_FLAGS) : this.openBeneath(under, DIR_FLAGS);
    try {
      return walkDirectory(root, components(under).join("/"), this.path, cmp, skip);
    } finally {
      close(root);
    }
  }
}

function removeName(dirFd: number, name: string): void {
  try {
    unlinkat(dirFd, name);
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
}

/** The components of a relative path; `..`, `.` and empty ones are refused. */
function components(rel: string): string[] {
  const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new KilnError(`${rel}: a package path may not contain '..'`);
  return parts;
}

function isMissing(err: unknown): boolean {
  return err instanceof SyscallError && err.errno === ERRNO.ENOENT;
}
