import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { fromDirectory, newestArchives, parseArchiveName } from "../../lib/install/find.ts";
import { installRead } from "../../lib/install/transaction.ts";
import { parseManifest } from "../../lib/db/manifest.ts";
import type { Config } from "../../lib/config.ts";
import { type TempDir, tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  inconsistencies,
  makeArchive,
  packageItems,
  rawArchive,
  rootConfig,
  snapshot,
  testLog,
  withManifest,
} from "../_helpers/packages.ts";

const mode = (path: string) => (Deno.lstatSync(path).mode ?? 0) & 0o7777;

/** A temporary directory holding an empty root (`root`, with its `config`), and `pkgs` to put archives in. */
async function emptyRoot(): Promise<{ tmp: TempDir; root: string; config: Config; pkgs: string }> {
  const tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  return { tmp, root, config: rootConfig(root), pkgs: `${tmp.path}/pkgs` };
}

Deno.test("a kiss-made archive (tar.gz, database inside) installs, and the root has kiss's database layout", async () => {
  const { tmp, root, pkgs } = await emptyRoot();
  await using _ = tmp;
  const file = await makeArchive(
    {
      name: "hello",
      version: "2.12.1",
      release: "3",
      depends: ["libc", "gcc make"],
      postInstall: "#!/bin/sh\n: nothing\n",
      files: {
        "usr/bin/hello": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
        "usr/bin/su-hello": { content: "suid", mode: 0o4755 },
        "usr/share/hello/secret": { content: "s", mode: 0o600 },
        "usr/share/hello/private/": { dir: true, mode: 0o700 },
        "usr/share/hello/private/x": "x",
        "usr/lib/libhello.so.1": "ELF",
        "usr/lib/libhello.so": { symlink: "libhello.so.1" },
        "usr/lib/libhello.la": "libtool leftovers kiss leaves out of the manifest",
        "etc/hello.conf": "greeting=hi\n",
      },
    },
    pkgs,
    { compress: "gz", sums: "b3" },
  );
  const log = testLog();
  await installArchives(rootConfig(root, { KISS_FORCE: "1" }), [file], log);

  const entry = `${root}/var/db/kiss/installed/hello`;
  assert.deepEqual(
    [...Deno.readDirSync(entry)].map((e) => e.name).sort(),
    ["build", "depends", "etcsums", "manifest", "post-install", "version"],
  );
  assert.equal(Deno.readTextFileSync(`${entry}/version`), "2.12.1 3\n");
  assert.equal(Deno.readTextFileSync(`${entry}/depends`), "libc\ngcc make\n");
  // The manifest is the archive's own (kiss's find | sort -ur), absolute paths, directories with a slash.
  const manifest = parseManifest(Deno.readTextFileSync(`${entry}/manifest`));
  assert.ok(manifest.includes("/usr/bin/hello") && manifest.includes("/usr/share/hello/private/"));
  assert.ok(manifest.includes("/var/db/kiss/installed/hello/manifest"));
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/hello`), "#!/bin/sh\necho hi\n");
  assert.equal(mode(`${root}/usr/bin/hello`), 0o755);
  assert.equal(mode(`${root}/usr/bin/su-hello`), 0o4755);
  assert.equal(mode(`${root}/usr/share/hello/secret`), 0o600);
  assert.equal(mode(`${root}/usr/share/hello/private`), 0o700);
  assert.equal(Deno.readLinkSync(`${root}/usr/lib/libhello.so`), "libhello.so.1");
  assert.throws(() => Deno.lstatSync(`${root}/usr/lib/libhello.la`), "unlisted .la files are not installed");
  assert.deepEqual(inconsistencies(root), []);
  assert.deepEqual(log.events.lines("info").slice(-1), ["installed hello 2.12.1-3"]);
});

Deno.test("every compression kiss writes installs (zst, xz, bz2, plain tar)", async () => {
  await using tmp = await tempDir();
  for (const compress of ["zst", "xz", "bz2", "none"] as const) {
    const root = `${tmp.path}/root-${compress}`;
    Deno.mkdirSync(root);
    const file = await makeArchive({ name: "c", files: { "usr/bin/c": compress } }, `${tmp.path}/${compress}`, {
      compress,
    });
    await installArchives(rootConfig(root), [file], testLog());
    assert.equal(Deno.readTextFileSync(`${root}/usr/bin/c`), compress);
  }
});

Deno.test("hard links in an archive are installed as copies", async () => {
  const { tmp, root } = await emptyRoot();
  await using _ = tmp;
  const items = withManifest("h", [
    ...packageItems({ name: "h", files: { "usr/bin/a": { content: "same", mode: 0o755 } } }),
    { path: "./usr/bin/b", type: "hardlink", linkName: "./usr/bin/a", mode: 0o755 },
  ]);
  await installArchives(rootConfig(root), [await rawArchive(`${tmp.path}/h@1-1.tar.gz`, items)], testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/b`), "same");
  assert.notEqual(Deno.statSync(`${root}/usr/bin/a`).ino, Deno.statSync(`${root}/usr/bin/b`).ino);
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("upgrade: files and empty directories the new version lacks go; shared directories stay", async () => {
  const { tmp, root, config, pkgs } = await emptyRoot();
  await using _ = tmp;
  await installArchives(config, [
    await makeArchive({
      name: "other",
      files: { "usr/share/shared/other": "o", "usr/share/empty-shared/": { dir: true } },
    }, pkgs),
    await makeArchive({
      name: "p",
      version: "1",
      files: {
        "usr/bin/p": "1",
        "usr/share/p/old/deep/file": "gone",
        "usr/share/shared/p-old": "gone",
        "usr/share/empty-shared/": { dir: true },
        "usr/lib/libp.so.1": "1",
      },
    }, pkgs),
  ], testLog());
  const log = testLog();
  await installArchives(config, [
    await makeArchive({ name: "p", version: "2", files: { "usr/bin/p": "2", "usr/lib/libp.so.2": "2" } }, pkgs),
  ], log);
  assert.deepEqual(log.events.lines("info").filter((l) => l.startsWith("upgrading")), ["upgrading p 1-1 => 2-1"]);
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/p`), "2");
  for (const gone of ["usr/share/p", "usr/share/shared/p-old", "usr/lib/libp.so.1"]) {
    assert.throws(() => Deno.lstatSync(`${root}/${gone}`), gone);
  }
  assert.ok(Deno.statSync(`${root}/usr/share/shared/other`).isFile);
  assert.ok(Deno.statSync(`${root}/usr/share/empty-shared`).isDirectory, "a directory another package lists stays");
  assert.deepEqual(inconsistencies(root), []);

  // Reinstalling the same version changes nothing.
  const before = snapshot(root, (p) => p.endsWith(".kiln-owners"));
  await installArchives(config, [
    await makeArchive({ name: "p", version: "2", files: { "usr/bin/p": "2", "usr/lib/libp.so.2": "2" } }, pkgs),
  ], testLog());
  assert.deepEqual(diffSnapshots(before, snapshot(root, (p) => p.endsWith(".kiln-owners"))), []);
});

Deno.test("upgrade through a linked directory: a file moving from /bin to /usr/bin is not deleted", async () => {
  const { tmp, root, config, pkgs } = await emptyRoot();
  await using _ = tmp;
  await installArchives(config, [
    await makeArchive({ name: "layout", files: { "usr/bin/": { dir: true }, "bin": { symlink: "usr/bin" } } }, pkgs),
    await makeArchive({ name: "tool", version: "1", files: { "bin/tool": "1" } }, pkgs),
  ], testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/tool`), "1");
  await installArchives(config, [
    await makeArchive({ name: "tool", version: "2", files: { "usr/bin/tool": "2" } }, pkgs),
  ], testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/tool`), "2");
  assert.equal(Deno.readLinkSync(`${root}/bin`), "usr/bin");
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("--from: each package's newest archive, dependencies from the archives, installed first", async () => {
  const { tmp, root, config } = await emptyRoot();
  await using _ = tmp;
  const dir = `${tmp.path}/dir`;
  await makeArchive({ name: "zlib", version: "1.2.9", files: { "usr/lib/libz": "1.2.9" } }, dir);
  await makeArchive({ name: "zlib", version: "1.2.13", files: { "usr/lib/libz": "1.2.13" } }, dir);
  await makeArchive({ name: "zlib", version: "1.2.13", release: "10", files: { "usr/lib/libz": "1.2.13-10" } }, dir);
  await makeArchive({ name: "ssl", depends: ["zlib"], files: { "usr/lib/libssl": "s" } }, dir);
  await makeArchive({ name: "curl", depends: ["ssl", "zlib", "cmake make"], files: { "usr/bin/curl": "c" } }, dir);
  assert.deepEqual(parseArchiveName("zlib@1.2.13-10.tar.gz"), { name: "zlib", version: "1.2.13", release: "10" });
  assert.equal(newestArchives(dir).get("zlib"), `${dir}/zlib@1.2.13-10.tar.gz`);

  const log = testLog();
  const pkgs = await fromDirectory(config, dir, ["curl"], log);
  assert.deepEqual(pkgs.map((p) => p.name), ["zlib", "ssl", "curl"], "make dependencies are not installed");
  await installRead(config, pkgs, log);
  assert.equal(Deno.readTextFileSync(`${root}/usr/lib/libz`), "1.2.13-10");
  assert.deepEqual(inconsistencies(root), []);

  await assert.rejects(
    () => fromDirectory(config, dir, ["nope"], log),
    (e) => e instanceof KilnError && /no archive of nope in/.test(e.message),
  );
  await makeArchive({ name: "app", depends: ["missing"] }, dir);
  await assert.rejects(
    () => fromDirectory(config, dir, ["app"], log),
    (e) => e instanceof KilnError && /no archive of missing \(needed by app\)/.test(e.message),
  );
});

Deno.test("a run of packages is checked as a whole: a conflict between two of them is refused before writing", async () => {
  const { tmp, root } = await emptyRoot();
  await using _ = tmp;
  const a = await makeArchive({ name: "a", files: { "usr/bin/same": "a" } }, tmp.path);
  const b = await makeArchive({ name: "b", files: { "usr/bin/same": "b" } }, tmp.path);
  await assert.rejects(
    () => installArchives(rootConfig(root), [a, b], testLog()),
    /b conflicts with installed packages.*\n {2}\/usr\/bin\/same \(owned by a\)/s,
  );
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).filter((n) => n !== "var"), []);
});

Deno.test("--dry-run says what would change and changes nothing", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.writeTextFileSync(`${root}/usr/bin/x`, "unowned");
  const file = await makeArchive({ name: "x", files: { "usr/bin/x": "x", "usr/bin/y": "y" } }, tmp.path);
  const before = snapshot(root);
  const log = testLog();
  const { loadConfig } = await import("../../lib/config.ts");
  const config = loadConfig({ HOME: root, KISS_ROOT: root }, { dryRun: true }, root);
  await installArchives(config, [file], log);
  assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
  const lines = log.events.lines("info");
  assert.ok(
    lines.includes("would install x 1.0-1: 1 files to add, 1 to replace, 0 to remove, 4 new directories"),
    lines.join("\n"),
  );
  assert.ok(lines.includes("  replace /usr/bin/x"));
  assert.ok(lines.includes("  add /usr/bin/y"));
});
