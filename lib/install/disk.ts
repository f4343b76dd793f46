/**
 * What is on disk at the paths a transaction touches, learnt with one
 * directory read per directory instead of one `stat` per file.
 *
 * @module
 */

import { DT, readDirectory } from "../../ffi/dir.ts";
import { isDirectory } from "../fs_queries.ts";

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

/**
 * What the host directory `dir` holds that is not a regular file, by name
 * (a name not there is a regular file, or nothing), or `undefined` when the
 * directory cannot be read. Read as {@linkcode DiskView} reads, but regular
 * files — nearly all of a package — are passed over unread: for a removal,
 * which deletes a manifest's files whether they are there or not and needs
 * to know only which are links or directories.
 */
export function nonRegularEntries(dir: string): Map<string, DiskKind> | undefined {
  const list = new Map<string, DiskKind>();
  const read = readDirectory(dir, list, KINDS, (name) => kindOf(`${dir}/${name}`), DT.REG);
  if (read === false) return undefined;
  if (read === undefined) {
    // Without the C library.
    readKinds(dir, list);
    if (list.size === 0 && !isDirectory(dir)) return undefined;
  }
  // Kinds the file system does not tell, and other kinds than links and directories, are files here too.
  for (const [name, kind] of list) if (kind === "file") list.delete(name);
  return list;
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
