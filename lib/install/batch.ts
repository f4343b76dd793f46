/**
 * Checks over a whole run of installs, done before the first package is
 * written: one archive per package, dependencies present or coming in the
 * same run (installed first), and no two packages of the run claiming the
 * same file.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { OwnerIndex } from "../db/owners.ts";
import { KilnError } from "../errors.ts";
import { isInstalled } from "../db/installed.ts";
import { RootResolver } from "../db/resolve.ts";
import type { PackageArchive } from "./package.ts";
import { conflictError, findConflicts } from "./conflicts.ts";

/**
 * `pkgs` ordered so that each package's runtime dependencies in the same run
 * come before it (otherwise in the order given). Throws on a package given twice.
 */
export function orderByDepends(pkgs: readonly PackageArchive[]): PackageArchive[] {
  const byName = new Map<string, PackageArchive>();
  for (const p of pkgs) {
    const twin = byName.get(p.name);
    if (twin) {
      throw new KilnError(`package ${p.name} is given twice: ${twin.file} and ${p.file}`, {
        hint: "install one archive per package",
      });
    }
    byName.set(p.name, p);
  }
  const out: PackageArchive[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (p: PackageArchive) => {
    if (state.get(p.name)) return; // done, or a cycle: keep the order given
    state.set(p.name, "visiting");
    for (const d of p.depends) {
      const dep = byName.get(d.name);
      if (dep && !d.make) visit(dep);
    }
    state.set(p.name, "done");
    out.push(p);
  };
  pkgs.forEach(visit);
  return out;
}

/**
 * Throw {@linkcode KilnError} when a package's runtime dependency is neither
 * installed nor in `pkgs` (skipped with `--force`/`KISS_FORCE`).
 */
export function checkDependencies(config: Config, pkgs: readonly PackageArchive[]): void {
  if (config.force) return;
  const coming = new Set(pkgs.map((p) => p.name));
  const problems: string[] = [];
  for (const p of pkgs) {
    const missing = p.depends.filter((d) => !d.make && !coming.has(d.name) && !isInstalled(config, d.name));
    if (missing.length > 0) problems.push(`${p.name} needs ${missing.map((d) => d.name).join(", ")}`);
  }
  if (problems.length === 0) return;
  throw new KilnError(`missing runtime dependencies: ${problems.join("; ")} (not installed)`, {
    hint: "install the missing packages first (or together, in one command), or use --force to install anyway",
  });
}

/**
 * Throw {@linkcode KilnError} when two packages of the run — or a package and
 * an installed one — own the same file, unless `KISS_CHOICE=1` makes such
 * files alternatives.
 */
export function checkBatchConflicts(config: Config, pkgs: readonly PackageArchive[], index: OwnerIndex): void {
  // One package is checked by its own plan, against the same index.
  if (pkgs.length < 2) return;
  const resolver = new RootResolver(config.root);
  const pending = new Map<string, string>();
  for (const p of pkgs) {
    const conflicts = findConflicts(p, index, resolver, pending);
    if (conflicts.length > 0 && (!config.choice || conflicts.some((c) => c.path.startsWith("/var/db/kiss/")))) {
      throw conflictError(p, conflicts, config.choice);
    }
    for (const e of p.entries) {
      if (!p.unlisted.has(e.path)) pending.set(resolver.resolve(e.path), p.name);
    }
  }
}
