/**
 * `/etc` files three ways, in the style of pacman's test suite: each case is
 * the file as the old package had it, as it is on disk, and as the new
 * package has it — on install, upgrade and remove.
 */
import assert from "node:assert/strict";
import { removePackages } from "../../lib/install/remove.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { Blake3 } from "../../lib/hash/blake3.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { inconsistencies, makeArchive, type PackageSpec, rootConfig, testLog } from "../_helpers/packages.ts";

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

interface Scenario {
  name: string;
  /** The installed version's file (undefined: the old version has none, or nothing is installed). */
  old?: string;
  /** The file on disk before the command (undefined: none; "=old" keeps what the old package put there). */
  disk?: string;
  /** The new version's file (undefined: the new version drops it). */
  next?: string;
  /** Expected afterwards: the file, and FILE.new. */
  expect: { file?: string; newFile?: string };
  /** Warning expected. */
  warn?: RegExp;
}

const SCENARIOS: Scenario[] = [
  { name: "install: not on disk → written", next: "new", expect: { file: "new" } },
  { name: "install: unowned on disk, same content → left as it is", disk: "new", next: "new", expect: { file: "new" } },
  {
    name: "install: unowned on disk, different → kept, FILE.new written",
    disk: "mine",
    next: "new",
    expect: { file: "mine", newFile: "new" },
    warn: /saved as \/etc\/test\.conf\.new/,
  },
  { name: "upgrade: untouched, package unchanged → same", old: "a", disk: "=old", next: "a", expect: { file: "a" } },
  { name: "upgrade: untouched, package changed → replaced", old: "a", disk: "=old", next: "b", expect: { file: "b" } },
  {
    name: "upgrade: changed by the user, package unchanged → the user's kept, no FILE.new",
    old: "a",
    disk: "mine",
    next: "a",
    expect: { file: "mine" },
  },
  {
    name: "upgrade: changed by the user and by the package → the user's kept, FILE.new",
    old: "a",
    disk: "mine",
    next: "b",
    expect: { file: "mine", newFile: "b" },
    warn: /saved as \/etc\/test\.conf\.new/,
  },
  {
    name: "upgrade: changed by the user to what the package now ships → nothing to do",
    old: "a",
    disk: "b",
    next: "b",
    expect: { file: "b" },
  },
  { name: "upgrade: deleted by the user → written again", old: "a", next: "b", expect: { file: "b" } },
  { name: "upgrade: dropped by the package, untouched → removed", old: "a", disk: "=old", expect: {} },
  {
    name: "upgrade: dropped by the package, changed by the user → kept",
    old: "a",
    disk: "mine",
    expect: { file: "mine" },
    warn: /keeping \/etc\/test\.conf/,
  },
  {
    name: "upgrade: new in the package, unowned on disk and different → kept, FILE.new",
    old: undefined,
    disk: "mine",
    next: "b",
    expect: { file: "mine", newFile: "b" },
    warn: /saved as \/etc\/test\.conf\.new/,
  },
];

const FILE = "etc/test.conf";

function spec(version: string, content: string | undefined): PackageSpec {
  const files: PackageSpec["files"] = { "etc/other.conf": "other\n", "usr/bin/t": "t" };
  if (content !== undefined) files[FILE] = content;
  return { name: "t", version, files };
}

Deno.test("/etc three-way on install and upgrade", async (t) => {
  await using tmp = await tempDir();
  for (const [i, s] of SCENARIOS.entries()) {
    await t.step(s.name, async () => {
      const root = `${tmp.path}/root${i}`;
      Deno.mkdirSync(root);
      const config = rootConfig(root);
      const upgrade = s.name.startsWith("upgrade");
      if (upgrade) {
        await installArchives(config, [await makeArchive(spec("1", s.old), `${tmp.path}/p${i}`)], testLog());
      }
      Deno.mkdirSync(`${root}/etc`, { recursive: true });
      if (s.disk === undefined) {
        try {
          Deno.removeSync(`${root}/${FILE}`);
        } catch { /* not there */ }
      } else if (s.disk !== "=old") Deno.writeTextFileSync(`${root}/${FILE}`, s.disk);
      const log = testLog();
      await installArchives(config, [await makeArchive(spec("2", s.next), `${tmp.path}/p${i}`)], log);
      assert.equal(read(`${root}/${FILE}`), s.expect.file, "the file");
      assert.equal(read(`${root}/${FILE}.new`), s.expect.newFile, "FILE.new");
      if (s.warn) assert.ok(log.events.lines("warn").some((l) => s.warn!.test(l)), log.events.lines("warn").join("\n"));
      else assert.deepEqual(log.events.lines("warn"), []);
      assert.equal(read(`${root}/etc/other.conf`), "other\n");
      const unowned = new Set([`/${FILE}.new`, ...(s.next === undefined && s.expect.file ? [`/${FILE}`] : [])]);
      if (!upgrade || s.old === undefined) unowned.add(`/${FILE}`);
      assert.deepEqual(inconsistencies(root, (p) => unowned.has(p) || p === "/etc"), []);
    });
  }
});

Deno.test("/etc on remove: untouched files go, changed ones stay", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const config = rootConfig(root);
  await installArchives(config, [
    await makeArchive({
      name: "t",
      files: { "etc/a.conf": "a", "etc/b.conf": "b", "etc/link": { symlink: "a.conf" }, "etc/t/deep.conf": "d" },
    }, tmp.path),
  ], testLog());
  Deno.writeTextFileSync(`${root}/etc/b.conf`, "mine");
  Deno.writeTextFileSync(`${root}/etc/t/deep.conf`, "mine too");
  const log = testLog();
  await removePackages(config, ["t"], log);
  assert.equal(read(`${root}/etc/a.conf`), undefined);
  assert.equal(read(`${root}/etc/b.conf`), "mine");
  assert.equal(read(`${root}/etc/t/deep.conf`), "mine too", "the directory holding a kept file stays");
  assert.throws(() => Deno.lstatSync(`${root}/etc/link`));
  assert.deepEqual(log.events.lines("warn").sort(), [
    "t: keeping /etc/b.conf, which was changed on disk",
    "t: keeping /etc/t/deep.conf, which was changed on disk",
  ]);
});

Deno.test("/etc: sums kiss 6 wrote (BLAKE3) are understood on upgrade and remove", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const config = rootConfig(root);
  await installArchives(config, [await makeArchive(spec("1", "a"), tmp.path)], testLog());
  // As if kiss 6 had installed it: etcsums in BLAKE3, manifest order.
  const entry = `${root}/var/db/kiss/installed/t`;
  const b3 = (s: string) => new Blake3().update(new TextEncoder().encode(s)).hex(33);
  const manifest = Deno.readTextFileSync(`${entry}/manifest`).split("\n").filter((l) => /^\/etc\/.*[^/]$/.test(l));
  Deno.writeTextFileSync(`${entry}/etcsums`, manifest.map((l) => b3(read(root + l)!) + "\n").join(""));
  Deno.writeTextFileSync(`${root}/etc/other.conf`, "changed by the user\n");
  const next = spec("2", "b");
  next.files = { ...next.files, "etc/other.conf": "other 2\n" };
  await installArchives(config, [await makeArchive(next, tmp.path)], testLog());
  assert.equal(read(`${root}/${FILE}`), "b", "an untouched file is replaced");
  assert.equal(read(`${root}/etc/other.conf`), "changed by the user\n");
  assert.equal(read(`${root}/etc/other.conf.new`), "other 2\n");
  const sums = Deno.readTextFileSync(`${entry}/etcsums`).trim().split("\n");
  assert.ok(sums.every((s) => s.length === 64), "kiln records SHA-256 sums");
});

Deno.test("/etc reached through a package's link: the user's file is kept, as if shipped in /etc", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const config = rootConfig(root);
  const log = testLog();
  // A links a directory of its own into /etc; C owns a file there; the user has edited another.
  await installArchives(config, [
    await makeArchive(
      { name: "a", files: { "etc/": { dir: true }, "usr/share/cfg": { symlink: "../../etc" } } },
      tmp.path,
    ),
    await makeArchive({ name: "c", files: { "etc/c.conf": "c's\n" } }, tmp.path),
  ], log);
  Deno.writeTextFileSync(`${root}/etc/app.conf`, "edited by the user\n");

  // B ships the file through A's link: the user's file stays, B's version is saved beside it as .new.
  await installArchives(config, [
    await makeArchive({
      name: "b",
      files: { "usr/share/cfg/app.conf": "b's default\n", "usr/share/cfg/fresh.conf": "f\n" },
    }, tmp.path),
  ], log);
  assert.equal(read(`${root}/etc/app.conf`), "edited by the user\n");
  assert.equal(read(`${root}/etc/app.conf.new`), "b's default\n");
  assert.equal(read(`${root}/etc/fresh.conf`), "f\n", "a file the root lacks is written");
  assert.ok(log.events.lines("warn").some((l) => l.includes("/usr/share/cfg/app.conf") && l.includes(".new")));

  // Through the link, C's file is C's: a conflict, not a silent replacement.
  await assert.rejects(
    async () =>
      installArchives(config, [
        await makeArchive(
          { name: "d", files: { "usr/share/cfg/c.conf": "d's\n" } },
          Deno.makeTempDirSync({ dir: tmp.path }),
        ),
      ], log),
    /\/usr\/share\/cfg\/c\.conf \(owned by c\)/,
  );
  assert.equal(read(`${root}/etc/c.conf`), "c's\n");

  // Removing B keeps the user's file (kiln has no sum for a file reached through a link: it counts as changed).
  Deno.removeSync(`${root}/etc/app.conf.new`);
  const removal = testLog();
  await removePackages(config, ["b"], removal);
  assert.equal(read(`${root}/etc/app.conf`), "edited by the user\n");
  assert.equal(read(`${root}/etc/fresh.conf`), "f\n");
  assert.deepEqual(removal.events.lines("warn").sort(), [
    "b: keeping /usr/share/cfg/app.conf, which was changed on disk",
    "b: keeping /usr/share/cfg/fresh.conf, which was changed on disk",
  ]);
  assert.deepEqual(inconsistencies(root, (rel) => rel.startsWith("/etc/")), []);
});
