import assert from "node:assert/strict";
import { describe, runKiln } from "../../_helpers/cli.ts";
import { dependencyWorld } from "../../_helpers/fixtures.ts";

Deno.test("kiln depends lists a package's dependencies with make marked", async () => {
  const { tmp, env } = await dependencyWorld();
  await using _ = tmp;
  const r = await runKiln(["depends", "app"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "zlib\ncmake make\nmusl\n");
  const json = await runKiln(["depends", "--json", "app"], { env });
  assert.deepEqual(JSON.parse(json.stdout).depends, [
    { name: "zlib", make: false },
    { name: "cmake", make: true },
    { name: "musl", make: false },
  ]);
  const none = await runKiln(["depends", "zlib"], { env });
  assert.equal(none.code, 0);
  assert.equal(none.stdout, "");
});

Deno.test("kiln depends finds installed-only packages and uses the current directory", async () => {
  const { tmp, env, repo } = await dependencyWorld();
  await using _ = tmp;
  const installed = await runKiln(["depends", "curl"], { env });
  assert.equal(installed.stdout, "zlib\nopenssl\n");
  const here = await runKiln(["depends"], { env, cwd: `${repo}/app` });
  assert.equal(here.code, 0, describe(here));
  assert.equal(here.stdout, "zlib\ncmake make\nmusl\n");
});

Deno.test("kiln depends: unknown package exit 1, two packages or no package directory exit 2", async () => {
  const { tmp, env } = await dependencyWorld();
  await using _ = tmp;
  const unknown = await runKiln(["depends", "nope"], { env });
  assert.equal(unknown.code, 1, describe(unknown));
  assert.match(unknown.stderr, /package 'nope' is in no repository; searched /);
  const two = await runKiln(["depends", "app", "zlib"], { env });
  assert.equal(two.code, 2, describe(two));
  assert.match(two.stderr, /depends takes one package, got 2: app zlib/);
  assert.match(two.stderr, /usage: kiln depends PKG/);
  const nowhere = await runKiln(["depends"], { env, cwd: tmp.path });
  assert.equal(nowhere.code, 2, describe(nowhere));
  assert.match(nowhere.stderr, /no package named, and the current directory .* is not a package directory/);
});
