/**
 * Planning the install of one package on a root: where every entry goes
 * (resolved through the root's linked directories), which directories must be
 * made (each new directory is staged whole under a temporary name, so a
 * fresh install needs one rename per new directory, not one per file), which
 * files conflict with other packages (SPEC §8.3) or go aside as
 * alternatives, what happens to each `/etc` file (§8.4), and which files and
 * directories of the old version go away. Nothing is written here: a plan
 * that cannot be carried out is refused with the root untouched.
 *
 * @module
 */

import type { DatabasePaths, OwnerIndex } from "../db/owners.ts";
import { etcFiles, isEtcFile, pairEtcsums, readEtcsums } from "../db/etcsums.ts";
import {
  CHOICES_PATH,
  etcsumsPath,
  formatManifest,
  isDirectoryLine,
  manifestPath,
  readManifest,
  sortManifest,
} from "../db/manifest.ts";
import { byteOrder, reverseByteOrder } from "../db/order.ts";
import { RootResolver } from "../db/resolve.ts";
import { type DiskKind, DiskView } from "./disk.ts";
import { decideEtc, entrySum, unchanged } from "./etc.ts";
import { type InstallRecord, stagedDirName } from "./journal.ts";
import { type PathResolver, PlanResolver } from "./paths.ts";
import { conflictError, entryPrefix, findConflicts, inEntry, isPlacedFile } from "./conflicts.ts";
import { checkDatabaseReach, checkEntryNotLink, inDatabase, leadsToDirectory } from "./dbguard.ts";
import { type PackageArchive, type PackageEntry, refuse } from "./package.ts";
import { hostPath, present } from "./replay.ts";

/** A file of the new database entry, relative to the entry directory (directories end with `/`). */
export interface EntryFile {
  readonly rel: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  readonly body: Uint8Array;
  readonly linkName?: string;
}

/** Everything needed to install one package. */
export interface InstallPlan {
  /** What the journal records. */
  readonly record: InstallRecord;
  /** What to write for each of `record.files`. */
  readonly sources: readonly PackageEntry[];
  /** Every new directory, parents first: where it goes, where it is made while staged, its mode. */
  readonly newDirs: readonly { readonly target: string; readonly staged: string; readonly mode: number }[];
  /** Files written straight into a staged new directory (no rename of their own). */
  readonly direct: readonly { readonly target: string; readonly staged: string; readonly entry: PackageEntry }[];
  /**
   * Where runs of files of one directory start in `direct` followed by
   * `record.files` (so that two threads can share the writing by directory).
   */
  readonly runs: readonly number[];
  /** The new database entry. */
  readonly entry: readonly EntryFile[];
  /** The manifest installed (the archive's, with alternatives moved into `choices/`). */
  readonly manifest: readonly string[];
  /** The manifest's paths resolved in the root (for the owner index). */
  readonly resolved: readonly string[];
  /** Paths kept aside as alternatives (`KISS_CHOICE=1`). */
  readonly choices: readonly string[];
  /** `/etc` files written as `FILE.new` because the one on disk differs. */
  readonly etcNew: readonly string[];
  /** `/etc` files the old version had that stay because the user changed them. */
  readonly etcKept: readonly string[];
  /** The version being replaced (`VERSION-RELEASE`), if any. */
  readonly oldVersion?: string;
  /** Symbolic links of the root followed while resolving (for the owner index). */
  readonly links: ReadonlyMap<string, string>;
}

/** What planning needs to know. */
export interface PlanContext {
  readonly paths: DatabasePaths;
  readonly index: OwnerIndex;
  /** `KISS_CHOICE=1`: conflicts become alternatives. */
  readonly choice: boolean;
  /** Distinguishes temporary names. */
  readonly tag: string;
}

const encoder = new TextEncoder();

function parentOf(path: string): string {
  const p = path.endsWith("/") ? path.slice(0, -1) : path;
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

/** The file name of an alternative in `choices/`: `<pkg>>usr>bin>file`. */
export function choiceName(pkg: string, path: string): string {
  return `${CHOICES_PATH}/${pkg}${path.replaceAll("/", ">")}`;
}

/** Plan the install of `pkg` (see the module documentation). Throws {@linkcode KilnError} when refused. */
export function planInstall(pkg: PackageArchive, ctx: PlanContext): InstallPlan {
  const { paths, index } = ctx;
  const { root } = paths;
  const name = pkg.name;
  const disk = new DiskView();
  const resolver = new PlanResolver(new RootResolver(root), disk, root);
  const host = (p: string) => hostPath(root, p);
  const prefix = entryPrefix(name);
  checkDatabaseReach(pkg, resolver);
  checkEntryNotLink(paths.installedDir, name);

  // The version being replaced.
  let oldManifest: string[] | undefined;
  let oldSums = new Map<string, string>();
  let oldVersion: string | undefined;
  if (present(`${paths.installedDir}/${name}`)) {
    oldManifest = readManifest(paths.installedDir, name);
    oldSums = pairEtcsums(oldManifest, readEtcsums(`${paths.installedDir}/${name}`));
    try {
      oldVersion = Deno.readTextFileSync(`${paths.installedDir}/${name}/version`).split("\n")[0].trim().replace(
        /\s+/,
        "-",
      );
    } catch { /* a damaged entry: upgrade it all the same */ }
  }

  // Conflicts, or alternatives.
  const conflicts = findConflicts(pkg, index, resolver);
  const moved = new Map<string, string>();
  if (conflicts.length > 0) {
    if (!ctx.choice || conflicts.some((c) => c.path.startsWith("/var/db/kiss/"))) {
      throw conflictError(pkg, conflicts, ctx.choice);
    }
    for (const c of conflicts) moved.set(c.path, choiceName(name, c.path));
  }
  const lines = moved.size > 0 ? pkg.manifest.map((l) => moved.get(l) ?? l) : [...pkg.manifest];
  if (moved.size > 0) lines.push(`${CHOICES_PATH}/`);
  if (lines.some((l) => l.startsWith("/etc/")) && !lines.includes(etcsumsPath(name))) lines.push(etcsumsPath(name));
  // An archive's manifest is normally in kiss order already.
  const manifest = isKissOrder(lines) ? lines : sortManifest(lines);
  // The entries looked up by path below: directories and `/etc` files (neither is ever moved to `choices/`).
  const byPath = new Map<string, PackageEntry>();
  for (const e of pkg.entries) {
    if (e.type === "directory" || (e.path.startsWith("/etc/") && !moved.has(e.path))) byPath.set(e.path, e);
  }

  // No writing through a link of the root into a directory nothing owns.
  const ownDirs = new Set(manifest.filter(isDirectoryLine).map((d) => d.slice(0, -1)));
  const checkedParents = new Set<string>();
  const checkParent = (path: string) => {
    const parent = parentOf(path);
    if (checkedParents.has(parent)) return;
    checkedParents.add(parent);
    const r = resolver.resolveDir(parent);
    if (r === parent || r === "/" || ownDirs.has(r) || index.owners(r + "/").length > 0) return;
    throw refuse(
      pkg.file,
      `${path} would be written through a symbolic link in the root: ${parent} leads to ${r}, which no package owns`,
      "the link redirects the package's files outside its own directories; the archive is refused",
    );
  };

  // Directories to make.
  const mkdirSet = new Map<string, number>();
  for (const d of manifest) {
    if (!isDirectoryLine(d) || d === prefix || inEntry(prefix, d)) continue;
    checkParent(d);
    const r = resolver.resolveDir(d);
    const kind = r === "/" ? "directory" : disk.kind(host(r));
    if (kind === "directory" || mkdirSet.has(r)) continue;
    if (kind !== "missing") {
      throw refuse(
        pkg.file,
        `${d} is a directory in the package, but ${r} is a ${kind} in the root`,
        "remove or move the file in the way (or the package owning it), then install again",
      );
    }
    mkdirSet.set(r, byPath.get(d)?.mode ?? 0o755);
  }
  const mkdirs = [...mkdirSet.keys()].sort(byteOrder);
  for (const r of mkdirs) disk.willCreate(host(r));
  for (const r of mkdirs) {
    const parent = parentOf(r);
    if (parent !== "/" && disk.kind(host(parent)) !== "directory") {
      throw refuse(pkg.file, `cannot make ${r}: its parent ${parent} is not a directory in the root`);
    }
  }
  // A new directory whose parent exists is staged whole under a temporary
  // name; new directories below it are made inside the staged one.
  const tops = mkdirs.filter((r) => !mkdirSet.has(parentOf(r)));
  const topIndex = new Map(tops.map((t, j) => [t, j]));
  const stagedDirs = new Map<string, string>();
  const stagedOf = (dir: string): string => {
    let staged = stagedDirs.get(dir);
    if (staged === undefined) {
      let top = dir;
      while (!topIndex.has(top)) top = parentOf(top);
      staged = stagedDirName(top, ctx.tag, topIndex.get(top)!) + dir.slice(top.length);
      stagedDirs.set(dir, staged);
    }
    return staged;
  };
  const newDirs = mkdirs.map((r) => ({ target: r, staged: stagedOf(r), mode: mkdirSet.get(r)! }));

  // Files to stage. What depends only on a file's directory is worked out once per directory.
  const files: string[] = [];
  const sources: PackageEntry[] = [];
  const direct: { target: string; staged: string; entry: PackageEntry }[] = [];
  const etcNew: string[] = [];
  const dirPlans = new Map<string, DirPlan>();
  // Two names of the package may lead to one file: through a link of the root, when two of its directories
  // resolve to one (`shared`), or when an `/etc` file is written as FILE.new. Names written there are kept.
  const shared = sharedDirectories(pkg, prefix, moved, resolver);
  const written = new Map<string, Map<string, string>>();
  let dir: DirPlan | undefined;
  let dirPath = "";
  // Where runs of files of one directory start, in `direct` and in `files`.
  const runs: number[] = [];
  const fileRuns: number[] = [];
  let directDir: DirPlan | undefined, filesDir: DirPlan | undefined;
  for (const e of pkg.entries) {
    if (!isPlacedFile(pkg, prefix, e)) continue;
    const path = moved.size > 0 ? moved.get(e.path) ?? e.path : e.path;
    const slash = path.lastIndexOf("/");
    // Entries come directory by directory: most are in the directory of the one before.
    if (dir === undefined || slash !== dirPath.length || !path.startsWith(dirPath)) {
      dirPath = slash <= 0 ? "/" : path.slice(0, slash);
      dir = dirPlans.get(dirPath);
      if (dir === undefined) {
        checkParent(path);
        const resolved = resolver.resolveDir(dirPath);
        let names = written.get(resolved);
        if (names === undefined) written.set(resolved, names = new Map());
        dir = {
          resolved: resolved === "/" ? "" : resolved,
          staged: mkdirSet.has(resolved) ? stagedOf(resolved) : undefined,
          onDisk: disk.entries(root === "/" ? resolved : root + (resolved === "/" ? "" : resolved)),
          names,
          shared: shared.has(resolved),
        };
        dirPlans.set(dirPath, dir);
      }
      if (slash === 0) dirPath = "";
    }
    let base = path.slice(slash + 1);
    let target = `${dir.resolved}/${base}`;
    // A file reached through a link into `/etc` is the `/etc` file it lands on.
    const etc = isEtcFile(path) || isEtcFile(target);
    if (etc && !moved.has(e.path)) {
      const decision = e.type === "symlink"
        ? (dir.onDisk.get(base) === "file" && !unchanged(host(target), oldSums.get(path)) ? "new" : "write")
        : decideEtc(host(target), e.body, oldSums.get(path));
      if (decision === "skip") continue;
      if (decision === "new") {
        target += ".new";
        base += ".new";
        etcNew.push(path);
      }
    }
    if (dir.shared || etc) {
      const twin = dir.names.get(base);
      if (twin !== undefined) {
        throw refuse(pkg.file, `${twin} and ${path} are the same file ${target} in the root (through a symbolic link)`);
      }
      dir.names.set(base, path);
    }
    if (dir.onDisk.get(base) === "directory") {
      throw refuse(
        pkg.file,
        `${path} is a file in the package, but ${target} is a directory in the root`,
        "remove or move the directory in the way (or the package owning it), then install again",
      );
    }
    if (dir.staged !== undefined) {
      if (dir !== directDir) {
        runs.push(direct.length);
        directDir = dir;
      }
      direct.push({ target, staged: `${dir.staged}/${base}`, entry: e });
    } else {
      if (dir !== filesDir) {
        fileRuns.push(files.length);
        filesDir = dir;
      }
      files.push(target);
      sources.push(e);
    }
  }

  // The new database entry (manifest and etcsums as installed).
  const sums = etcFiles(manifest).map((p) => {
    const e = byPath.get(p);
    return e ? entrySum(e.type, e.body) : entrySum("file", new Uint8Array());
  });
  const entry: EntryFile[] = [];
  for (const e of pkg.entries) {
    if (!inEntry(prefix, e.path) || e.path === prefix) continue;
    entry.push({
      rel: e.path.slice(prefix.length),
      type: e.type,
      mode: e.mode,
      body: e.body,
      linkName: e.linkName,
    });
  }
  const replaceEntryFile = (path: string, text: string) => {
    const rel = path.slice(prefix.length);
    const body = encoder.encode(text);
    const i = entry.findIndex((f) => f.rel === rel);
    if (i >= 0) entry[i] = { ...entry[i], type: "file", body };
    else entry.push({ rel, type: "file", mode: 0o644, body });
  };
  replaceEntryFile(manifestPath(name), formatManifest(manifest));
  if (manifest.includes(etcsumsPath(name))) replaceEntryFile(etcsumsPath(name), formatManifest(sums));
  entry.sort((a, b) => byteOrder(a.rel, b.rel));

  // What of the old version goes away.
  // Resolved apart, so that only links on the manifest's own paths are recorded for the index. Without an
  // old version or alternatives, the planning resolver has resolved nothing but those paths and their
  // directories, and can be used again.
  const indexResolver = oldManifest === undefined && moved.size === 0
    ? resolver
    : new PlanResolver(new RootResolver(root), disk, root);
  const resolved = indexResolver.resolveAll(manifest);
  const removeFiles: string[] = [];
  const removeDirs: string[] = [];
  const removeDirLinks: string[] = [];
  const etcKept: string[] = [];
  if (oldManifest) {
    const keep = new Set(resolved);
    for (const line of oldManifest) {
      if (line === prefix || inEntry(prefix, line)) continue;
      const r = resolver.resolve(line);
      if (keep.has(r) || index.owners(r).some((o) => o !== name)) continue;
      // Nothing is deleted in kiss's database through a link.
      if (r !== line && inDatabase(r)) continue;
      if (isDirectoryLine(line)) removeDirs.push(r);
      else if (disk.kind(host(r)) === "missing") continue;
      else if ((isEtcFile(line) || isEtcFile(r)) && !unchanged(host(r), oldSums.get(line))) etcKept.push(line);
      else if (disk.kind(host(r)) === "symlink" && leadsToDirectory(resolver, host, r)) removeDirLinks.push(r);
      else removeFiles.push(r);
    }
    removeDirs.sort(reverseByteOrder);
  }

  return {
    record: { kind: "install", pkg: name, tag: ctx.tag, dirs: tops, files, removeFiles, removeDirLinks, removeDirs },
    sources,
    newDirs,
    direct,
    runs: [...runs, ...fileRuns.map((i) => i + direct.length)],
    entry,
    manifest,
    resolved,
    choices: [...moved.keys()],
    etcNew,
    etcKept,
    oldVersion,
    links: indexResolver.followed,
  };
}

/** What planning learns once per directory of the package. */
interface DirPlan {
  /** The directory resolved in the root (`""` for `/`). */
  readonly resolved: string;
  /** Where it is made while staged, when the install makes it. */
  readonly staged: string | undefined;
  /** What the directory holds on disk, by name. */
  readonly onDisk: ReadonlyMap<string, DiskKind>;
  /** The package's files written into the resolved directory so far: name → path in the package. */
  readonly names: Map<string, string>;
  /** Whether another directory of the package resolves to the same one (then `names` are all kept). */
  readonly shared: boolean;
}

/**
 * The resolved directories that two directories of `pkg` (with `moved`
 * paths moved) lead to, through links of the root: files written there are
 * checked against each other by name.
 */
function sharedDirectories(
  pkg: PackageArchive,
  prefix: string,
  moved: ReadonlyMap<string, string>,
  resolver: PathResolver,
): Set<string> {
  const from = new Map<string, string>();
  const shared = new Set<string>();
  let dirPath = "\0";
  for (const e of pkg.entries) {
    if (!isPlacedFile(pkg, prefix, e)) continue;
    const path = moved.size > 0 ? moved.get(e.path) ?? e.path : e.path;
    const slash = path.lastIndexOf("/");
    if (slash === dirPath.length && path.startsWith(dirPath)) continue;
    dirPath = slash <= 0 ? "" : path.slice(0, slash);
    const resolved = resolver.resolveDir(dirPath || "/");
    const first = from.get(resolved);
    if (first === undefined) from.set(resolved, dirPath);
    else if (first !== dirPath) shared.add(resolved);
  }
  return shared;
}

/** True when `lines` are strictly in kiss's manifest order (reverse byte order, no line twice). */
function isKissOrder(lines: readonly string[]): boolean {
  for (let i = 1; i < lines.length; i++) {
    const a = lines[i - 1], b = lines[i];
    // The engine's comparison is byte order unless a code unit sorts differently in UTF-16 and UTF-8.
    if (HIGH_UNITS.test(a) || HIGH_UNITS.test(b) ? byteOrder(a, b) <= 0 : !(a > b)) return false;
  }
  return true;
}

/** Code units that sort differently in UTF-16 and in UTF-8: surrogates and U+E000–U+FFFF. */
const HIGH_UNITS = /[\uD800-\uFFFF]/;
