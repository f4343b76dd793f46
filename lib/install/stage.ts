/**
 * The writing half of an install, before its commit: each new directory made
 * under a temporary name with everything that goes in it, every other file
 * written under a temporary name beside its target, the new database entry
 * written under `.kiln-tx/`. Nothing the system uses changes yet; a crash
 * here is rolled back.
 *
 * Each file costs one write call (open, write, close inside Deno; an
 * fchmod only when the umask would change its mode), plus one rename when
 * it goes into an existing directory; directories are made once; nothing is
 * `stat`ed. A big package's files are written by two threads
 * (`write_helper.ts`).
 *
 * @module
 */

import type { Log } from "../log.ts";
import { tempName, txDir } from "./journal.ts";
import type { EntryFile, InstallPlan } from "./plan.ts";
import type { PackageArchive, PackageEntry } from "./package.ts";
import { blocksOf, checkRoom } from "./space.ts";
import { LaterWrites } from "./stream_write.ts";
import { hostPath, stagedEntry } from "./replay.ts";
import type { Steps } from "./steps.ts";
import type { WriteHelper } from "./write_helper.ts";

/** What staging needs. */
export interface StageEnv {
  /** The root installed on. */
  readonly root: string;
  /** Where the database and the transaction directory are. */
  readonly dbRoot: string;
  /** The transaction's step counter. */
  readonly steps: Steps;
  /** Hears progress and debug lines. */
  readonly log: Log;
  /** The package's helper thread, if it has one: it writes a share of the files, and is stopped after. */
  readonly helper?: WriteHelper;
  /**
   * The package: its size is checked against the root's free space before
   * anything is written, and the content of its files not held in memory
   * is read from it again.
   */
  readonly pkg?: PackageArchive;
}

function makeDir(path: string, mode: number, umask: number) {
  Deno.mkdirSync(path, { mode });
  if ((mode & ~umask) !== mode || (mode & 0o7000) !== 0) Deno.chmodSync(path, mode);
}

function writeEntry(path: string, f: EntryFile, umask: number) {
  if (f.type === "directory") makeDir(path, f.mode, umask);
  else if (f.type === "symlink") Deno.symlinkSync(f.linkName ?? "", path);
  else Deno.writeFileSync(path, f.body, { mode: f.mode });
}

/** Stage everything `plan` writes (see the module documentation). */
export function stageInstall(env: StageEnv, plan: InstallPlan): void {
  const { root, steps, log } = env;
  const { record, sources } = plan;
  const pkg = env.pkg;
  if (pkg !== undefined) {
    let bytes = 0;
    for (const e of pkg.entries) bytes += blocksOf(e.size);
    checkRoom(pkg.file, root, bytes);
  }
  const umask = Deno.umask();
  for (const d of plan.newDirs) {
    makeDir(hostPath(root, d.staged), d.mode, umask);
    steps.step();
  }
  const id = `install:${record.pkg}`;
  const total = record.files.length + plan.direct.length;
  const progress = (done: number) => log.progress({ id, phase: "install", label: record.pkg, done, total });
  // A file created with the mode the umask gives anyway needs no fchmod.
  const plain = 0o666 & ~umask;
  // Files whose content is not in memory are written as the archive is read again, after the others.
  const later = new LaterWrites();
  const write = (path: string, e: PackageEntry) => {
    if (e.later !== undefined) return later.add(e, path);
    if (e.type === "symlink") Deno.symlinkSync(e.linkName ?? "", path);
    else if (e.mode === plain) Deno.writeFileSync(path, e.body);
    else Deno.writeFileSync(path, e.body, { mode: e.mode });
    steps.step();
  };
  // The helper writes from an archive held whole in shared memory, never from one read again.
  if (env.helper !== undefined && !env.helper.stopped && pkg?.again === undefined) {
    const paths: string[] = new Array(total);
    const entries: PackageEntry[] = new Array(total);
    let j = 0;
    for (const f of plan.direct) {
      paths[j] = hostPath(root, f.staged);
      entries[j++] = f.entry;
    }
    for (let i = 0; i < record.files.length; i++) {
      paths[j] = hostPath(root, tempName(record.files[i], record.tag, i));
      entries[j++] = sources[i];
    }
    const here = (i: number) => write(paths[i], entries[i]);
    const helped = env.helper.writeAll(paths, entries, plain, steps, here, progress, plan.runs);
    log.debug(`${record.pkg}: ${helped} of ${total} files written by a second thread`);
  } else {
    env.helper?.stop();
    let done = 0;
    for (const f of plan.direct) {
      write(hostPath(root, f.staged), f.entry);
      if ((++done & 511) === 0) progress(done);
    }
    for (let i = 0; i < record.files.length; i++) {
      write(hostPath(root, tempName(record.files[i], record.tag, i)), sources[i]);
      if ((++done & 511) === 0) progress(done);
    }
  }
  if (pkg !== undefined) later.write(pkg, plain, steps, (n) => progress(total - later.count + n));
  Deno.mkdirSync(txDir(env.dbRoot), { recursive: true });
  const entryDir = stagedEntry(env.dbRoot, record.pkg).next;
  makeDir(entryDir, 0o755, umask);
  for (const f of plan.entry) {
    writeEntry(`${entryDir}/${f.rel.replace(/\/$/, "")}`, f, umask);
    steps.step();
  }
  log.progress({ id, phase: "install", label: record.pkg, done: total, total });
}
