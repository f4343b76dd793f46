import assert from "node:assert/strict";
import { describe, runKiln } from "../../_helpers/cli.ts";
import { tempDir, writeInstalled, writeRepo } from "../../_helpers/fixtures.ts";

Deno.test("kiln search: every match in search order, shadowed ones marked, installed database last", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { zlib: [], zstd: [], musl: [] });
  const extra = writeRepo(`${tmp.path}/extra`, { zlib: [] });
  writeInstalled(`${tmp.path}/root`, "zlib");
  const env = { KISS_PATH: `${core}:${extra}`, KISS_ROOT: `${tmp.path}/root` };
  const r = await runKiln(["search", "z*"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(
    r.stdout,
    `${core}/zlib\n${core}/zstd\n${extra}/zlib (shadowed)\n${tmp.path}/root/var/db/kiss/installed/zlib (shadowed)\n`,
  );
  const alias = await runKiln(["s", "musl", "zstd"], { env });
  assert.equal(alias.stdout, `${core}/musl\n${core}/zstd\n`);
});

Deno.test("kiln search --json gives name, dir, repo, shadowed and installed", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { zlib: [] });
  writeInstalled(`${tmp.path}/root`, "zlib");
  const r = await runKiln(["--json", "search", "zlib"], { env: { KISS_PATH: core, KISS_ROOT: `${tmp.path}/root` } });
  assert.equal(r.code, 0, describe(r));
  assert.deepEqual(JSON.parse(r.stdout), [
    { name: "zlib", dir: `${core}/zlib`, repo: core, shadowed: false, installed: false },
    {
      name: "zlib",
      dir: `${tmp.path}/root/var/db/kiss/installed/zlib`,
      repo: `${tmp.path}/root/var/db/kiss/installed`,
      shadowed: true,
      installed: true,
    },
  ]);
});

Deno.test("kiln search with no match fails with exit 1 and says where it looked", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { zlib: [] });
  const r = await runKiln(["search", "zlib", "nothing*"], { env: { KISS_PATH: core, KISS_ROOT: `${tmp.path}/root` } });
  assert.equal(r.code, 1, describe(r));
  assert.equal(r.stdout, `${core}/zlib\n`);
  assert.match(r.stderr, /\[ERROR\] no package matches 'nothing\*'; searched .*\/core and the installed database/);
});

Deno.test("kiln search with no argument searches for the current directory's package, its parent first", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { pkg: [] });
  const local = writeRepo(`${tmp.path}/work`, { pkg: [] });
  const r = await runKiln(["search"], {
    env: { KISS_PATH: core, KISS_ROOT: `${tmp.path}/root` },
    cwd: `${local}/pkg`,
  });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, `${local}/pkg\n${core}/pkg (shadowed)\n`);
});
