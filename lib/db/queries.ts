/**
 * Queries answered from the installed database (kiss's contrib tools, built
 * in): who owns a path, which packages nothing depends on, which differ from
 * their repository.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { normalize } from "../config.ts";
import { parseDepends } from "../recipe/depends.ts";
import { readVersion } from "../recipe/version.ts";
import type { Repositories } from "../repo/repositories.ts";
import { readInstalledVersion } from "./installed.ts";
import { installedNames, OwnerIndex } from "./owners.ts";
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

/** The runtime dependencies of every installed package (name → names). */
export function runtimeDepends(config: Config): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of installedNames(config.installedDir)) {
    const file = `${config.installedDir}/${name}/depends`;
    let deps: string[] = [];
    try {
      deps = parseDepends(Deno.readTextFileSync(file), file).filter((d) => !d.make).map((d) => d.name);
    } catch { /* no depends file (or an unreadable one): no dependencies */ }
    out.set(name, deps);
  }
  return out;
}

/** Packages kiss-orphans never lists: the base of every system. */
export const ORPHAN_EXEMPT: ReadonlySet<string> = new Set([
  "baseinit",
  "baselayout",
  "busybox",
  "bzip2",
  "e2fsprogs",
  "gcc",
  "git",
  "grub",
  "kiss",
  "kiln",
  "make",
  "musl",
  "pkgconf",
]);

/** Installed packages no other installed package depends on at runtime (base packages left out, as kiss-orphans). */
export function orphans(config: Config): string[] {
  const deps = runtimeDepends(config);
  const needed = new Set<string>();
  for (const [name, list] of deps) for (const d of list) if (d !== name) needed.add(d);
  return [...deps.keys()].filter((n) => !needed.has(n) && !ORPHAN_EXEMPT.has(n));
}

/** An installed package whose repository version differs. */
export interface Outdated {
  readonly name: string;
  /** Installed `VERSION-RELEASE`. */
  readonly installed: string;
  /** The repository's `VERSION-RELEASE`. */
  readonly available: string;
  /** The repository directory it was found in. */
  readonly repo: string;
}

/** Installed packages whose repository version differs, and those no repository has. */
export function outdated(config: Config, repos: Repositories): { outdated: Outdated[]; withoutRepository: string[] } {
  const out: Outdated[] = [];
  const orphaned: string[] = [];
  for (const name of installedNames(config.installedDir)) {
    const mine = readInstalledVersion(config, name);
    const found = repos.locate(name);
    if (!mine) continue;
    if (!found || found.repo === config.installedDir) {
      orphaned.push(name);
      continue;
    }
    const theirs = readVersion(found.dir);
    const installed = `${mine.version}-${mine.release}`, available = `${theirs.version}-${theirs.release}`;
    if (installed !== available) out.push({ name, installed, available, repo: found.repo });
  }
  return { outdated: out, withoutRepository: orphaned };
}
