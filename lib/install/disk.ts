/**
 * What is on disk at the paths a transaction touches, learnt with one
 * directory read per directory instead of one `stat` per file.
 *
 * @module
 */

import { DT, readDirectory } from "../../ffi/dir.ts";

/** Kinds of things found on disk. */
export type DiskKind = "missing" | "directory" | "file" | "symlink";

/** A cached view of directories in a root (host paths). */
export class DiskView {
  readonly #listings = new Map<string, Map<string, DiskKind>>();
  readonly #created = new Set<string>();

  #listing(dir: string): Map<string, DiskKind> {
    let list = this.#listings.get(dir);
    if (list) return list;
    list = new Map();
    if (!this.#created.has(dir)) readKinds(dir, list);
    this.#listings.set(dir, list);
    return list;
  }

  /** What the host directory `dir` holds, by name (empty when it is missing or about to be created). */
  entries(dir: string): ReadonlyMap<string, DiskKind> {
    return this.#listing(dir);
  }

  /** What is at the host path `path` (not following a final symbolic link). */
  kind(path: string): DiskKind {
    const slash = path.lastIndexOf("/");
    return this.#listing(slash === 0 ? "/" : path.slice(0, slash)).get(path.slice(slash + 1)) ?? "missing";
  }

  /** Record that the transaction will create directory `path` (it starts empty). */
  willCreate(path: string): void {
    this.#created.add(path);
    const slash = path.lastIndexOf("/");
    this.#listing(slash === 0 ? "/" : path.slice(0, slash)).set(path.slice(slash + 1), "directory");
  }
}

/** {@linkcode DiskKind} by `d_type`. */
const KINDS: readonly DiskKind[] = Array.from(
  { length: 16 },
  (_, type) => type === DT.LNK ? "symlink" : type === DT.DIR ? "directory" : "file",
);

/** Fill `list` with what directory `dir` holds; a directory that cannot be read holds nothing. */
function readKinds(dir: string, list: Map<string, DiskKind>): void {
  const read = readDirectory(dir, list, KINDS, (name) => kindOf(`${dir}/${name}`));
  if (read === false) list.clear();
  if (read !== undefined) return;
  // Without the C library.
  try {
    for (const e of Deno.readDirSync(dir)) {
      list.set(e.name, e.isSymlink ? "symlink" : e.isDirectory ? "directory" : "file");
    }
  } catch {
    list.clear();
  }
}

/** What is at `path` by `lstat`, where the directory listing does not say (as `Deno.readDirSync` does then). */
function kindOf(path: string): DiskKind {
  try {
    const info = Deno.lstatSync(path);
    return info.isSymlink ? "symlink" : info.isDirectory ? "directory" : "file";
  } catch {
    return "file";
  }
}
