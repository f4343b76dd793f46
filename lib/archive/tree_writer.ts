/**
 * Writes archive entries into a directory tree — and nowhere else.
 *
 * Every entry lands under the root: a path that would pass through a
 * symbolic link (one made by this extraction or one found on disk) is
 * refused, a hard link may only name a file this extraction wrote, and an
 * existing file is unlinked before a new one is written in its place, so no
 * write ever goes into an inode that was there before.
 *
 * The writes are the fewest system calls that do the job: one exclusive
 * create, the writes, a chmod only when the umask would have changed the
 * mode, one futimens, close. Directory modes and times are set at the end,
 * deepest first, so that a read-only directory can still be filled.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { parentPath } from "./entry_path.ts";

type Kind = "dir" | "file" | "symlink";

/** Mode of directories while they are being filled. */
const WORKING_DIR_MODE = 0o755;

function escapeError(archive: string, entry: string, through: string): KilnError {
  return new KilnError(
    `${archive}: entry ${JSON.stringify(entry)} would be written through the symbolic link ${JSON.stringify(through)}`,
    { hint: "the archive tries to write outside the directory it is extracted into; it is refused" },
  );
}

/** Writes entries under one root directory, which must exist. */
export class TreeWriter {
  #known = new Map<string, Kind>([[".", "dir"]]);
  #dirs: { path: string; mode: number; mtime: number }[] = [];
  #umask: number;

  /**
   * @param root the directory to write into
   * @param archive the archive's name, for error messages
   */
  constructor(readonly root: string, readonly archive: string) {
    this.#umask = Deno.umask();
  }

  #full(path: string): string {
    return path === "." ? this.root : `${this.root}/${path}`;
  }

  /** Makes sure `path`'s parent is a real directory under the root, creating it if needed. */
  #parent(path: string, entry: string): void {
    const parent = parentPath(path);
    const kind = this.#known.get(parent);
    if (kind === "dir") return;
    if (kind === "symlink") throw escapeError(this.archive, entry, parent);
    if (kind === "file") {
      throw new KilnError(
        `${this.archive}: entry ${JSON.stringify(entry)} is under ${JSON.stringify(parent)}, a file`,
        {
          hint: "the archive is inconsistent; it cannot be extracted",
        },
      );
    }
    this.#parent(parent, entry);
    const full = this.#full(parent);
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.lstatSync(full);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (info === undefined) {
      Deno.mkdirSync(full, { mode: WORKING_DIR_MODE });
    } else if (info.isSymlink) {
      throw escapeError(this.archive, entry, parent);
    } else if (!info.isDirectory) {
      throw new KilnError(
        `${this.archive}: entry ${JSON.stringify(entry)} is under ${JSON.stringify(parent)}, a file`,
        {
          hint: "remove the file, or extract into an empty directory",
        },
      );
    }
    this.#known.set(parent, "dir");
  }

  /** Removes whatever is at `path` (not following links); a non-empty directory is an error. */
  #clear(path: string, entry: string): void {
    try {
      Deno.removeSync(this.#full(path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw new KilnError(`${this.archive}: cannot replace ${JSON.stringify(entry)}: ${(err as Error).message}`, {
        hint: "a directory of that name is in the way; extract into an empty directory",
      });
    }
    this.#known.delete(path);
  }

  /** Writes a regular file. */
  file(path: string, entry: string, body: Uint8Array, mode: number, mtime: number): void {
    this.#parent(path, entry);
    const full = this.#full(path);
    const perm = mode & 0o1777;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(full, { write: true, createNew: true, mode: perm });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      this.#clear(path, entry);
      file = Deno.openSync(full, { write: true, createNew: true, mode: perm });
    }
    try {
      let written = 0;
      while (written < body.length) written += file.writeSync(body.subarray(written));
      if ((perm & ~this.#umask) !== perm) Deno.chmodSync(full, perm);
      file.utimeSync(mtime, mtime);
    } finally {
      file.close();
    }
    this.#known.set(path, "file");
  }

  /** Makes a directory; its mode and time are applied by {@linkcode finish}. */
  directory(path: string, entry: string, mode: number, mtime: number): void {
    if (path !== ".") {
      this.#parent(path, entry);
      if (this.#known.get(path) !== "dir") {
        const full = this.#full(path);
        try {
          Deno.mkdirSync(full, { mode: WORKING_DIR_MODE });
        } catch (err) {
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
          const info = Deno.lstatSync(full);
          if (!info.isDirectory) {
            this.#clear(path, entry);
            Deno.mkdirSync(full, { mode: WORKING_DIR_MODE });
          }
        }
        this.#known.set(path, "dir");
      }
    }
    this.#dirs.push({ path, mode: mode & 0o1777, mtime });
  }

  /** Makes a symbolic link (its target is stored as is; nothing is ever written through it). */
  symlink(path: string, entry: string, target: string): void {
    this.#parent(path, entry);
    const full = this.#full(path);
    try {
      Deno.symlinkSync(target, full);
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      this.#clear(path, entry);
      Deno.symlinkSync(target, full);
    }
    this.#known.set(path, "symlink");
  }

  /** Makes a hard link to a file written earlier by this writer. */
  hardlink(path: string, entry: string, target: string, rawTarget: string): void {
    if (this.#known.get(target) !== "file") {
      throw new KilnError(
        `${this.archive}: hard link ${JSON.stringify(entry)} points to ${
          JSON.stringify(rawTarget)
        }, which is not a file extracted before it`,
        { hint: "a hard link may only name a file earlier in the same archive; the archive is refused" },
      );
    }
    this.#parent(path, entry);
    const full = this.#full(path);
    try {
      Deno.linkSync(this.#full(target), full);
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      this.#clear(path, entry);
      Deno.linkSync(this.#full(target), full);
    }
    this.#known.set(path, "file");
  }

  /** Applies directory modes and times, deepest first. */
  finish(): void {
    const dirs = this.#dirs.sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0));
    for (const { path, mode, mtime } of dirs) {
      const full = this.#full(path);
      if (mode !== (WORKING_DIR_MODE & ~this.#umask)) Deno.chmodSync(full, mode);
      Deno.utimeSync(full, mtime, mtime);
    }
  }
}
