/**
 * Eight kiln processes installing and removing on one root at once: the
 * root's lock serialises them (their hooks, which run inside the lock, never
 * interleave), every command succeeds, and the database is consistent.
 */
import assert from "node:assert/strict";
import { OwnerIndex } from "../../lib/db/owners.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { inconsistencies, makeArchive, rootConfig, testLog } from "../_helpers/packages.ts";

Deno.test("eight processes on one root are serialised by the lock", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const pkgs = `${tmp.path}/pkgs`;
  const common = { "usr/share/common/README": "shared directory" };
  const toInstall: string[] = [];
  const toRemove: string[] = [];
  for (let i = 0; i < 4; i++) {
    toInstall.push(
      await makeArchive(
        { name: `new${i}`, files: { [`usr/bin/new${i}`]: `${i}`, [`usr/share/common/new${i}`]: "n" } },
        pkgs,
      ),
    );
    toRemove.push(
      await makeArchive(
        { name: `old${i}`, files: { [`usr/bin/old${i}`]: `${i}`, [`usr/share/common/old${i}`]: "o" } },
        pkgs,
      ),
    );
  }
  const base = await makeArchive({ name: "base", files: common }, pkgs);
  await installArchives(rootConfig(root), [base, ...toRemove], testLog());

  const hookLog = `${tmp.path}/hooks.log`;
  const hook = `${tmp.path}/hook`;
  Deno.writeTextFileSync(
    hook,
    `#!/bin/sh\necho "begin $$ $1 $2" >> "${hookLog}"\nsleep 0.05\necho "end $$ $1 $2" >> "${hookLog}"\n`,
  );
  Deno.chmodSync(hook, 0o755);
  const env = { KISS_ROOT: root, KISS_HOOK: hook, KISS_FSYNC: "0" };
  const runs = await Promise.all([
    ...toInstall.map((file) => runKiln(["install", file], { env })),
    ...[0, 1, 2, 3].map((i) => runKiln(["remove", `old${i}`], { env })),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);

  // Hooks run inside the lock: each begin is followed by its own end.
  const lines = Deno.readTextFileSync(hookLog).trim().split("\n");
  assert.equal(lines.length, 8 * 2 * 2, "pre and post hooks of eight commands, begin and end each");
  for (let i = 0; i < lines.length; i += 2) {
    const [b, pid, event, pkg] = lines[i].split(" ");
    assert.equal(b, "begin");
    assert.equal(lines[i + 1], `end ${pid} ${event} ${pkg}`, `hook runs interleaved:\n${lines.join("\n")}`);
  }

  const installed = [...Deno.readDirSync(`${root}/var/db/kiss/installed`)].map((e) => e.name).sort();
  assert.deepEqual(installed, ["base", "new0", "new1", "new2", "new3"]);
  assert.deepEqual(inconsistencies(root), []);
  const config = rootConfig(root);
  assert.deepEqual(
    [...OwnerIndex.load(config).entries()],
    [...OwnerIndex.build(config).entries()],
    "the index is current",
  );
});
