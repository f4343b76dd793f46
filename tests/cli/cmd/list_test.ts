import assert from "node:assert/strict";
import { describe, runKiln } from "../../_helpers/cli.ts";
import { tempDir, writeInstalled } from "../../_helpers/fixtures.ts";

async function root() {
  const tmp = await tempDir();
  writeInstalled(tmp.path, "zlib", { version: "1.3.1 2\n" });
  writeInstalled(tmp.path, "busybox", { version: "1.36.1\t1 \n" });
  writeInstalled(tmp.path, "gitpkg", { version: "git 3\n" });
  return tmp;
}

Deno.test("kiln list prints every installed package and version, sorted, as kiss does", async () => {
  await using tmp = await root();
  const r = await runKiln(["list"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "busybox 1.36.1 1\ngitpkg git 3\nzlib 1.3.1 2\n");
  const byRoot = await runKiln(["--root", tmp.path, "l"]);
  assert.equal(byRoot.stdout, r.stdout);
});

Deno.test("kiln list PKG… prints those; a package not installed fails with exit 1", async () => {
  await using tmp = await root();
  const ok = await runKiln(["list", "zlib", "busybox"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(ok.code, 0, describe(ok));
  assert.equal(ok.stdout, "zlib 1.3.1 2\nbusybox 1.36.1 1\n");
  const missing = await runKiln(["list", "zlib", "curl"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(missing.code, 1, describe(missing));
  assert.equal(missing.stdout, "zlib 1.3.1 2\n");
  assert.match(missing.stderr, /\[ERROR\] package 'curl' not installed in /);
});

Deno.test("kiln list --json", async () => {
  await using tmp = await root();
  const r = await runKiln(["list", "--json", "zlib"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(r.code, 0, describe(r));
  assert.deepEqual(JSON.parse(r.stdout), [{ name: "zlib", version: "1.3.1", release: "2" }]);
  const all = await runKiln(["--json", "list"], { env: { KISS_ROOT: tmp.path } });
  assert.deepEqual(JSON.parse(all.stdout).map((p: { name: string }) => p.name), ["busybox", "gitpkg", "zlib"]);
});

Deno.test("kiln list on an empty root prints nothing and succeeds", async () => {
  await using tmp = await tempDir();
  const r = await runKiln(["list"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "");
});

Deno.test("kiln list with a path instead of a name is a usage error (exit 2)", async () => {
  await using tmp = await root();
  const r = await runKiln(["list", "../etc"], { env: { KISS_ROOT: tmp.path } });
  assert.equal(r.code, 2, describe(r));
  assert.match(r.stderr, /'\.\.\/etc' is not a package name/);
});
