/**
 * Removing installed packages (SPEC §8): refused when another installed
 * package depends on one at runtime, or when it provides a file others keep
 * alternatives for (unless forced); then `pre-remove` runs, and one journaled
 * transaction deletes the manifest's files, then its empty directories —
 * never a directory another package still lists, never an `/etc` file the
 * user changed — and drops the database entry.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { isInstalled } from "../db/installed.ts";
import { isEtcFile, pairEtcsums, readEtcsums } from "../db/etcsums.ts";
import { DB_PATH, isDirectoryLine, readManifest } from "../db/manifest.ts";
import { reverseByteOrder } from "../db/order.ts";
import { OwnerIndex } from "../db/owners.ts";
import { runtimeDepends } from "../db/queries.ts";
import { RootResolver } from "../db/resolve.ts";
import { type DiskKind, DiskView, nonRegularEntries } from "./disk.ts";
import { unchanged } from "./etc.ts";
import { checkEntryNotLink, inDatabase, isOwnScript, leadsToDirectory } from "./dbguard.ts";
import { runHookSync } from "../hooks.ts";
import { runPackageScript } from "./scripts.ts";
import { Journal, type RemoveRecord, txDir } from "./journal.ts";
import { completeRemove, hostPath, removeEmptyDir } from "./replay.ts";
import { type Session, withSession } from "./session.ts";
import { listAlternatives } from "./alternatives.ts";
import { WriteHelper } from "./write_helper.ts";

/** What removing one package does. */
export interface RemovePlan {
  readonly record: RemoveRecord;
  /** `/etc` files kept because the user changed them. */
  readonly etcKept: readonly string[];
}

/** What a removal learns once per directory of the manifest. */
interface DirFacts {
  /** Where the directory resolves (`""` for `/`). */
  readonly resolved: string;
  /** Whether it resolves to itself: a file's resolved path is then its manifest line. */
  readonly unmoved: boolean;
  /** Whether another package owns a path below it (if not, its files need no look-up each). */
  readonly shared: boolean;
  /** Whether the directory can be read at all (if not, none of its files is there to delete). */
  readonly there: boolean;
  /** In `/etc`, whose files are deleted only when there and unchanged: what is on disk, by name. */
  readonly etc?: ReadonlyMap<string, DiskKind>;
  /** Names of the links in it that lead to a directory: they go only once they dangle. */
  readonly dirLinks?: ReadonlySet<string>;
}

/** Plan the removal of installed package `name` (whose manifest is `manifest`, when already read). */
export function planRemove(
  config: Config,
  name: string,
  index: OwnerIndex,
  manifest?: readonly string[],
): RemovePlan {
  checkEntryNotLink(config.installedDir, name);
  manifest ??= readManifest(config.installedDir, name);
  const sums = pairEtcsums(manifest, readEtcsums(`${config.installedDir}/${name}`));
  const resolver = new RootResolver(config.root);
  const disk = new DiskView();
  const host = (p: string) => hostPath(config.root, p);
  const entryPrefix = `${DB_PATH}/${name}/`;
  const removeFiles: string[] = [];
  const removeDirs: string[] = [];
  const removeDirLinks: string[] = [];
  const etcKept: string[] = [];
  const dirs = new Map<string, DirFacts>();
  // Outside `/etc` only what is not a regular file is read from disk (a file that is missing is simply not
  // there to delete), and of that only the links to directories matter.
  const learn = (dirPath: string, line: string): DirFacts => {
    const resolved = resolver.resolveDir(dirPath || "/");
    const under = resolved === "/" ? "" : resolved;
    const hostDir = config.root === "/" ? resolved : config.root + under;
    const facts = {
      resolved: under,
      unmoved: under === dirPath,
      shared: index.hasPathsUnder(`${under}/`, name),
    };
    // A file reached through a link into `/etc` is the `/etc` file it lands on.
    if (isEtcFile(line) || under === "/etc" || under.startsWith("/etc/")) {
      const etc = disk.entries(hostDir);
      return { ...facts, there: etc.size > 0, etc };
    }
    const special = nonRegularEntries(hostDir);
    if (special === undefined) return { ...facts, there: false };
    let dirLinks: Set<string> | undefined;
    for (const [base, kind] of special) {
      if (kind === "symlink" && linksToDirectory(`${under}/${base}`, special)) (dirLinks ??= new Set()).add(base);
    }
    return { ...facts, there: true, dirLinks };
  };
  // Most links name a file beside them (`libz.so` → `libz.so.1`): what is not a link or a directory beside it
  // (`special` lists those) is a file or nothing. Others are followed through the root.
  const linksToDirectory = (link: string, special: ReadonlyMap<string, DiskKind>): boolean => {
    let target: string | undefined;
    try {
      target = Deno.readLinkSync(host(link));
    } catch { /* gone meanwhile: resolved below */ }
    if (target !== undefined && !target.includes("/") && target !== "." && target !== ".." && !special.has(target)) {
      return false;
    }
    return leadsToDirectory(resolver, host, link);
  };
  let dir: DirFacts | undefined;
  let dirPath = "";
  for (const line of manifest) {
    if (line.startsWith(entryPrefix)) continue;
    if (isDirectoryLine(line)) {
      const r = resolver.resolve(line);
      // Nothing is deleted in kiss's database through a link.
      if (r !== line && inDatabase(r)) continue;
      if (!index.owners(r).some((o) => o !== name)) removeDirs.push(r);
      continue;
    }
    const slash = line.lastIndexOf("/");
    // A manifest lists a directory's files one after another: most are in the directory of the line before.
    if (dir === undefined || slash !== dirPath.length || !line.startsWith(dirPath)) {
      dirPath = line.slice(0, Math.max(slash, 0));
      dir = dirs.get(dirPath);
      if (dir === undefined) dirs.set(dirPath, dir = learn(dirPath, line));
    }
    if (!dir.there) continue;
    const r = dir.unmoved ? line : `${dir.resolved}${line.slice(slash)}`;
    if (!dir.unmoved && inDatabase(r)) continue;
    if (dir.shared && index.owners(r).some((o) => o !== name)) continue;
    if (dir.etc !== undefined) {
      const kind = dir.etc.get(line.slice(slash + 1));
      if (kind === undefined) continue;
      if (!unchanged(host(r), sums.get(line))) etcKept.push(line);
      else if (kind === "symlink" && leadsToDirectory(resolver, host, r)) removeDirLinks.push(r);
      else removeFiles.push(r);
    } else if (dir.dirLinks?.has(line.slice(slash + 1))) removeDirLinks.push(r);
    else removeFiles.push(r);
  }
  removeDirs.sort(reverseByteOrder);
  return { record: { kind: "remove", pkg: name, removeFiles, removeDirs, removeDirLinks }, etcKept };
}

/** Throw {@linkcode KilnError} unless `name` can go (see the module documentation); skipped when forced. */
export function checkRemovable(config: Config, name: string, index: OwnerIndex): void {
  if (config.force) return;
  const dependents = [...runtimeDepends(config)].filter(([pkg, deps]) => pkg !== name && deps.includes(name))
    .map(([pkg]) => pkg);
  if (dependents.length > 0) {
    throw new KilnError(
      `cannot remove ${name}: ${dependents.join(", ")} depend${dependents.length === 1 ? "s" : ""} on it`,
      {
        hint: `remove ${dependents.join(", ")} first (or in the same command), or use --force`,
      },
    );
  }
  const resolver = new RootResolver(config.root);
  const orphaned = listAlternatives(config).filter((a) =>
    a.pkg !== name && index.owners(resolver.resolve(a.path)).includes(name)
  );
  if (orphaned.length > 0) {
    const first = orphaned[0];
    throw new KilnError(
      `cannot remove ${name}: it provides ${orphaned.map((a) => a.path).join(", ")}, kept as alternatives by ${
        [...new Set(orphaned.map((a) => a.pkg))].join(", ")
      }; removing it would leave them orphaned`,
      { hint: `swap an alternative in first (kiln alternatives ${first.pkg} ${first.path}), or use --force` },
    );
  }
}

/** Order `names` so that a package comes before the packages (in `names`) it depends on. */
function dependentsFirst(config: Config, names: readonly string[]): string[] {
  const deps = runtimeDepends(config);
  const wanted = new Set(names);
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const [pkg, d] of deps) if (wanted.has(pkg) && d.includes(n)) visit(pkg);
    out.push(n);
  };
  names.forEach(visit);
  return out;
}

/** Remove one installed package in a locked session. */
export function removeOne(session: Session, name: string, index: OwnerIndex): void {
  const { config, log, steps, durability } = session;
  checkRemovable(config, name, index);
  checkEntryNotLink(config.installedDir, name);
  runHookSync(config, log, "pre-remove", [name, `${config.installedDir}/${name}`]);
  if (isOwnScript(config.installedDir, name, "pre-remove")) runPackageScript(config, log, name, "pre-remove");
  else {
    log.warn(
      `${name}: skipping pre-remove: ${config.installedDir}/${name}/pre-remove is reached through a symbolic link, ` +
        "not a file of the package's own entry",
    );
  }
  const manifest = readManifest(config.installedDir, name);
  // A big package's files are deleted by two threads; the second starts while the removal is planned.
  const helper = WriteHelper.forRemoval(manifest.length);
  let plan: RemovePlan;
  let journal: Journal;
  try {
    plan = planRemove(config, name, index, manifest);
    log.info(`removing ${name}`);
    journal = Journal.begin(config.dbRoot, plan.record, steps, durability, true);
    try {
      completeRemove(session, plan.record, helper);
    } catch (err) {
      throw new KilnError(`removing ${name} was interrupted: ${(err as Error).message}`, {
        hint: "fix the cause (permissions, a read-only mount), then run any kiln command that changes this root: " +
          "it completes the removal",
        cause: err,
      });
    }
  } finally {
    helper?.stop();
  }
  if (plan.record.removeDirLinks.length > 0) index.rebuild(config);
  else index.replacePackage(name, undefined, "-");
  index.trySave(config);
  steps.step();
  removeEmptyDir(txDir(config.dbRoot));
  const parents = new Set([config.dbRoot]);
  let last = "";
  for (const f of plan.record.removeFiles) {
    const parent = f.slice(0, f.lastIndexOf("/")) || "/";
    if (parent !== last) parents.add(hostPath(config.root, parent));
    last = parent;
  }
  durability.syncFileSystems(parents);
  journal.end();
  for (const p of plan.etcKept) log.warn(`${name}: keeping ${p}, which was changed on disk`);
  runHookSync(config, log, "post-remove", [name, config.root]);
  log.info(`removed ${name}`);
}

/** Remove the installed packages `names` from `config.root` (dependents first). `--dry-run` only says what. */
export async function removePackages(config: Config, names: readonly string[], log: Log): Promise<void> {
  for (const name of names) {
    if (!isInstalled(config, name)) {
      throw new KilnError(`package ${name} is not installed in ${config.root}`, {
        hint: "run 'kiln list' to see the installed packages",
      });
    }
  }
  const order = dependentsFirst(config, names);
  if (config.dryRun) {
    const index = OwnerIndex.load(config, { save: false });
    for (const name of order) {
      const plan = planRemove(config, name, index);
      log.info(
        `would remove ${name}: ${plan.record.removeFiles.length} files, ${plan.record.removeDirs.length} directories`,
      );
      for (const f of plan.record.removeFiles) log.info(`  remove ${f}`);
      for (const f of plan.etcKept) log.info(`  keep ${f} (changed)`);
    }
    return;
  }
  await withSession(config, log, (session) => {
    const index = OwnerIndex.load(config);
    for (const name of order) {
      if (!isInstalled(config, name)) continue;
      removeOne(session, name, index);
    }
  });
}
