/**
 * What the database check lets through: links near the database that do not
 * lead into it, links that loop, links to names beside them. (What it
 * refuses is in `refuse_test.ts`.)
 */
import assert from "node:assert/strict";
import { inDatabase } from "../../lib/install/dbguard.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { inconsistencies, makeArchive, rootConfig, testLog } from "../_helpers/packages.ts";

Deno.test("inDatabase: /var/db/kiss and below only", () => {
  for (const p of ["/var/db/kiss", "/var/db/kiss/", "/var/db/kiss/installed/x/manifest", "/var/db/kiss/.kiln-lock"]) {
    assert.ok(inDatabase(p), p);
  }
  for (const p of ["/var/db", "/var", "/", "/var/db/kissx", "/var/db/kiss2/x", "/usr/var/db/kiss"]) {
    assert.ok(!inDatabase(p), p);
  }
});

Deno.test("links beside the database, links that loop and links to their neighbours install and remove as usual", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = rootConfig(root);
  const log = testLog();
  await installArchives(config, [
    await makeArchive({
      name: "near",
      files: {
        "usr/lib/libz.so.1": "z",
        "usr/lib/libz.so": { symlink: "libz.so.1" },
        "usr/share/loop/a": { symlink: "b" },
        "usr/share/loop/b": { symlink: "a" },
        "usr/share/self": { symlink: "self/x" },
        "usr/share/db": { symlink: "../../var/db" },
        "usr/share/kissx": { symlink: "../../var/db/kissx" },
        "var/db/kissx/file": "not kiss's database",
      },
    }, tmp.path),
  ], log);
  assert.equal(Deno.readLinkSync(`${root}/usr/share/loop/a`), "b");
  assert.equal(Deno.readTextFileSync(`${root}/usr/share/kissx/file`), "not kiss's database");
  assert.deepEqual(inconsistencies(root), []);
  await removePackages(config, ["near"], log);
  assert.throws(() => Deno.lstatSync(`${root}/usr/lib/libz.so`), Deno.errors.NotFound);
  assert.throws(() => Deno.lstatSync(`${root}/usr/share/loop`), Deno.errors.NotFound);
});
