/**
 * `owns PATH`: the installed packages owning a path, from the owner index.
 * Kept apart from the other queries so that the command loads nothing else.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { normalize } from "../config.ts";
import { OwnerIndex } from "./owners.ts";
import { RootResolver } from "./resolve.ts";

/** The answer to `owns PATH`. */
export interface Ownership {
  /** The path asked about, inside the root. */
  readonly path: string;
  /** The path the owners were found under (resolved through the root's links). */
  readonly resolved: string;
  /** The packages owning it (empty when none does). */
  readonly owners: readonly string[];
}

/**
 * The owners of `path` (absolute, or relative to `cwd`; a path under the
 * root may be given with the root's prefix, as kiss-owns allows). The path is
 * resolved through the root's linked directories; when nothing owns it and it
 * is a link, its target is tried (kiss-owns follows links).
 */
export function findOwners(config: Config, path: string, cwd: string): Ownership {
  let p = path.startsWith("/") ? normalize(path) : normalize(`${cwd}/${path}`);
  const root = config.root;
  if (root !== "/" && (p === root || p.startsWith(root + "/"))) p = p.slice(root.length) || "/";
  const index = OwnerIndex.load(config);
  const resolver = new RootResolver(root);
  let resolved = resolver.resolve(p);
  let owners = index.owners(resolved);
  if (owners.length === 0) {
    const full = resolver.resolveDir(p);
    if (full !== resolved) {
      const more = index.owners(full);
      if (more.length > 0) [resolved, owners] = [full, more];
    }
  }
  return { path: p, resolved, owners: owners.sort() };
}
