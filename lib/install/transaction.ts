/**
 * Installing package archives on a root (SPEC §8): every archive read and
 * checked, dependencies and conflicts checked for the whole run, then each
 * package installed as one journaled transaction under the root's lock —
 * staged, committed, renamed into place, its database entry swapped in last —
 * followed by its `post-install` script and the `KISS_HOOK` events.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { manifestStamp, OwnerIndex } from "../db/owners.ts";
import { RootResolver } from "../db/resolve.ts";
import { checkBatchConflicts, checkDependencies, orderByDepends } from "./batch.ts";
import { runHookSync } from "../hooks.ts";
import { runPackageScript } from "./scripts.ts";
import { Journal, removeJournal, txDir } from "./journal.ts";
import { type PackageArchive, type PackageEntry, readPackage, releasePackages } from "./package.ts";
import { choiceName, type InstallPlan, planInstall } from "./plan.ts";
import { completeInstall, hostPath, removeEmptyDir, removeLeftovers, rollbackInstall } from "./replay.ts";
import { type Session, withSession } from "./session.ts";
import { stageInstall } from "./stage.ts";
import { helperThreshold } from "./write_helper.ts";
import { leadsToDirectory } from "./dbguard.ts";

/** Read and check every archive (nothing is written), for installing on `root`. */
export async function readPackages(archives: readonly string[], log: Log, root: string): Promise<PackageArchive[]> {
  const pkgs: PackageArchive[] = [];
  const helperFrom = helperThreshold(root);
  try {
    for (const file of archives) {
      log.debug(`reading ${file}`);
      pkgs.push(await readPackage(file, helperFrom, log, root));
    }
    return orderByDepends(pkgs);
  } catch (err) {
    releasePackages(pkgs);
    throw err;
  }
}

/**
 * Install the package archives `archives` on `config.root`, dependencies of
 * the run first. With `--dry-run`, only say what would be done.
 */
export async function installArchives(config: Config, archives: string[], log: Log): Promise<void> {
  if (archives.length === 0) return;
  await installRead(config, await readPackages(archives, log, config.root), log);
}

/**
 * Install packages already read (in the order given), or with `--dry-run`
 * say what that would do. Their helper threads are stopped in any case.
 */
export async function installRead(config: Config, pkgs: readonly PackageArchive[], log: Log): Promise<void> {
  try {
    if (pkgs.length === 0) return;
    if (config.dryRun) {
      describeInstall(config, pkgs, log);
      return;
    }
    await withSession(config, log, (session) => installPackages(session, pkgs));
  } finally {
    releasePackages(pkgs);
  }
}

/** Install already read packages in a locked session (dependencies of the run first). */
export function installPackages(session: Session, pkgs: readonly PackageArchive[]): void {
  const { config } = session;
  const index = OwnerIndex.load(config);
  checkDependencies(config, pkgs);
  checkBatchConflicts(config, pkgs, index);
  for (const pkg of pkgs) installOne(session, pkg, index);
}

function newTag(): string {
  return `${Deno.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** Install one package (the transaction). */
export function installOne(session: Session, pkg: PackageArchive, index: OwnerIndex): void {
  const { config, log } = session;
  const name = pkg.name;
  runHookSync(config, log, "pre-install", [name, pkg.file]);
  const plan = planInstall(pkg, { paths: config, index, choice: config.choice, tag: newTag() });
  const version = `${pkg.version}-${pkg.release}`;
  log.info(
    plan.oldVersion === undefined
      ? `installing ${name} ${version}`
      : plan.oldVersion === version
      ? `reinstalling ${name} ${version}`
      : `upgrading ${name} ${plan.oldVersion} => ${version}`,
  );
  for (const c of plan.choices) log.info(`${name}: ${c} is owned by another package; kept as ${choiceName(name, c)}`);
  execute(session, pkg, plan, index);
  for (const p of plan.etcNew) {
    log.warn(`${name}: ${p} on disk differs from the package's; its version is saved as ${p}.new`);
  }
  for (const p of plan.etcKept) log.warn(`${name}: keeping ${p}, which was changed on disk`);
  runPackageScript(config, log, name, "post-install");
  runHookSync(config, log, "post-install", [name, `${config.installedDir}/${name}`]);
  log.info(`installed ${name} ${version}`);
}

function execute(session: Session, pkg: PackageArchive, plan: InstallPlan, index: OwnerIndex): void {
  const { config, steps, durability, log } = session;
  const root = config.root;
  const record = plan.record;
  // The file systems written to: the database's, and those of the directories files go into.
  const parents = new Set([config.dbRoot]);
  let last = "";
  for (const f of [...record.files, ...record.dirs]) {
    const parent = f.slice(0, f.lastIndexOf("/")) || "/";
    if (parent !== last) parents.add(hostPath(root, parent));
    last = parent;
  }
  const journal = Journal.begin(config.dbRoot, record, steps, durability);
  try {
    stageInstall({ root, dbRoot: config.dbRoot, steps, log, helper: pkg.helper, pkg }, plan);
    durability.syncFileSystems(parents);
    journal.commit();
  } catch (err) {
    rollbackInstall(session, record);
    removeLeftovers(config);
    removeJournal(config.dbRoot);
    log.done(`install:${pkg.name}`);
    throw new KilnError(`installing ${pkg.name} failed, nothing was changed: ${(err as Error).message}`, {
      hint: "check the free space and permissions of the root",
      cause: err,
    });
  }
  try {
    completeInstall(session, record);
  } catch (err) {
    log.done(`install:${pkg.name}`);
    throw new KilnError(`installing ${pkg.name} was interrupted after its commit: ${(err as Error).message}`, {
      hint: "fix the cause, then run any kiln command that changes this root: it completes the install",
      cause: err,
    });
  }
  // Links to directories change how paths resolve: then the index is rebuilt.
  const resolver = new RootResolver(root);
  const host = (p: string) => hostPath(root, p);
  const linksToDirectory = (e: PackageEntry, target: string) =>
    e.type === "symlink" && leadsToDirectory(resolver, host, target);
  const linksChanged = record.removeDirLinks.length > 0 ||
    plan.sources.some((e, i) => linksToDirectory(e, record.files[i])) ||
    plan.direct.some((d) => linksToDirectory(d.entry, d.target));
  if (linksChanged) index.rebuild(config);
  else index.replacePackage(pkg.name, plan.resolved, manifestStamp(config.installedDir, pkg.name), plan.links);
  index.trySave(config);
  steps.step();
  removeEmptyDir(txDir(config.dbRoot));
  durability.syncFileSystems(parents);
  journal.end();
  log.done(`install:${pkg.name}`);
}

/** Say what installing `pkgs` would do, changing nothing (`--dry-run`). */
export function describeInstall(config: Config, pkgs: readonly PackageArchive[], log: Log): void {
  const index = OwnerIndex.load(config, { save: false });
  checkDependencies(config, pkgs);
  checkBatchConflicts(config, pkgs, index);
  for (const pkg of pkgs) {
    const plan = planInstall(pkg, { paths: config, index, choice: config.choice, tag: "dry-run" });
    const version = `${pkg.version}-${pkg.release}`;
    const exists = (p: string) => {
      try {
        Deno.lstatSync(hostPath(config.root, p));
        return true;
      } catch {
        return false;
      }
    };
    const targets = [...plan.record.files, ...plan.direct.map((d) => d.target)].sort();
    const replaced = new Set(plan.record.files.filter(exists));
    log.info(
      `would ${plan.oldVersion === undefined ? "install" : `upgrade ${plan.oldVersion} =>`} ${pkg.name} ${version}: ` +
        `${targets.length - replaced.size} files to add, ${replaced.size} to replace, ` +
        `${plan.record.removeFiles.length} to remove, ${plan.newDirs.length} new directories`,
    );
    for (const f of targets) log.info(`  ${replaced.has(f) ? "replace" : "add"} ${f}`);
    for (const f of plan.record.removeFiles) log.info(`  remove ${f}`);
    for (const c of plan.choices) log.info(`  alternative ${c} -> ${choiceName(pkg.name, c)}`);
    for (const p of plan.etcNew) log.info(`  keep ${p} (changed), new version as ${p}.new`);
  }
}
