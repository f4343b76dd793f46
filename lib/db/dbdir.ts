/**
 * kiss's database directory of a root, `<root>/var/db/kiss`, opened as a
 * checked directory descriptor, and kiln's own files in it (the lock, the
 * journal, the owner index) opened from that descriptor without following
 * a symbolic link. The root's path is trusted; what is beneath it is not:
 * `var`, `var/db` and `var/db/kiss` are each opened with `O_NOFOLLOW`, so a
 * link planted in their place (by a package, or anything else) is refused
 * rather than followed out of the root. Temporary files get unpredictable
 * names and are created with `O_EXCL`, then renamed into place.
 *
 * Where the C library cannot be called, the same checks are made with
 * `lstat` before each path is used.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { AT_FDCWD, close, fdatasync, mkdirat, O, openat, read, renameat, writeAll } from "../../ffi/fs.ts";
import { ERRNO, haveLibrary, SyscallError } from "../../ffi/libc.ts";

/** The components below the root that lead to the database, each opened without following a link. */
const DB_COMPONENTS = ["var", "db", "kiss"];

/** How a descriptor of the database directory is opened. */
const DIR_FLAGS = O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;

function isErrno(err: unknown, ...codes: number[]): boolean {
  return err instanceof SyscallError && codes.includes(err.errno);
}

function notADirectory(path: string): KilnError {
  return new KilnError(
    `${path} is a symbolic link or not a directory; kiln does not follow links into kiss's database`,
    {
      hint: "kiss's database must be a real directory of the root: put the directory itself in place of the link",
    },
  );
}

/** A random suffix for a temporary name (nobody can guess it ahead to plant a link there). */
export function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The database directory of a root, open (see the module documentation); {@linkcode close} when done. */
export class DatabaseDir {
  /** The directory's descriptor (-1 where the C library cannot be called). */
  readonly fd: number;
  /** The directory's path (for messages, and where the C library cannot be called). */
  readonly path: string;

  private constructor(fd: number, path: string) {
    this.fd = fd;
    this.path = path;
  }

  /**
   * Open the database directory `dbRoot` (`<root>/var/db/kiss`; made, with
   * its parents, when `create` and missing). Throws {@linkcode KilnError}
   * when a component below the root is a link or not a directory (any other
   * failure as the call's error); returns undefined when it is missing and
   * not to be made.
   */
  static open(dbRoot: string, create: boolean): DatabaseDir | undefined {
    const parts = dbRoot.split("/");
    // The root's own path is trusted; `var/db/kiss` below it (or the last component of another path) is not.
    const checked = dbRoot.endsWith(`/${DB_COMPONENTS.join("/")}`) ? DB_COMPONENTS.length : 1;
    const base = parts.slice(0, parts.length - checked).join("/") || "/";
    const names = parts.slice(parts.length - checked);
    if (!haveLibrary()) return DatabaseDir.#openByPath(dbRoot, base, names, create);
    let fd: number;
    try {
      // The root itself is made when missing (its path is the user's word, followed as given).
      if (create) Deno.mkdirSync(base, { recursive: true });
      fd = openat(AT_FDCWD, base, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
    } catch (err) {
      if (isErrno(err, ERRNO.ENOENT) && !create) return undefined;
      throw err;
    }
    let path = base === "/" ? "" : base;
    for (const name of names) {
      path += `/${name}`;
      let next: number;
      try {
        next = openDirAt(fd, name, path, create);
      } catch (err) {
        close(fd);
        if (err === MISSING) return undefined;
        throw err;
      }
      close(fd);
      fd = next;
    }
    return new DatabaseDir(fd, dbRoot);
  }

  static #openByPath(dbRoot: string, base: string, names: string[], create: boolean): DatabaseDir | undefined {
    if (create) Deno.mkdirSync(base, { recursive: true });
    let path = base === "/" ? "" : base;
    for (const name of names) {
      path += `/${name}`;
      let info: Deno.FileInfo | undefined;
      try {
        info = Deno.lstatSync(path);
      } catch { /* missing */ }
      if (info === undefined) {
        if (!create) return undefined;
        Deno.mkdirSync(path, { mode: 0o755 });
      } else if (!info.isDirectory) throw notADirectory(path);
    }
    return new DatabaseDir(-1, dbRoot);
  }

  /**
   * Throw {@linkcode KilnError} when any of the directories `names` of the
   * database directory (`installed`, `choices`, `.kiln-tx`) is there but is
   * a link or not a directory: kiln reads and writes below them by path.
   */
  checkDirectories(names: readonly string[]): void {
    for (const name of names) {
      const path = this.pathOf(name);
      if (this.fd < 0) {
        try {
          if (!Deno.lstatSync(path).isDirectory) throw notADirectory(path);
        } catch (err) {
          if (err instanceof KilnError) throw err;
        }
        continue;
      }
      try {
        close(openat(this.fd, name, DIR_FLAGS));
      } catch (err) {
        if (isErrno(err, ERRNO.ELOOP, ERRNO.ENOTDIR)) throw notADirectory(path);
        if (!isErrno(err, ERRNO.ENOENT)) throw err;
      }
    }
  }

  /** Close the directory. */
  close(): void {
    if (this.fd >= 0) close(this.fd);
  }

  /** The path of the file `name` of the directory (for messages). */
  pathOf(name: string): string {
    return `${this.path}/${name}`;
  }

  /**
   * Open the file `name` of the directory with `flags` (`O_NOFOLLOW` and
   * `O_CLOEXEC` are added): a link there is refused, not followed. Throws
   * {@linkcode KilnError} for a link, {@linkcode SyscallError} otherwise.
   * Needs the C library.
   */
  openFile(name: string, flags: number, mode = 0o644): number {
    if (name.includes("/")) throw new Error(`not a file name of the database directory: ${name}`);
    try {
      return openat(this.fd, name, flags | O.NOFOLLOW | O.CLOEXEC, mode);
    } catch (err) {
      if (isErrno(err, ERRNO.ELOOP)) throw isLink(this.pathOf(name));
      throw err;
    }
  }

  /** The contents of the file `name`, or undefined when there is none; a link there is refused. */
  read(name: string): Uint8Array | undefined {
    if (this.fd < 0) {
      checkNotLink(this.pathOf(name));
      try {
        return Deno.readFileSync(this.pathOf(name));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        throw err;
      }
    }
    let fd: number;
    try {
      fd = this.openFile(name, O.RDONLY);
    } catch (err) {
      if (isErrno(err, ERRNO.ENOENT)) return undefined;
      throw err;
    }
    try {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const buf = new Uint8Array(size < 65536 ? 65536 : size);
        const n = read(fd, buf);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        size += n;
      }
      if (chunks.length === 1) return chunks[0];
      const out = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    } finally {
      close(fd);
    }
  }

  /**
   * Write `bytes` as the file `name`, whole or not at all: to a new file of
   * an unpredictable name (`O_EXCL`), flushed when `sync`, then renamed over
   * `name` (a link there is replaced, not followed).
   */
  replace(name: string, bytes: Uint8Array<ArrayBuffer>, sync: boolean): void {
    const tmp = `${name}.${randomSuffix()}.tmp`;
    if (this.fd < 0) {
      const f = Deno.openSync(this.pathOf(tmp), { write: true, createNew: true, mode: 0o644 });
      try {
        let done = 0;
        while (done < bytes.length) done += f.writeSync(bytes.subarray(done));
        if (sync) f.syncDataSync();
      } finally {
        f.close();
      }
      Deno.renameSync(this.pathOf(tmp), this.pathOf(name));
      return;
    }
    const fd = this.openFile(tmp, O.WRONLY | O.CREAT | O.EXCL, 0o644);
    try {
      try {
        writeAll(fd, bytes);
        if (sync) fdatasync(fd);
      } finally {
        close(fd);
      }
      renameat(this.fd, tmp, this.fd, name);
    } catch (err) {
      try {
        Deno.removeSync(this.pathOf(tmp));
      } catch { /* not there */ }
      throw err;
    }
  }

  /** Append `bytes` to the existing file `name` (flushed when `sync`); a link there is refused. */
  append(name: string, bytes: Uint8Array<ArrayBuffer>, sync: boolean): void {
    if (this.fd < 0) {
      checkNotLink(this.pathOf(name));
      const f = Deno.openSync(this.pathOf(name), { append: true });
      try {
        f.writeSync(bytes);
        if (sync) f.syncDataSync();
      } finally {
        f.close();
      }
      return;
    }
    const fd = this.openFile(name, O.WRONLY | APPEND);
    try {
      writeAll(fd, bytes);
      if (sync) fdatasync(fd);
    } finally {
      close(fd);
    }
  }
}

/** `O_APPEND`. */
const APPEND = 0o2000;

const MISSING = new Error("missing");

/** Open (or make, when `create`) the directory `name` in `dir` without following a link; `path` names it. */
function openDirAt(dir: number, name: string, path: string, create: boolean): number {
  for (let attempt = 0;; attempt++) {
    try {
      return openat(dir, name, DIR_FLAGS);
    } catch (err) {
      if (isErrno(err, ERRNO.ELOOP, ERRNO.ENOTDIR)) throw notADirectory(path);
      if (!isErrno(err, ERRNO.ENOENT) || attempt > 0) throw err;
      if (!create) throw MISSING;
    }
    try {
      mkdirat(dir, name, 0o755);
    } catch (err) {
      if (!isErrno(err, ERRNO.EEXIST)) throw err;
    }
  }
}

function isLink(path: string): KilnError {
  return new KilnError(`${path} is a symbolic link; kiln does not follow links for its own files`, {
    hint: "nothing but kiln puts files there: delete the link, then run the command again",
  });
}

function checkNotLink(path: string): void {
  try {
    if (Deno.lstatSync(path).isSymlink) throw isLink(path);
  } catch (err) {
    if (err instanceof KilnError) throw err;
  }
}
