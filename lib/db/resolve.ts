/**
 * Resolving paths inside a root through its symbolic links, as the root's own
 * programs would see them (`/bin/sh` → `/usr/bin/sh` when `/bin` is a link to
 * `usr/bin`), without ever leaving the root: an absolute link target is taken
 * relative to the root and `..` stops at the root, as under `chroot`.
 *
 * Only directories are followed for files (kiss's `resolve_path`: the parent
 * is resolved, the last component kept), so a link that is itself a package
 * file keeps its own path.
 *
 * @module
 */

import { KilnError } from "../errors.ts";

const MAX_LINKS = 40;

/** Anything that resolves directory paths: a {@linkcode RootResolver}, or a resolver built on one. */
export interface DirResolver {
  /** Resolve every component of a directory path (with or without a trailing `/`); no trailing `/` in the result. */
  resolveDir(path: string): string;
}

/**
 * Resolve a manifest path with `dirs`: a file keeps its name and has its
 * directory resolved; a directory (trailing `/`) is resolved whole and keeps
 * its `/`.
 */
export function resolveManifestPath(dirs: DirResolver, path: string): string {
  if (path.endsWith("/")) {
    const dir = dirs.resolveDir(path);
    return dir === "/" ? "/" : dir + "/";
  }
  const slash = path.lastIndexOf("/");
  const parent = dirs.resolveDir(slash <= 0 ? "/" : path.slice(0, slash));
  return (parent === "/" ? "" : parent) + path.slice(slash);
}

/** Resolves root-relative absolute paths through the root's symbolic links (results cached). */
export class RootResolver {
  readonly #root: string;
  readonly #links = new Map<string, string | null>();
  readonly #dirs = new Map<string, string>();
  /** Links followed so far: path → target (recorded so a cache of results can be checked later). */
  readonly followed = new Map<string, string>();

  /** `root` is an absolute directory; `/` for the running system. */
  constructor(root: string) {
    this.#root = root === "/" ? "" : root.replace(/\/+$/, "");
  }

  /** The host path of a root-relative absolute path. */
  host(path: string): string {
    return this.#root + path;
  }

  #readLink(path: string): string | null {
    let link = this.#links.get(path);
    if (link !== undefined) return link;
    link = null;
    try {
      if (Deno.lstatSync(this.#root + path).isSymlink) link = Deno.readLinkSync(this.#root + path);
    } catch { /* missing or not reachable: not a link */ }
    this.#links.set(path, link);
    if (link !== null) this.followed.set(path, link);
    return link;
  }

  /** Forget what was learnt about the root (after the transaction changed links). */
  clear(): void {
    this.#links.clear();
    this.#dirs.clear();
  }

  /**
   * Resolve every component of `path` (a directory path, with or without a
   * trailing `/`) through links; the result has no trailing `/` (except `/`).
   */
  resolveDir(path: string): string {
    const cached = this.#dirs.get(path);
    if (cached !== undefined) return cached;
    const out = this.#walk(path, 0);
    this.#dirs.set(path, out);
    return out;
  }

  #walk(path: string, depth: number): string {
    const parts = path.split("/");
    let cur = "";
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === "" || part === ".") continue;
      if (part === "..") {
        cur = cur.slice(0, cur.lastIndexOf("/"));
        continue;
      }
      const next = `${cur}/${part}`;
      const link = this.#readLink(next);
      if (link === null) {
        cur = next;
        continue;
      }
      if (depth >= MAX_LINKS) {
        throw new KilnError(`too many levels of symbolic links resolving ${path} in ${this.#root || "/"}`, {
          hint: "fix the looping symbolic link in the root",
        });
      }
      const rest = parts.slice(i + 1).join("/");
      const target = link.startsWith("/") ? link : `${cur}/${link}`;
      return this.#walk(rest ? `${target}/${rest}` : target, depth + 1);
    }
    return cur === "" ? "/" : cur;
  }

  /**
   * Resolve a manifest path: a file keeps its name and has its directory
   * resolved; a directory (trailing `/`) is resolved whole and keeps its `/`.
   */
  resolve(path: string): string {
    return resolveManifestPath(this, path);
  }
}
