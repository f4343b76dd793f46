/**
 * kiln's own files in kiss's database are opened from a checked directory
 * descriptor and never through a link: links planted in place of the lock,
 * the journal, the owner index, their temporary files, the database
 * directory or its parents are refused or replaced, and nothing outside the
 * root is written.
 */
import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { DatabaseDir } from "../../lib/db/dbdir.ts";
import { OwnerIndex } from "../../lib/db/owners.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { diffSnapshots, makeArchive, rootConfig, snapshot, testLog } from "../_helpers/packages.ts";

/** A root with one package installed, and a directory beside it standing for the host. */
async function setUp(path: string) {
  const root = `${path}/root`;
  const outside = `${path}/outside`;
  Deno.mkdirSync(outside);
  Deno.writeTextFileSync(`${outside}/secret`, "host file\n");
  const config = rootConfig(root);
  await installArchives(
    config,
    [await makeArchive({ name: "base", files: { "usr/bin/a": "a" } }, `${path}/a`)],
    testLog(),
  );
  const next = await makeArchive({ name: "next", files: { "usr/bin/n": "n" } }, `${path}/n`);
  return { root, outside, config, next, db: `${root}/var/db/kiss` };
}

Deno.test("a link planted as kiln's lock, journal or one of the database's directories is refused, not followed", async (t) => {
  await using tmp = await tempDir();
  const { root, outside, config, next, db } = await setUp(tmp.path);
  const plants: [string, () => void, RegExp][] = [
    [".kiln-lock", () => {
      Deno.removeSync(`${db}/.kiln-lock`);
      Deno.symlinkSync(`${outside}/lock`, `${db}/.kiln-lock`);
    }, /\.kiln-lock is a symbolic link/],
    [".kiln-journal", () => {
      Deno.writeTextFileSync(
        `${outside}/journal`,
        '{"kind":"remove","pkg":"base","removeFiles":[],"removeDirs":[],"removeDirLinks":[]}\ncommit\n',
      );
      Deno.symlinkSync(`${outside}/journal`, `${db}/.kiln-journal`);
    }, /\.kiln-journal is a symbolic link/],
    ["installed", () => {
      Deno.renameSync(`${db}/installed`, `${outside}/installed`);
      Deno.symlinkSync(`${outside}/installed`, `${db}/installed`);
    }, /var\/db\/kiss\/installed is a symbolic link or not a directory/],
    [".kiln-tx", () => Deno.symlinkSync(outside, `${db}/.kiln-tx`), /\.kiln-tx is a symbolic link or not a directory/],
    ["var/db", () => {
      Deno.renameSync(`${root}/var/db`, `${outside}/db`);
      Deno.symlinkSync(`${outside}/db`, `${root}/var/db`);
    }, /var\/db is a symbolic link or not a directory; kiln does not follow links into kiss's database/],
  ];
  for (const [what, plant, error] of plants) {
    await t.step(what, async () => {
      const before = snapshot(tmp.path);
      const undo = snapshot(root);
      plant();
      const planted = snapshot(tmp.path);
      await assert.rejects(() => installArchives(config, [next], testLog()), (err) => {
        assert.ok(err instanceof KilnError, String(err));
        assert.match(err.message, error);
        assert.ok(err.hint);
        return true;
      });
      assert.deepEqual(diffSnapshots(planted, snapshot(tmp.path)), [], "nothing changed, in the root or outside it");
      // Put things back for the next plant.
      for (const p of [`${db}/.kiln-lock`, `${db}/.kiln-journal`, `${db}/.kiln-tx`, `${outside}/lock`]) {
        try {
          if (Deno.lstatSync(p).isSymlink) Deno.removeSync(p);
        } catch { /* not planted */ }
      }
      for (const [link, moved] of [[`${db}/installed`, `${outside}/installed`], [`${root}/var/db`, `${outside}/db`]]) {
        try {
          if (Deno.lstatSync(link).isSymlink) {
            Deno.removeSync(link);
            Deno.renameSync(moved, link);
          }
        } catch { /* not planted */ }
      }
      try {
        Deno.removeSync(`${outside}/journal`);
      } catch { /* not planted */ }
      Deno.writeTextFileSync(`${db}/.kiln-lock`, "");
      assert.deepEqual(diffSnapshots(undo, snapshot(root)), []);
      assert.deepEqual(diffSnapshots(before, snapshot(tmp.path)), []);
    });
  }
  // With the links gone, the install goes through.
  await installArchives(config, [next], testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/n`), "n");
});

Deno.test("links planted at the owner index and at the old predictable temporary names are replaced, never written through", async () => {
  await using tmp = await tempDir();
  const { root, outside, config, next, db } = await setUp(tmp.path);
  // The names an older kiln used for its temporary files, and the index itself.
  Deno.removeSync(`${db}/.kiln-owners`);
  Deno.symlinkSync(`${outside}/secret`, `${db}/.kiln-owners`);
  for (const pid of [Deno.pid, 1, 2, 3]) Deno.symlinkSync(`${outside}/by-${pid}`, `${db}/.kiln-owners.${pid}.tmp`);
  Deno.symlinkSync(`${outside}/journal-tmp`, `${db}/.kiln-journal.tmp`);
  const host = snapshot(outside);
  await installArchives(config, [next], testLog());
  await removePackages(config, ["next"], testLog());
  assert.deepEqual(diffSnapshots(host, snapshot(outside)), [], "nothing written outside the root");
  assert.ok(Deno.lstatSync(`${db}/.kiln-owners`).isFile, "the link to the index was replaced by the index");
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/a"), ["base"]);
  // The leftover temporary links were cleared away, and no temporary file is left.
  assert.deepEqual([...Deno.readDirSync(db)].map((e) => e.name).filter((n) => n.endsWith(".tmp")), []);
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/a`), "a");
});

Deno.test("the database directory is opened component by component, each made when missing", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  assert.equal(DatabaseDir.open(`${root}/var/db/kiss`, false), undefined, "missing and not to be made");
  const db = DatabaseDir.open(`${root}/var/db/kiss`, true)!;
  try {
    db.replace("f", new TextEncoder().encode("one"), true);
    db.replace("f", new TextEncoder().encode("two"), false);
    db.append("f", new TextEncoder().encode("+"), true);
    assert.equal(new TextDecoder().decode(db.read("f")), "two+");
    assert.equal(db.read("missing"), undefined);
    Deno.symlinkSync(`${tmp.path}/elsewhere`, `${root}/var/db/kiss/l`);
    assert.throws(() => db.read("l"), /kiss\/l is a symbolic link; kiln does not follow links/);
    assert.throws(() => db.append("l", new Uint8Array(1), false), /is a symbolic link/);
    assert.throws(() => Deno.lstatSync(`${tmp.path}/elsewhere`), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(`${root}/var/db/kiss`)].map((e) => e.name).sort(), ["f", "l"]);
  } finally {
    db.close();
  }
  // A file in the way of a component is refused as a link is.
  Deno.mkdirSync(`${tmp.path}/r2/var`, { recursive: true });
  Deno.writeTextFileSync(`${tmp.path}/r2/var/db`, "");
  assert.throws(
    () => DatabaseDir.open(`${tmp.path}/r2/var/db/kiss`, true),
    /r2\/var\/db is a symbolic link or not a directory/,
  );
});
