/**
 * Resolving a package's paths in a root while planning, at the cost of one
 * look-up per directory that exists: a {@linkcode RootResolver} (which
 * `lstat`s every component it meets) asked only about paths whose parent
 * exists. Below a missing directory — all of a fresh install's new
 * directories — nothing can be a link, so a path resolves to its resolved
 * parent plus its name with no system call (and no failed `lstat` each).
 *
 * @module
 */

import { type DirResolver, resolveManifestPath, type RootResolver } from "../db/resolve.ts";
import type { DiskView } from "./disk.ts";

/** What planning asks of a resolver (a {@linkcode RootResolver} answers it too). */
export interface PathResolver extends DirResolver {
  /** Resolve a manifest path: a file keeps its name and has its directory resolved; a directory keeps its `/`. */
  resolve(path: string): string;
}

/** A {@linkcode RootResolver} that skips what lies below missing directories (see the module documentation). */
export class PlanResolver implements PathResolver {
  readonly #inner: RootResolver;
  readonly #disk: DiskView;
  readonly #root: string;
  readonly #dirs = new Map<string, string>();
  /** Resolved directories known not to exist. */
  readonly #missing = new Set<string>();

  /** `disk` is the plan's view of the root `root` (an absolute directory, `/` for the running system). */
  constructor(inner: RootResolver, disk: DiskView, root: string) {
    this.#inner = inner;
    this.#disk = disk;
    this.#root = root === "/" ? "" : root;
  }

  /** Links of the root followed so far (those of the inner resolver: below a missing directory there are none). */
  get followed(): ReadonlyMap<string, string> {
    return this.#inner.followed;
  }

  resolveDir(path: string): string {
    const cached = this.#dirs.get(path);
    if (cached !== undefined) return cached;
    const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
    const slash = trimmed.lastIndexOf("/");
    let resolved: string;
    const name = trimmed.slice(slash + 1);
    const parent = slash > 0 ? this.resolveDir(trimmed.slice(0, slash)) : slash === 0 ? "/" : undefined;
    if (parent !== undefined && this.#missing.has(parent) && name !== "." && name !== "..") {
      resolved = `${parent === "/" ? "" : parent}/${name}`;
      this.#missing.add(resolved);
    } else {
      resolved = this.#inner.resolveDir(path);
      if (resolved !== "/" && this.#isMissing(resolved)) this.#missing.add(resolved);
    }
    this.#dirs.set(path, resolved);
    return resolved;
  }

  resolve(path: string): string {
    return resolveManifestPath(this, path);
  }

  /**
   * Resolve every line of a manifest, as {@linkcode resolve} does each; the
   * directory of a file is looked up once for a run of files in it.
   */
  resolveAll(lines: readonly string[]): string[] {
    const out: string[] = new Array(lines.length);
    let dir = "\0";
    let dirResolved = "";
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.endsWith("/")) {
        out[i] = this.resolve(line);
        continue;
      }
      const slash = line.lastIndexOf("/");
      if (slash !== dir.length || !line.startsWith(dir)) {
        dir = slash <= 0 ? "" : line.slice(0, slash);
        const parent = this.resolveDir(slash <= 0 ? "/" : dir);
        dirResolved = parent === "/" ? "" : parent;
      }
      out[i] = dirResolved + line.slice(slash);
    }
    return out;
  }

  /** Whether nothing is at the resolved path `resolved`, by its parent's listing (one read per directory). */
  #isMissing(resolved: string): boolean {
    const slash = resolved.lastIndexOf("/");
    const parent = slash === 0 ? "/" : resolved.slice(0, slash);
    if (this.#missing.has(parent)) return true;
    const listing = this.#disk.entries(this.#root === "" ? parent : this.#root + (parent === "/" ? "" : parent));
    return !listing.has(resolved.slice(slash + 1));
  }
}
