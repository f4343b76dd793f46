/**
 * Conflicts (SPEC §8.3): the files of a package that another installed
 * package owns, found with the owner index — one look-up per directory of
 * the package when no other package has anything below it, one per file
 * otherwise — or, for a run of several packages, owned by one installed
 * earlier in the same run.
 *
 * @module
 */

import type { OwnerIndex } from "../db/owners.ts";
import { DB_PATH } from "../db/manifest.ts";
import { KilnError } from "../errors.ts";
import type { PackageArchive, PackageEntry } from "./package.ts";
import type { PathResolver } from "./paths.ts";

/** A path of the package that another installed package owns. */
export interface Conflict {
  /** The package's path (as in its manifest). */
  readonly path: string;
  /** Who owns it (or its resolved path) now. */
  readonly owners: readonly string[];
}

/** The manifest path of a package's database entry directory (`/var/db/kiss/installed/<name>/`). */
export function entryPrefix(name: string): string {
  return `${DB_PATH}/${name}/`;
}

/** True for entries of the package's own database entry (staged apart, swapped in last); `prefix` is {@linkcode entryPrefix}. */
export function inEntry(prefix: string, path: string): boolean {
  return path.startsWith(prefix);
}

/**
 * True for the entries of `pkg` installed as files of the root (or links):
 * not directories, not the entries its manifest leaves out, not its database
 * entry. `prefix` is {@linkcode entryPrefix}.
 */
export function isPlacedFile(pkg: PackageArchive, prefix: string, e: PackageEntry): boolean {
  return e.type !== "directory" && !(pkg.unlisted.size > 0 && pkg.unlisted.has(e.path)) && !inEntry(prefix, e.path);
}

/**
 * The files of `pkg` that other packages own: in the owner index, or in
 * `pending` (resolved path → package) for packages installed in the same run.
 */
export function findConflicts(
  pkg: PackageArchive,
  index: OwnerIndex,
  resolver: PathResolver,
  pending?: ReadonlyMap<string, string>,
): Conflict[] {
  const out: Conflict[] = [];
  const prefix = entryPrefix(pkg.name);
  // Per directory of the package: where it resolves, and whether the index has any other package's path
  // below it (most directories of a package have none, and then their files need no look-up each).
  const dirs = new Map<string, { resolved: string; owned: boolean }>();
  let dir: { resolved: string; owned: boolean } | undefined;
  let dirPath = "";
  for (const e of pkg.entries) {
    if (!isPlacedFile(pkg, prefix, e)) continue;
    const slash = e.path.lastIndexOf("/");
    // Entries come directory by directory: most are in the directory of the one before.
    if (dir === undefined || slash !== dirPath.length || !e.path.startsWith(dirPath)) {
      dirPath = slash <= 0 ? "/" : e.path.slice(0, slash);
      dir = dirs.get(dirPath);
      if (dir === undefined) {
        const resolved = resolver.resolveDir(dirPath);
        dir = { resolved, owned: index.hasPathsUnder(resolved === "/" ? "/" : `${resolved}/`, pkg.name) };
        dirs.set(dirPath, dir);
      }
      if (slash === 0) dirPath = "";
    }
    if (!dir.owned && pending === undefined) continue;
    const r = (dir.resolved === "/" ? "" : dir.resolved) + e.path.slice(slash);
    const owners = dir.owned ? index.owners(r).filter((o) => o !== pkg.name) : [];
    for (const other of [pending?.get(r), pending?.get(r + "/")]) {
      if (other !== undefined && other !== pkg.name && !owners.includes(other)) owners.push(other);
    }
    if (owners.length > 0) out.push({ path: e.path, owners });
  }
  return out;
}

/** The error for conflicts that may not become alternatives. */
export function conflictError(pkg: PackageArchive, conflicts: readonly Conflict[], choice: boolean): KilnError {
  const lines = conflicts.map((c) => `  ${c.path} (owned by ${c.owners.join(", ")})`);
  return new KilnError(
    `package ${pkg.name} conflicts with installed packages (${conflicts.length} file${
      conflicts.length === 1 ? "" : "s"
    }):\n${lines.join("\n")}`,
    {
      hint: choice
        ? "files inside kiss's database cannot become alternatives; remove the owning package first"
        : `run with KISS_CHOICE=1 to keep the conflicting files as alternatives (see 'kiln alternatives'), or remove ${
          [...new Set(conflicts.flatMap((c) => c.owners))].join(", ")
        } first`,
    },
  );
}
