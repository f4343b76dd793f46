/**
 * Install memory that does not grow with the package, free space checked
 * before writing, and decompression bombs refused (SPEC §8.1, §9): real
 * bombs made with the real `zstd` and `gzip` (a sparse file of zeros, as
 * GNU tar reads it), installed by the kiln command into a small tmpfs root
 * mounted for the test, refused with a message about space while the
 * command's peak memory (`ru_maxrss`) stays far below what they expand to
 * and the root stays byte for byte the same; a package of 300 MiB installs
 * in a fraction of its size; the room is checked again just before
 * writing; an archive changed between its two readings is refused.
 */
import assert from "node:assert/strict";
import { installArchives, installRead, readPackages } from "../../lib/install/transaction.ts";
import { baseEnv, PROJECT_DIR } from "../_helpers/cli.ts";
import { exists, tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  inconsistencies,
  isKilnFile,
  makeArchive,
  rootConfig,
  snapshot,
  testLog,
  writeKissDatabase,
  writePackageDir,
} from "../_helpers/packages.ts";
import type { PackageSpec } from "../_helpers/packages.ts";
import { peakRss, peakRssProgram } from "../_helpers/peak_rss.ts";
import { isKilnError } from "../_helpers/archive.ts";

const MiB = 1024 * 1024;

/**
 * `<dir>/<name>@1-1.tar.<compress>`: a package as kiss packs it whose files
 * `big` are sparse files of `size` bytes of zeros (GNU tar reads zeros from
 * them), compressed by the real program (zstd fast, gzip at `gzipLevel`).
 */
async function zeroPackage(
  dir: string,
  name: string,
  big: Record<string, number>,
  compress: "zst" | "gz",
  gzipLevel = 9,
): Promise<string> {
  const files: Record<string, string> = { [`usr/share/doc/${name}/README`]: "small\n" };
  for (const path of Object.keys(big)) files[path] = "";
  const pkgdir = `${dir}/${name}.tree`;
  writePackageDir({ name, version: "1", release: "1", files }, pkgdir);
  await writeKissDatabase(pkgdir, name);
  for (const [path, size] of Object.entries(big)) Deno.truncateSync(`${pkgdir}/${path}`, size);
  const file = `${dir}/${name}@1-1.tar.${compress}`;
  const pack = `tar cf - . | ${compress === "zst" ? "zstd -q -1" : `gzip -${gzipLevel}`} > "$1"`;
  const out = await new Deno.Command("sh", { args: ["-c", pack, "sh", file], cwd: pkgdir }).output();
  assert.ok(out.success, "packing the package");
  await Deno.remove(pkgdir, { recursive: true });
  return file;
}

/** A tmpfs of `size` bytes mounted on `dir` (made) for `fn`, unmounted after. */
async function withTmpfs(dir: string, size: number, fn: () => Promise<void>): Promise<void> {
  Deno.mkdirSync(dir, { recursive: true });
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir] })
    .output();
  assert.ok(mount.success, `mount tmpfs: ${new TextDecoder().decode(mount.stderr)}`);
  try {
    await fn();
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
  }
}

/** Run `kiln install -y ARCHIVES` on `root` under the peak-memory program; its status, output and peak. */
async function install(tmp: string, root: string, archives: string[]) {
  const program = await peakRssProgram(tmp);
  const out = await new Deno.Command(program, {
    args: [Deno.execPath(), "run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`]
      .concat(["install", "-y", ...archives]),
    env: { ...baseEnv(), KISS_ROOT: root, KISS_PROMPT: "0", KISS_FSYNC: "0" },
    clearEnv: true,
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  return { code: out.code, stderr, peak: peakRss(stderr) };
}

function emptyRoot(root: string): void {
  Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
}

for (const compress of ["zst", "gz"] as const) {
  Deno.test(`a ${compress} bomb (512 MiB of zeros in one file) is refused for room before it fills memory or disk`, async () => {
    await using tmp = await tempDir();
    const archive = await zeroPackage(`${tmp.path}/pkgs`, "bomb", { "usr/share/bomb/zeros": 512 * MiB }, compress);
    assert.ok(Deno.statSync(archive).size < 1024 * 1024, "the bomb is small");
    const root = `${tmp.path}/root`;
    await withTmpfs(root, 64 * MiB, async () => {
      emptyRoot(root);
      Deno.writeTextFileSync(`${root}/keep`, "the root's own file\n");
      const before = snapshot(root);
      const r = await install(tmp.path, root, [archive]);
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /bomb@1-1\.tar\.(zst|gz): not enough free space on the file system of .*root/);
      assert.match(r.stderr, /at \/usr\/share\/bomb\/zeros it needs 51\d\.\d MiB or more, 6\d\.\d MiB is free/);
      assert.match(r.stderr, /decompression bomb/);
      assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
      assert.ok(r.peak < 200 * MiB, `peak memory ${(r.peak / MiB).toFixed(0)} MiB`);
    });
  });
}

Deno.test("many files that together outgrow the root are refused at the first one past its room", async () => {
  await using tmp = await tempDir();
  const big: Record<string, number> = {};
  for (let i = 0; i < 40; i++) big[`usr/share/many/f${String(i).padStart(2, "0")}`] = 4 * MiB;
  const archive = await zeroPackage(`${tmp.path}/pkgs`, "many", big, "zst");
  const root = `${tmp.path}/root`;
  await withTmpfs(root, 64 * MiB, async () => {
    emptyRoot(root);
    const before = snapshot(root);
    const r = await install(tmp.path, root, [archive]);
    assert.notEqual(r.code, 0, r.stderr);
    // 15 files of 4 MiB and the margin fit in 64 MiB; the 16th (in archive order) does not.
    assert.match(r.stderr, /at \/usr\/share\/many\/f\d\d it needs 6\d\.\d MiB or more/);
    assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
  });
});

Deno.test("a gzip archive beyond what kiln holds in memory is refused before it is decompressed", async () => {
  await using tmp = await tempDir();
  const archive = await zeroPackage(`${tmp.path}/pkgs`, "huge", { "usr/share/huge/zeros": 1100 * MiB }, "gz", 1);
  const root = `${tmp.path}/root`;
  emptyRoot(root);
  const before = snapshot(root);
  const r = await install(tmp.path, root, [archive]);
  assert.notEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /its files hold more than 1024\.0 MiB \(at \/usr\/share\/huge\/zeros\), the most kiln holds/);
  assert.match(r.stderr, /install the zstd program and use a zstd archive/);
  assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
  assert.ok(r.peak < 200 * MiB, `peak memory ${(r.peak / MiB).toFixed(0)} MiB`);
});

Deno.test("a package of 300 MiB installs in a fraction of its size of memory", async () => {
  await using tmp = await tempDir();
  const archive = await zeroPackage(`${tmp.path}/pkgs`, "large", {
    "usr/lib/large/a": 200 * MiB,
    "usr/lib/large/b": 100 * MiB,
  }, "zst");
  const root = `${tmp.path}/root`;
  emptyRoot(root);
  const r = await install(tmp.path, root, [archive]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(Deno.statSync(`${root}/usr/lib/large/a`).size, 200 * MiB);
  assert.equal(Deno.statSync(`${root}/usr/lib/large/b`).size, 100 * MiB);
  const zeros = await new Deno.Command("cmp", {
    args: ["-n", String(200 * MiB), `${root}/usr/lib/large/a`, "/dev/zero"],
  })
    .output();
  assert.ok(zeros.success, "the content is the archive's");
  assert.deepEqual(inconsistencies(root), []);
  assert.ok(r.peak < 150 * MiB, `peak memory ${(r.peak / MiB).toFixed(0)} MiB`);
});

Deno.test("the room is checked again just before writing: of two packages that fit alone, the second is refused", async () => {
  await using tmp = await tempDir();
  const one = await zeroPackage(`${tmp.path}/pkgs`, "one", { "usr/share/one/zeros": 36 * MiB }, "zst");
  const two = await zeroPackage(`${tmp.path}/pkgs`, "two", { "usr/share/two/zeros": 36 * MiB }, "zst");
  const root = `${tmp.path}/root`;
  await withTmpfs(root, 64 * MiB, async () => {
    emptyRoot(root);
    const config = rootConfig(root);
    const log = testLog();
    const pkgs = await readPackages([one, two], log, root);
    await assert.rejects(installRead(config, pkgs, log), isKilnError("two@1-1.tar.zst", "not enough free space"));
    assert.ok(Deno.statSync(`${root}/usr/share/one/zeros`).size === 36 * MiB, "the first is installed");
    assert.ok(!exists(`${root}/usr/share/two`) && !exists(`${root}/usr/share/doc/two`), "nothing of the second");
    assert.deepEqual(inconsistencies(root), []);
  });
});

Deno.test("an archive changed between its two readings is refused, the root unchanged", async () => {
  await using tmp = await tempDir();
  const file = await zeroPackage(`${tmp.path}/pkgs`, "swap", { "usr/share/swap/a": 8 * MiB }, "zst");
  const other = await zeroPackage(`${tmp.path}/other`, "swap", {
    "usr/share/swap/a": 8 * MiB,
    "usr/share/swap/b": 1 * MiB,
  }, "zst");
  const root = `${tmp.path}/root`;
  emptyRoot(root);
  const before = snapshot(root);
  const log = testLog();
  const pkgs = await readPackages([file], log, root);
  Deno.renameSync(other, file);
  await assert.rejects(
    installRead(rootConfig(root), pkgs, log),
    isKilnError("swap@1-1.tar.zst", "the archive changed while it was installed"),
  );
  assert.deepEqual(diffSnapshots(before, snapshot(root, isKilnFile)), []);
});

Deno.test("content read again lands as GNU tar extracts it: a file larger than the window, setuid, hard links", async () => {
  await using tmp = await tempDir();
  const spec: PackageSpec = {
    name: "mixed",
    version: "1",
    release: "1",
    files: {
      "usr/bin/tool": { content: "#!/bin/sh\n", mode: 0o4755 },
      "usr/share/mixed/empty": "",
      "usr/share/mixed/big": "x",
      "usr/share/mixed/small": "small\n",
      "usr/share/mixed/small-link": "small\n",
    },
  };
  const archive = await makeArchive(spec, `${tmp.path}/pkgs`, {
    compress: "zst",
    tamper: (dir) => {
      const big = new Uint8Array(9 * MiB + 123);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      Deno.writeFileSync(`${dir}/usr/share/mixed/big`, big);
      Deno.chmodSync(`${dir}/usr/share/mixed/big`, 0o2751);
      Deno.removeSync(`${dir}/usr/share/mixed/small-link`);
      Deno.linkSync(`${dir}/usr/share/mixed/big`, `${dir}/usr/share/mixed/small-link`);
    },
  });
  const root = `${tmp.path}/root`;
  emptyRoot(root);
  await installArchives(rootConfig(root), [archive], testLog());
  const ref = `${tmp.path}/ref`;
  Deno.mkdirSync(ref);
  const tar = await new Deno.Command("tar", { args: ["-xf", archive, "-C", ref] }).output();
  assert.ok(tar.success);
  assert.deepEqual(diffSnapshots(snapshot(ref), snapshot(root, isKilnFile)), []);
});
