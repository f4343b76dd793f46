/**
 * Queries answered from the installed database (kiss's contrib tools, built
 * in): which packages nothing depends on, which differ from their repository.
 * (Who owns a path: `ownership.ts`.)
 *
 * @module
 */

import type { Config } from "../config.ts";
import { parseDepends } from "../recipe/depends.ts";
import { readVersion } from "../recipe/version.ts";
import type { Repositories } from "../repo/repositories.ts";
import { readInstalledVersion } from "./installed.ts";
import { installedNames } from "./owners.ts";

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
