/**
 * kiss's database belongs to kiln (SPEC §8, §10): `/var/db/kiss` and
 * everything below it. No package may put a file, directory or link there —
 * its own database entry, which kiln writes, aside — whether by naming it
 * or by reaching it through a symbolic link: one of the root's, or one of
 * the archive's own (a link `usr/x -> ../var/db/kiss` would let a second
 * package write another package's `pre-remove`, or kiln's own lock and
 * journal). A link of the package whose target leads into the database is
 * refused too, wherever it is.
 *
 * Paths are resolved as {@linkcode PathResolver} resolves them in the root,
 * with the archive's links laid over the root where they will be placed;
 * links that loop lead nowhere. Installed entries are read only when they
 * are not links themselves, and a package script only when it is a file of
 * the package's own entry.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { entryPrefix, inEntry, isPlacedFile } from "./conflicts.ts";
import { type PackageArchive, refuse } from "./package.ts";
import type { PathResolver } from "./paths.ts";
import type { DirResolver } from "../db/resolve.ts";
import { isDirectory } from "../fs_queries.ts";

/** The database directory, inside a root. */
export const DATABASE_DIR = "/var/db/kiss";

/** The directories that lead to kiss's database (and the database and its `installed/`), each ending in `/`. */
const LEADING_DIRS = new Set(["/var/", "/var/db/", `${DATABASE_DIR}/`, `${DATABASE_DIR}/installed/`]);

const MAX_LINKS = 40;

/** What a path resolves to through links that loop: no path at all. */
const LOOP = "\0loop";

/** True when `resolved` (a resolved path inside the root, with or without a trailing `/`) is in kiss's database. */
export function inDatabase(resolved: string): boolean {
  return resolved === DATABASE_DIR || resolved.startsWith(`${DATABASE_DIR}/`);
}

function parentOf(path: string): string {
  const p = path.endsWith("/") ? path.slice(0, -1) : path;
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

function baseOf(path: string): string {
  const p = path.endsWith("/") ? path.slice(0, -1) : path;
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * Resolves directory paths through the root's links (`resolver`) and the
 * links `archiveLinks` of a package (resolved place → target) as if they
 * were already in the root.
 */
export class OverlayResolver {
  readonly #resolver: PathResolver;
  readonly #links: ReadonlyMap<string, string>;

  /** `archiveLinks` maps where each link of the package goes (resolved) to its target. */
  constructor(resolver: PathResolver, archiveLinks: ReadonlyMap<string, string>) {
    this.#resolver = resolver;
    this.#links = archiveLinks;
  }

  /**
   * Resolve every component of `path` (no trailing `/` in the result, except
   * `/`); links that loop give a string that is no path.
   */
  resolveDir(path: string): string {
    return this.#links.size === 0 ? this.#resolver.resolveDir(path) : this.#walk(path, 0);
  }

  #walk(path: string, depth: number): string {
    // Links that loop lead nowhere (as the kernel says ELOOP), so not into the database either.
    if (depth > MAX_LINKS) return LOOP;
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
      const link = this.#links.get(next);
      const r = link !== undefined ? (link.startsWith("/") ? link : `${cur}/${link}`) : this.#resolver.resolveDir(next);
      if (link === undefined && r === next) {
        cur = next;
        continue;
      }
      const rest = parts.slice(i + 1).join("/");
      return this.#walk(rest ? `${r}/${rest}` : r, depth + 1);
    }
    return cur === "" ? "/" : cur;
  }
}

/**
 * Refuse `pkg` when any of its entries, other than its own database entry,
 * lands in kiss's database through a link, or is a link leading into it
 * (see the module documentation). `resolver` resolves in the root.
 */
export function checkDatabaseReach(pkg: PackageArchive, resolver: PathResolver): void {
  const prefix = entryPrefix(pkg.name);
  // Where the package's links will be, resolved through the root.
  const links = new Map<string, string>();
  for (const e of pkg.entries) {
    if (e.type !== "symlink" || !isPlacedFile(pkg, prefix, e)) continue;
    const dir = resolver.resolveDir(parentOf(e.path));
    links.set(`${dir === "/" ? "" : dir}/${baseOf(e.path)}`, e.linkName ?? "");
  }
  const overlay = new OverlayResolver(resolver, links);
  // Entries come directory by directory: what depends on the directory is worked out once per run.
  let dirPath = "\0";
  let resolved = "";
  let dirInDatabase = false;
  for (const e of pkg.entries) {
    if (inEntry(prefix, e.path) || LEADING_DIRS.has(e.path)) continue;
    const end = e.path.endsWith("/") ? e.path.length - 1 : e.path.length;
    const slash = e.path.lastIndexOf("/", end - 1);
    if (slash !== dirPath.length || !e.path.startsWith(dirPath)) {
      dirPath = e.path.slice(0, slash);
      const r = overlay.resolveDir(dirPath || "/");
      resolved = r === "/" ? "" : r;
      dirInDatabase = inDatabase(resolved);
    }
    if (dirInDatabase || (resolved === "/var/db" && e.path.slice(slash + 1, end) === "kiss")) {
      throw refuse(
        pkg.file,
        `${e.path} would be written into kiss's database (it resolves to ${resolved}/${
          e.path.slice(slash + 1, end)
        } through a symbolic link)`,
        "kiss's database belongs to kiln: no package may place anything there; the archive is refused",
      );
    }
    if (e.type !== "symlink") continue;
    const target = e.linkName ?? "";
    // A link to a name beside it (`libz.so -> libz.so.1`) leads where that name is, unless it is a link of the
    // archive itself. (A link of the root there is the root's own way into wherever it leads: it is checked
    // when something is written through it.)
    const plain = !target.includes("/") && target !== "." && target !== "..";
    const candidate = `${resolved}/${target}`;
    const lands = plain && !links.has(candidate)
      ? candidate
      : overlay.resolveDir(target.startsWith("/") ? target : candidate);
    if (inDatabase(lands)) {
      throw refuse(
        pkg.file,
        `${e.path} is a symbolic link into kiss's database (${target} leads to ${lands})`,
        "kiss's database belongs to kiln: no package may link into it; the archive is refused",
      );
    }
  }
}

/**
 * Whether the package script `script` of installed package `pkg` may run:
 * true when it is absent or a file of the package's own entry; false (and
 * said as a warning by the caller) when the entry or the script is a link,
 * which an older kiln may have let in and which would run a file of
 * another package, or of the host, as root.
 */
export function isOwnScript(installedDir: string, pkg: string, script: string): boolean {
  for (const path of [`${installedDir}/${pkg}`, `${installedDir}/${pkg}/${script}`]) {
    try {
      if (Deno.lstatSync(path).isSymlink) return false;
    } catch {
      return true;
    }
  }
  return true;
}

/**
 * Throw {@linkcode KilnError} when the database entry of installed package
 * `pkg` is a symbolic link: its manifest would say what to delete, and its
 * scripts what to run, from wherever the link leads. Nothing happens when
 * there is no entry.
 */
export function checkEntryNotLink(installedDir: string, pkg: string): void {
  const path = `${installedDir}/${pkg}`;
  let link = false;
  try {
    link = Deno.lstatSync(path).isSymlink;
  } catch { /* not installed */ }
  if (link) {
    throw new KilnError(
      `the database entry ${path} is a symbolic link; kiln does not follow links in kiss's database`,
      {
        hint: "an entry is a directory kiln wrote: delete the link (and install the package again if it is needed)",
      },
    );
  }
}

/**
 * Whether the link at `path` (inside the root) leads to a directory, as
 * `resolver` resolves it (`host` gives a path's host path). Links that loop
 * lead to no directory: a package shipping one can still be upgraded and
 * removed.
 */
export function leadsToDirectory(resolver: DirResolver, host: (path: string) => string, path: string): boolean {
  let resolved: string;
  try {
    resolved = resolver.resolveDir(path);
  } catch (err) {
    if (err instanceof KilnError) return false;
    throw err;
  }
  return isDirectory(host(resolved));
}
