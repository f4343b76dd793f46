/**
 * Two threads writing one package (`lib/install/write_helper.ts`): a big
 * package lands exactly as GNU tar extracts it; the helper thread writes
 * the chunks this thread does not get to, counts its steps in the
 * transaction's counter, and on an error stops both threads before the
 * error is reported; a kill while both write is repaired by the next run.
 */
import assert from "node:assert/strict";
import { decompress } from "../../lib/archive/compress.ts";
import { parseTar } from "../../lib/archive/tar.ts";
import { recoverRoot } from "../../lib/install/recover.ts";
import { Steps } from "../../lib/install/steps.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { removeFile } from "../../lib/install/replay.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import type { PackageEntry } from "../../lib/install/package.ts";
import {
  HELPER_MIN_FILES,
  HELPER_MIN_FILES_ON_DISK,
  helperThreshold,
  WriteHelper,
} from "../../lib/install/write_helper.ts";
import { STATE } from "../../lib/install/helper_thread.ts";
import { fileSystemType } from "../../ffi/fs.ts";
import { run } from "../_helpers/archive.ts";
import { bigArchive } from "../_helpers/bigpackage.ts";
import { baseEnv, PROJECT_DIR } from "../_helpers/cli.ts";
import { exists, tempDir } from "../_helpers/fixtures.ts";
import { helperOut, watched } from "../_helpers/helper_state.ts";
import { diffSnapshots, inconsistencies, isKilnFile, rootConfig, snapshot, testLog } from "../_helpers/packages.ts";

const FILES = HELPER_MIN_FILES + 100;
/** A helper needs a second processor: on a machine with one, one thread writes everything. */
const ONE_CPU = navigator.hardwareConcurrency < 2;

/** What GNU tar makes of `archive` in a new directory `dir`. */
async function tarReference(archive: string, dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await run("tar", ["-xf", archive, "-C", dir]);
}

Deno.test(`a package of ${FILES} files is installed as GNU tar extracts it, its content read again as written`, async () => {
  await using tmp = await tempDir();
  const archive = await bigArchive(`${tmp.path}/pkgs`, "big", FILES, "zst");
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const log = testLog();
  await installArchives(rootConfig(root), [archive], log);
  // Read again by the zstd program, not held in shared memory: one thread writes.
  assert.equal(log.events.lines("debug").find((l) => l.includes("written by a second thread")), undefined);
  await tarReference(archive, `${tmp.path}/ref`);
  assert.deepEqual(diffSnapshots(snapshot(`${tmp.path}/ref`), snapshot(root, isKilnFile)), []);
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test({
  name: "packages too small for a helper, or not decompressed into shared memory, get none",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const zst = await decompress(await Deno.readFile(await bigArchive(`${tmp.path}/pkgs`, "small", 50, "zst")));
  const gz = await decompress(await Deno.readFile(await bigArchive(`${tmp.path}/pkgs`, "small", 50, "gz")));
  assert.ok(zst.buffer instanceof SharedArrayBuffer, "zstd is decompressed into shared memory");
  assert.equal(WriteHelper.forArchive(zst, HELPER_MIN_FILES - 1), undefined, "too few files");
  assert.equal(WriteHelper.forArchive(gz, HELPER_MIN_FILES), undefined, "gzip: not in shared memory");
  const one = WriteHelper.forArchive(zst, HELPER_MIN_FILES);
  assert.ok(one);
  assert.equal(WriteHelper.forArchive(zst, HELPER_MIN_FILES), undefined, "one helper at a time");
  one.stop();
  one.stop();
  const again = WriteHelper.forArchive(zst, HELPER_MIN_FILES);
  assert.ok(again, "a stopped helper makes room for the next");
  again.stop();
  // Used after it was stopped, it writes nothing itself: this thread writes every file.
  const jobs = [...parseTar(zst)].filter((i) => i.entry.type === "file").slice(0, 3).map((i, n): WriteJob => ({
    path: `${tmp.path}/f${n}`,
    entry: { path: `/${i.entry.path}`, type: "file", mode: i.entry.mode, body: i.body, size: i.body.length },
  }));
  const plain = 0o666 & ~Deno.umask();
  assert.equal(writeJobs(again, jobs, plain, new Steps()), 0);
  assert.ok(jobs.every((j) => exists(j.path)));
});

/** The archive of a 600-file package, its bytes, its decompressed tar, and its entries by directory. */
async function sample(dir: string, frames = 1) {
  const archive = await bigArchive(`${dir}/pkgs`, "mid", 600, "zst");
  let bytes = await Deno.readFile(archive);
  if (frames > 1) {
    // The same archive in several zstd frames (as pzstd writes it): decompressed into one shared buffer all the same.
    const whole = await decompress(bytes);
    const parts: Uint8Array[] = [];
    for (let f = 0; f < frames; f++) {
      const piece = whole.slice(Math.floor(whole.length * f / frames), Math.floor(whole.length * (f + 1) / frames));
      parts.push((await run("zstd", ["-q", "-c"], { stdin: piece })).stdout);
    }
    bytes = new Uint8Array(parts.flatMap((p) => [...p]));
    await Deno.writeFile(archive, bytes);
  }
  const tar = await decompress(bytes);
  const byDir = new Map<string, PackageEntry[]>();
  for (const { entry, body } of parseTar(tar)) {
    if (entry.type !== "file" && entry.type !== "symlink") continue;
    const slash = entry.path.lastIndexOf("/");
    const d = entry.path.slice(0, slash);
    if (!byDir.has(d)) byDir.set(d, []);
    byDir.get(d)!.push({
      path: `/${entry.path}`,
      type: entry.type,
      mode: entry.mode,
      body,
      size: body.length,
      linkName: entry.linkName,
    });
  }
  return { archive, bytes, tar, byDir };
}

/** One file to write: where (a host path), and what. */
interface WriteJob {
  readonly path: string;
  readonly entry: PackageEntry;
}

/** `writeAll` of the jobs, with `before(i)` called as this thread takes job `i`. */
function writeJobs(
  helper: WriteHelper,
  jobs: readonly WriteJob[],
  plain: number,
  steps: Steps,
  before: (i: number) => void = () => {},
  runs?: readonly number[],
): number {
  return helper.writeAll(
    jobs.map((j) => j.path),
    jobs.map((j) => j.entry),
    plain,
    steps,
    (i) => {
      before(i);
      writeJob(jobs[i], plain);
    },
    () => {},
    runs,
  );
}

/** Write one job as staging does. */
function writeJob(job: WriteJob, plain: number): void {
  const e = job.entry;
  if (e.type === "symlink") Deno.symlinkSync(e.linkName ?? "", job.path);
  else if (e.mode === plain) Deno.writeFileSync(job.path, e.body);
  else Deno.writeFileSync(job.path, e.body, { mode: e.mode });
}

for (const [frames, byRuns] of [[1, false], [2, false], [1, true]] as const) {
  Deno.test({
    name: `the helper writes the chunks this thread does not get to, as this thread would (${frames} frames${
      byRuns ? ", directories given by the plan" : ""
    })`,
    ignore: ONE_CPU,
    fn: () => helperShares(frames, byRuns),
  });
}

async function helperShares(frames: number, byRuns: boolean) {
  await using tmp = await tempDir();
  const { archive, tar, byDir } = await sample(tmp.path, frames);
  const { helper, words } = watched(() => WriteHelper.forArchive(tar, HELPER_MIN_FILES));
  const out = `${tmp.path}/out`;
  const jobs: WriteJob[] = [];
  const runs: number[] = [];
  for (const [d, entries] of byDir) {
    Deno.mkdirSync(`${out}/${d}`, { recursive: true });
    runs.push(jobs.length);
    for (const e of entries) jobs.push({ path: `${out}${e.path}`, entry: e });
  }
  const plain = 0o666 & ~Deno.umask();
  const steps = new Steps();
  let here = 0;
  // This thread holds its first file (of the first chunk) until the helper has written all the other chunks.
  const helped = writeJobs(helper, jobs, plain, steps, () => {
    if (here++ === 0) assert.equal(helperOut(words), STATE.finished);
  }, byRuns ? runs : undefined);
  assert.ok(exists(jobs[jobs.length - 1].path), "the helper wrote the last file");
  assert.ok(helper.stopped, "the helper is stopped after use");
  assert.ok(helped > 0 && here > 0, `the helper wrote ${helped} of ${jobs.length}`);
  assert.equal(helped + here, jobs.length);
  assert.equal(steps.count, helped, "the helper's steps are counted in the transaction's counter");
  await tarReference(archive, `${tmp.path}/ref`);
  const files = (m: Map<string, string>) => new Map([...m].filter(([, s]) => !s.startsWith("dir ")));
  const want = new Map([...files(snapshot(`${tmp.path}/ref`))].filter(([p]) => !p.startsWith("/var/")));
  const got = new Map([...files(snapshot(out))].filter(([p]) => !p.startsWith("/var/")));
  assert.deepEqual(diffSnapshots(want, got), []);
}

Deno.test({
  name: "an error in the helper's share stops both threads and is reported after the helper has stopped",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const { tar, byDir } = await sample(tmp.path);
  const { helper, words } = watched(() => WriteHelper.forArchive(tar, HELPER_MIN_FILES));
  const out = `${tmp.path}/out`;
  const groups = [...byDir.values()].map((entries) => entries.filter((e) => e.type === "file").slice(0, 10));
  const [a, c, b, d] = ["a", "c", "missing/b", "d"].map((name, i) =>
    groups[i].map((e): WriteJob => ({ path: `${out}/${name}/${e.path.slice(e.path.lastIndexOf("/") + 1)}`, entry: e }))
  );
  for (const name of ["a", "c", "d"]) Deno.mkdirSync(`${out}/${name}`, { recursive: true });
  // This thread takes the chunks from the start (a, c), the helper from the end (d, then b).
  const jobs = [...a, ...c, ...b, ...d];
  const plain = 0o666 & ~Deno.umask();
  let here = 0;
  assert.throws(
    () =>
      writeJobs(helper, jobs, plain, new Steps(), () => {
        // The helper writes all of d, then fails on b (its directory does not exist), while this thread writes a[0].
        if (here++ === 0) assert.equal(helperOut(words), STATE.finished);
      }),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err.message.includes(b[0].path), err.message);
      assert.match(err.message, /No such file or directory/);
      return true;
    },
  );
  assert.equal(here, 1, "this thread stopped after the file it was writing");
  assert.ok(exists(a[0].path) && !exists(a[1].path));
  assert.ok(c.every((j) => !exists(j.path)), "nothing after the failure was written");
  assert.ok(d.every((j) => exists(j.path)), "the helper's chunk before the failure is whole");
  assert.ok(helper.stopped);
});

Deno.test("killed while two threads write: the next run rolls the install back, and installing again works", async () => {
  await using tmp = await tempDir();
  const archive = await bigArchive(`${tmp.path}/pkgs`, "big", FILES, "zst");
  const env = { ...baseEnv(), KISS_FSYNC: "0" };
  const kiln = (root: string, args: string[], extra: Record<string, string> = {}) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`, ...args],
      env: { ...env, KISS_ROOT: root, ...extra },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
  await tarReference(archive, `${tmp.path}/ref`);
  const after = snapshot(`${tmp.path}/ref`);
  // Kill points early in the writing (the helper may not be ready) and deep in it (both threads write).
  for (const point of [60, FILES - 200]) {
    const root = `${tmp.path}/root-${point}`;
    Deno.mkdirSync(root);
    const killed = await kiln(root, ["install", archive], { KISS_FAULT_AFTER: String(point) });
    assert.equal(killed.signal, "SIGKILL", `step ${point}: ${new TextDecoder().decode(killed.stderr)}`);
    const repair = testLog();
    const config = rootConfig(root);
    recoverRoot({ paths: config, log: repair, steps: new Steps() });
    assert.match(repair.events.lines("warn").join("\n"), /interrupted install of big .* rolled back/);
    // Rolled back to the empty root: only the database directory kiln made for its lock is left.
    const dbDirs = ["/var", "/var/db", "/var/db/kiss"];
    assert.deepEqual(inconsistencies(root, (rel) => dbDirs.includes(rel)), [], `step ${point}`);
    assert.deepEqual([...snapshot(root, isKilnFile).keys()], dbDirs);
    if (point === 60) continue;
    assert.equal((await kiln(root, ["install", archive])).code, 0);
    assert.deepEqual(diffSnapshots(after, snapshot(root, isKilnFile)), [], `step ${point}, installed again`);
  }
});

Deno.test("a big package is removed by two threads; killed while both delete, the next run completes the removal", async () => {
  await using tmp = await tempDir();
  const archive = await bigArchive(`${tmp.path}/pkgs`, "big", FILES, "zst");
  const roots = [`${tmp.path}/a`, `${tmp.path}/b`];
  for (const root of roots) {
    Deno.mkdirSync(root);
    await installArchives(rootConfig(root), [archive], testLog());
  }
  const dbDirs = ["/var", "/var/db", "/var/db/kiss", "/var/db/kiss/installed"];
  // Uninterrupted, in-process.
  const log = testLog();
  await removePackages(rootConfig(roots[0]), ["big"], log);
  const line = log.events.lines("debug").find((l) => l.includes("deleted by a second thread"));
  if (ONE_CPU) assert.equal(line, undefined);
  else assert.match(line ?? "", new RegExp(`^\\d+ of ${FILES} files deleted by a second thread$`));
  assert.deepEqual([...snapshot(roots[0], isKilnFile).keys()], dbDirs);
  // Killed half-way through the deletions, as a process.
  const killed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`, "remove", "big"],
    env: { ...baseEnv(), KISS_ROOT: roots[1], KISS_FSYNC: "0", KISS_FAULT_AFTER: String(FILES / 2) },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(killed.signal, "SIGKILL");
  assert.ok(Deno.statSync(`${roots[1]}/usr/share/big`).isDirectory, "the removal was cut short");
  const repair = testLog();
  const config = rootConfig(roots[1]);
  recoverRoot({ paths: config, log: repair, steps: new Steps() });
  assert.match(repair.events.lines("warn").join("\n"), /interrupted remove of big .* completed/);
  assert.deepEqual([...snapshot(roots[1], isKilnFile).keys()], dbDirs);
  assert.deepEqual(inconsistencies(roots[1], (rel) => dbDirs.includes(rel)), []);
});

Deno.test({
  name: "the helper deletes as this thread does: files and links go, missing ones and directories are passed over",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const { helper, words } = watched(() => WriteHelper.forRemoval(HELPER_MIN_FILES));
  const paths: string[] = [];
  for (let d = 0; d < 4; d++) {
    Deno.mkdirSync(`${tmp.path}/d${d}`);
    for (let i = 0; i < 10; i++) {
      const path = `${tmp.path}/d${d}/f${i}`;
      paths.push(path);
      if (i === 3) continue; // already gone
      if (i === 5) Deno.mkdirSync(`${path}/inside`, { recursive: true }); // a directory where a file was
      else if (i === 7) Deno.symlinkSync("/", path);
      else Deno.writeTextFileSync(path, `${d} ${i}`);
    }
  }
  const steps = new Steps();
  let here = 0;
  const helped = helper.removeAll(paths, steps, (path) => {
    // This thread holds its first file until the helper has done all the other chunks.
    if (here++ === 0) assert.equal(helperOut(words), STATE.finished);
    if (removeFile(path)) steps.step();
  });
  assert.ok(helped >= 10 && helped + here === 40, `the helper took ${helped}, this thread ${here}`);
  assert.equal(steps.count, 4 * 8, "a step for each file deleted, none for those not there");
  for (const path of paths) {
    if (path.endsWith("/f5")) assert.ok(Deno.statSync(`${path}/inside`).isDirectory, path);
    else assert.ok(!exists(path), path);
  }
  assert.ok(Deno.statSync("/").isDirectory, "a link is deleted, never followed");
});

Deno.test({
  name: "a name with a NUL is never sent to the helper's list out of step: the helper takes no part",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const { tar, byDir } = await sample(tmp.path);
  const { helper, words } = watched(() => WriteHelper.forArchive(tar, HELPER_MIN_FILES));
  const entries = [...byDir.values()].flat().filter((e) => e.type === "file").slice(0, 300);
  Deno.mkdirSync(`${tmp.path}/out`);
  const jobs = entries.map((e, i): WriteJob => ({ path: `${tmp.path}/out/${i === 100 ? "bad\0name" : i}`, entry: e }));
  const plain = 0o666 & ~Deno.umask();
  let here = 0;
  assert.throws(() =>
    writeJobs(helper, jobs, plain, new Steps(), () => {
      // The helper has seen the list (and refused it) before this thread writes its first file.
      if (here++ === 0) assert.equal(helperOut(words), STATE.unavailable);
    })
  );
  assert.equal(here, 101, "this thread wrote every file up to the bad name");
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(await Deno.readFile(`${tmp.path}/out/${i}`), entries[i].body, `file ${i} holds its own bytes`);
  }
  assert.equal([...Deno.readDirSync(`${tmp.path}/out`)].length, 100, "nothing after it was written");
});

Deno.test("two threads write from a thousand files on a disk's file system, from four thousand in memory", async () => {
  await using tmp = await tempDir();
  for (const path of ["/dev/shm", tmp.path, PROJECT_DIR]) {
    if (!exists(path)) continue;
    // The file system's type as stat(1) tells it, against kiln's own statfs.
    const told = (await run("stat", ["-f", "-c", "%t", path])).stdout;
    const type = parseInt(new TextDecoder().decode(told).trim(), 16);
    assert.equal(fileSystemType(path), type, path);
    const inMemory = type === 0x01021994 || type === 0x858458f6;
    assert.equal(helperThreshold(path), inMemory ? HELPER_MIN_FILES : HELPER_MIN_FILES_ON_DISK, path);
  }
  assert.equal(fileSystemType(`${tmp.path}/missing`), undefined);
  assert.equal(helperThreshold(`${tmp.path}/missing`), HELPER_MIN_FILES, "unknown: as in memory (fewest threads)");
});
