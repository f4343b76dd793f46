/**
 * Carrying out the journaled part of a transaction: completing it after the
 * commit, or rolling it back before. The same functions serve the running
 * transaction and the repair of a crashed one, so every step checks what is
 * already done and does only the rest (idempotent).
 *
 * @module
 */

import type { Log } from "../log.ts";
import type { DatabasePaths } from "../db/owners.ts";
import { isNotFound } from "../errors.ts";
import { RootResolver } from "../db/resolve.ts";
import { ERRNO, strerror, SyscallError } from "../../ffi/libc.ts";
import { AT_REMOVEDIR, DirectoryUnlinker, tryRmdir, tryUnlink } from "../../ffi/unlink.ts";
import {
  type InstallRecord,
  type Removals,
  type RemoveRecord,
  stagedDirName,
  type SwapRecord,
  tempName,
  txDir,
} from "./journal.ts";
import type { Steps } from "./steps.ts";
import type { WriteHelper } from "./write_helper.ts";

/** What a transaction works with. */
export interface TxEnv {
  readonly paths: DatabasePaths;
  readonly steps: Steps;
  readonly log: Log;
}

/** The host path of a path inside the root. */
export function hostPath(root: string, path: string): string {
  return root === "/" ? path : root + path;
}

/** Whether anything (even a dangling link) is at `path`. */
export function present(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Delete a file or link (`unlink`); false when nothing was there, or a
 * directory that is not empty: a directory where a file was expected stays
 * unless it is empty (as `Deno.removeSync` does). Other errors are thrown,
 * naming the path. `unlinker`, if given, keeps the file's directory open
 * for the next file.
 */
export function removeFile(path: string, unlinker?: DirectoryUnlinker): boolean {
  const n = unlinker === undefined ? tryUnlink(path) : unlinker.unlink(path);
  if (n === undefined) return removeFileSlowly(path);
  if (n === 0) return true;
  if (n === ERRNO.ENOENT || n === ERRNO.ENOTDIR) return false;
  if (n === ERRNO.EISDIR) return (unlinker === undefined ? tryRmdir(path) : unlinker.unlink(path, AT_REMOVEDIR)) === 0;
  // A directory where a file was expected stays (unlink may refuse with EPERM or EACCES before EISDIR).
  if (Deno.lstatSync(path).isDirectory) return false;
  throw new SyscallError("unlink", n, strerror(n), path);
}

/** {@linkcode removeFile} without the C library. */
function removeFileSlowly(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch (err) {
    if (isNotFound(err) || err instanceof Deno.errors.NotADirectory) return false;
    // A non-empty directory where a file was expected stays.
    if (Deno.lstatSync(path).isDirectory) return false;
    throw err;
  }
}

/** Delete a directory if it is empty; false when it is missing, not empty, or not a directory. */
export function removeEmptyDir(path: string): boolean {
  const n = tryRmdir(path);
  if (n !== undefined) return n === 0;
  try {
    if (!Deno.lstatSync(path).isDirectory) return false;
    Deno.removeSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Delete a tree if present. */
export function removeTree(path: string): boolean {
  try {
    Deno.removeSync(path, { recursive: true });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function renameIfPresent(from: string, to: string): boolean {
  try {
    Deno.renameSync(from, to);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** The staged and the set-aside database entry of a package during a transaction. */
export function stagedEntry(dbRoot: string, pkg: string): { next: string; prev: string } {
  const tx = txDir(dbRoot);
  return { next: `${tx}/${pkg}.new`, prev: `${tx}/${pkg}.old` };
}

/** Put the staged database entry of `pkg` in place of the current one (if staged). */
export function swapEntry(env: TxEnv, pkg: string): void {
  const { next, prev } = stagedEntry(env.paths.dbRoot, pkg);
  const current = `${env.paths.installedDir}/${pkg}`;
  if (present(next)) {
    if (present(current)) {
      removeTree(prev);
      Deno.renameSync(current, prev);
      env.steps.step();
    }
    Deno.renameSync(next, current);
    env.steps.step();
  }
  if (removeTree(prev)) env.steps.step();
}

/** Remove the database entry of `pkg` (set aside by a rename, then deleted). */
export function dropEntry(env: TxEnv, pkg: string): void {
  const { prev } = stagedEntry(env.paths.dbRoot, pkg);
  const current = `${env.paths.installedDir}/${pkg}`;
  if (present(current)) {
    removeTree(prev);
    Deno.mkdirSync(txDir(env.paths.dbRoot), { recursive: true });
    Deno.renameSync(current, prev);
    env.steps.step();
  }
  if (removeTree(prev)) env.steps.step();
}

function removeOld(
  env: TxEnv,
  rec: Removals,
  helper?: WriteHelper,
) {
  const root = env.paths.root;
  const unlinker = new DirectoryUnlinker();
  const remove = (path: string) => {
    if (removeFile(path, unlinker)) env.steps.step();
  };
  try {
    if (helper === undefined) { for (const f of rec.removeFiles) remove(hostPath(root, f)); }
    else {
      const helped = helper.removeAll(rec.removeFiles, env.steps, remove, hostPath(root, ""));
      env.log.debug(`${helped} of ${rec.removeFiles.length} files deleted by a second thread`);
    }
  } finally {
    unlinker.close();
  }
  for (const d of rec.removeDirs) {
    if (removeEmptyDir(hostPath(root, d))) env.steps.step();
  }
  if (rec.removeDirLinks.length > 0) {
    // kiss's rule: a link to a directory goes only once nothing is left behind it.
    const resolver = new RootResolver(root);
    for (const l of rec.removeDirLinks) {
      const p = hostPath(root, l);
      let isLink = false;
      try {
        isLink = Deno.lstatSync(p).isSymlink;
      } catch { /* gone */ }
      if (isLink && !present(hostPath(root, resolver.resolveDir(l))) && removeFile(p)) env.steps.step();
    }
  }
}

/** Roll back an install that was not committed: the root is left as it was before. */
export function rollbackInstall(env: TxEnv, rec: InstallRecord): void {
  const root = env.paths.root;
  rec.files.forEach((target, i) => {
    if (removeFile(hostPath(root, tempName(target, rec.tag, i)))) env.steps.step();
  });
  rec.dirs.forEach((target, j) => {
    if (removeTree(hostPath(root, stagedDirName(target, rec.tag, j)))) env.steps.step();
  });
  if (removeTree(stagedEntry(env.paths.dbRoot, rec.pkg).next)) env.steps.step();
}

/**
 * Complete a committed install: staged files and directories renamed into
 * place, the old version's leftovers removed, the database entry swapped. `progress` is
 * told how many files are in place.
 */
export function completeInstall(env: TxEnv, rec: InstallRecord, progress?: (done: number) => void): void {
  const root = env.paths.root;
  const files = rec.files;
  for (let i = 0; i < files.length; i++) {
    const target = hostPath(root, files[i]);
    if (renameIfPresent(hostPath(root, tempName(files[i], rec.tag, i)), target)) env.steps.step();
    if (progress && (i & 1023) === 1023) progress(i + 1);
  }
  rec.dirs.forEach((target, j) => {
    if (renameIfPresent(hostPath(root, stagedDirName(target, rec.tag, j)), hostPath(root, target))) env.steps.step();
  });
  removeOld(env, rec);
  swapEntry(env, rec.pkg);
}

/**
 * Complete a remove (there is nothing to roll back: a remove only goes
 * forward); a `helper` thread, if given, deletes a share of the files.
 */
export function completeRemove(env: TxEnv, rec: RemoveRecord, helper?: WriteHelper): void {
  removeOld(env, rec, helper);
  dropEntry(env, rec.pkg);
}

/** Roll back an alternative swap that was not committed. */
export function rollbackSwap(env: TxEnv, rec: SwapRecord): void {
  const root = env.paths.root;
  if (rec.keep && removeFile(hostPath(root, tempName(rec.keep, rec.tag, 0)))) env.steps.step();
  rec.dbFiles.forEach((f, i) => {
    if (removeFile(hostPath(root, tempName(f, rec.tag, i + 1)))) env.steps.step();
  });
}

/** Complete a committed alternative swap. */
export function completeSwap(env: TxEnv, rec: SwapRecord): void {
  const root = env.paths.root;
  if (rec.keep && renameIfPresent(hostPath(root, tempName(rec.keep, rec.tag, 0)), hostPath(root, rec.keep))) {
    env.steps.step();
  }
  if (renameIfPresent(hostPath(root, rec.choice), hostPath(root, rec.target))) env.steps.step();
  rec.dbFiles.forEach((f, i) => {
    if (renameIfPresent(hostPath(root, tempName(f, rec.tag, i + 1)), hostPath(root, f))) env.steps.step();
  });
}

/** Remove what an interrupted transaction may leave in the database directory besides the journal. */
export function removeLeftovers(paths: DatabasePaths): void {
  removeTree(txDir(paths.dbRoot));
  try {
    for (const e of Deno.readDirSync(paths.dbRoot)) {
      if (/^\.kiln-(owners|journal)\.[0-9a-z]+\.tmp$/.test(e.name)) removeFile(`${paths.dbRoot}/${e.name}`);
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
