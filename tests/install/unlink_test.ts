/**
 * Deleting files through the C library (`ffi/unlink.ts`), on this thread
 * (`removeFile`, `removeEmptyDir` of `lib/install/replay.ts`) and on the
 * helper thread of a big removal, which calls the same functions by address:
 * a file or link goes (a link is never followed), a missing one is no step,
 * a directory where a file was expected stays unless it is empty (as with
 * `Deno.removeSync`), and other errors are thrown naming the path. Also the
 * file-system flush of `ffi/sync.ts`.
 */
import assert from "node:assert/strict";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";
import { deletionAddresses, DirectoryUnlinker, tryRmdir, tryUnlink } from "../../ffi/unlink.ts";
import { deviceOf, syncFileSystemOf } from "../../ffi/sync.ts";
import { Durability } from "../../lib/install/durability.ts";
import { removeEmptyDir, removeFile } from "../../lib/install/replay.ts";
import { Steps } from "../../lib/install/steps.ts";
import { HELPER_MIN_FILES, WriteHelper } from "../../lib/install/write_helper.ts";
import { STATE } from "../../lib/install/helper_thread.ts";
import { exists, tempDir } from "../_helpers/fixtures.ts";
import { helperOut, watched } from "../_helpers/helper_state.ts";

const ONE_CPU = navigator.hardwareConcurrency < 2;

/** The cases, by name: what to make, and whether `removeFile` deletes it (a step) or leaves it. */
const CASES: Record<string, { make: (path: string) => void; deleted: boolean; stays: boolean }> = {
  file: { make: (p) => Deno.writeTextFileSync(p, "x"), deleted: true, stays: false },
  missing: { make: () => {}, deleted: false, stays: false },
  link: { make: (p) => Deno.symlinkSync("/", p), deleted: true, stays: false },
  dangling: { make: (p) => Deno.symlinkSync("nowhere", p), deleted: true, stays: false },
  emptyDir: { make: (p) => Deno.mkdirSync(p), deleted: true, stays: false },
  fullDir: { make: (p) => Deno.mkdirSync(`${p}/inside`, { recursive: true }), deleted: false, stays: true },
  underFile: { make: () => {}, deleted: false, stays: false },
};

/** Make every case in `dir`; returns their paths, by name (`underFile` lies below a file). */
function makeCases(dir: string): Record<string, string> {
  Deno.mkdirSync(dir, { recursive: true });
  const paths: Record<string, string> = {};
  for (const [name, c] of Object.entries(CASES)) {
    paths[name] = `${dir}/${name}`;
    c.make(paths[name]);
  }
  Deno.writeTextFileSync(`${dir}/plain`, "x");
  paths.underFile = `${dir}/plain/below`;
  return paths;
}

function checkCases(paths: Record<string, string>): void {
  for (const [name, c] of Object.entries(CASES)) {
    let there = true;
    try {
      Deno.lstatSync(paths[name]);
    } catch {
      there = false;
    }
    assert.equal(there, c.stays, `${name}: ${c.stays ? "stays" : "is gone"}`);
  }
  assert.ok(Deno.statSync("/").isDirectory, "a link is deleted, never followed");
}

Deno.test("removeFile: a file or link goes, a missing one is no step, a full directory stays", async () => {
  await using tmp = await tempDir();
  const paths = makeCases(`${tmp.path}/cases`);
  for (const [name, c] of Object.entries(CASES)) assert.equal(removeFile(paths[name]), c.deleted, name);
  checkCases(paths);
  assert.equal(removeFile(paths.file), false, "a second time: nothing there");
});

Deno.test("removeFile with a DirectoryUnlinker: the same, by name in the directory kept open", async () => {
  await using tmp = await tempDir();
  const sets = [0, 1].map((d) => makeCases(`${tmp.path}/d${d}`));
  const unlinker = new DirectoryUnlinker();
  try {
    for (const paths of sets) {
      for (const [name, c] of Object.entries(CASES)) assert.equal(removeFile(paths[name], unlinker), c.deleted, name);
    }
    assert.equal(removeFile(`${tmp.path}/gone/file`, unlinker), false, "a missing directory holds nothing");
    Deno.writeTextFileSync(`${tmp.path}/top`, "x");
    assert.equal(removeFile(`${tmp.path}/top`, unlinker), true);
    assert.equal(removeFile(`${tmp.path}/d0/`, unlinker), false, "a name ending in / is a directory's");
  } finally {
    unlinker.close();
  }
  sets.forEach(checkCases);
  assert.ok(!exists(`${tmp.path}/top`));
});

Deno.test("removeFile: other errors are thrown, naming the path; a name with a NUL is refused", async () => {
  await using tmp = await tempDir();
  Deno.symlinkSync("loop", `${tmp.path}/loop`);
  const looped = `${tmp.path}/loop/file`;
  assert.equal(tryUnlink(looped), ERRNO.ELOOP);
  assert.throws(() => removeFile(looped), (err: Error) => err.message.includes(looped));
  Deno.writeTextFileSync(`${tmp.path}/a`, "x");
  assert.equal(tryUnlink(`${tmp.path}/a\0b`), ERRNO.EINVAL);
  assert.throws(() => removeFile(`${tmp.path}/a\0b`));
  assert.ok(exists(`${tmp.path}/a`), "never the name cut at the NUL");
});

Deno.test({
  name: "removeFile: permission denied is a SyscallError naming the path",
  ignore: Deno.uid() === 0,
}, async () => {
  await using tmp = await tempDir();
  Deno.mkdirSync(`${tmp.path}/ro`);
  Deno.writeTextFileSync(`${tmp.path}/ro/f`, "x");
  Deno.chmodSync(`${tmp.path}/ro`, 0o555);
  try {
    assert.throws(() => removeFile(`${tmp.path}/ro/f`), (err: unknown) => {
      assert.ok(err instanceof SyscallError);
      assert.equal(err.code, "EACCES");
      assert.match(err.message, new RegExp(`^unlink ${tmp.path}/ro/f: `));
      return true;
    });
  } finally {
    Deno.chmodSync(`${tmp.path}/ro`, 0o755);
  }
});

Deno.test("removeEmptyDir: only an empty directory goes; never a link to one", async () => {
  await using tmp = await tempDir();
  const paths = makeCases(`${tmp.path}/cases`);
  assert.equal(removeEmptyDir(paths.emptyDir), true);
  assert.equal(removeEmptyDir(paths.fullDir), false);
  assert.equal(removeEmptyDir(paths.file), false);
  assert.equal(removeEmptyDir(paths.link), false);
  assert.equal(removeEmptyDir(paths.missing), false);
  assert.ok(!exists(paths.emptyDir) && exists(paths.fullDir) && exists(paths.file) && exists(paths.link));
  assert.equal(tryRmdir(paths.fullDir), ERRNO.ENOTEMPTY);
  assert.equal(tryUnlink(paths.fullDir), ERRNO.EISDIR);
  assert.ok(deletionAddresses(), "the C library's functions have addresses");
});

/** A removal helper (and its state words), and a file `first/f` under `dir` for the main thread to start with. */
function removalHelper(dir: string): { helper: WriteHelper; words: Int32Array } {
  const watch = watched(() => WriteHelper.forRemoval(HELPER_MIN_FILES));
  Deno.mkdirSync(`${dir}/first`);
  Deno.writeTextFileSync(`${dir}/first/f`, "x");
  return watch;
}

Deno.test({
  name: "the helper thread deletes as removeFile does, through the same C functions",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const { helper, words } = removalHelper(tmp.path);
  const sets = [0, 1, 2, 3].map((d) => makeCases(`${tmp.path}/d${d}`));
  const paths = [`${tmp.path}/first/f`, ...sets.flatMap((s) => Object.keys(CASES).map((name) => s[name]))];
  const steps = new Steps();
  const helped = helper.removeAll(paths, steps, (path) => {
    // This thread holds its first file until the helper has done every other chunk (the sets of cases).
    if (path.endsWith("/first/f")) assert.equal(helperOut(words), STATE.finished);
    if (removeFile(path)) steps.step();
  });
  assert.ok(helped >= Object.keys(CASES).length, `the helper took ${helped}`);
  const deletedPerSet = Object.values(CASES).filter((c) => c.deleted).length;
  assert.equal(steps.count, 1 + sets.length * deletedPerSet, "a step for each file deleted, none for the others");
  sets.forEach(checkCases);
});

Deno.test({
  name: "an error on the helper thread is reported with its path",
  ignore: ONE_CPU,
}, async () => {
  await using tmp = await tempDir();
  const { helper, words } = removalHelper(tmp.path);
  Deno.symlinkSync("loop", `${tmp.path}/loop`);
  const looped = `${tmp.path}/loop/file`;
  assert.throws(
    () =>
      helper.removeAll([`${tmp.path}/first/f`, looped], new Steps(), (path) => {
        // Leave the last chunk to the helper: it fails there, and this thread reports its error.
        if (path !== looped) assert.equal(helperOut(words), STATE.finished);
        removeFile(path);
      }),
    (err: Error) => err.message.includes(looped),
  );
});

Deno.test("deviceOf and syncFileSystemOf: stat's device, syncfs of the file system; nothing there is no device", async () => {
  await using tmp = await tempDir();
  assert.equal(deviceOf(tmp.path), BigInt(Deno.statSync(tmp.path).dev));
  assert.equal(deviceOf(`${tmp.path}/gone`), undefined);
  syncFileSystemOf(tmp.path);
  assert.throws(() => syncFileSystemOf(`${tmp.path}/gone`), SyscallError);
  new Durability({}).syncFileSystems([tmp.path, `${tmp.path}/gone`]);
});
