import assert from "node:assert/strict";
import { describe, runKiln } from "../../_helpers/cli.ts";
import { dependencyWorld } from "../../_helpers/fixtures.ts";

Deno.test("kiln revdepends lists installed packages that depend on a package", async () => {
  const { tmp, env } = await dependencyWorld();
  await using _ = tmp;
  const r = await runKiln(["revdepends", "zlib"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "curl\npigz make\n");
  const json = await runKiln(["--json", "revdepends", "zlib"], { env });
  assert.deepEqual(JSON.parse(json.stdout), [{ name: "curl", make: false }, { name: "pigz", make: true }]);
  const none = await runKiln(["revdepends", "lonely"], { env });
  assert.equal(none.code, 0, describe(none));
  assert.equal(none.stdout, "");
  const unknown = await runKiln(["revdepends", "nope"], { env });
  assert.equal(unknown.code, 1, describe(unknown));
  const two = await runKiln(["revdepends", "a", "b"], { env });
  assert.equal(two.code, 2, describe(two));
});

Deno.test("kiln revdepends with no name uses the current directory's package", async () => {
  const { tmp, env, repo } = await dependencyWorld();
  await using _ = tmp;
  const r = await runKiln(["revdepends"], { env, cwd: `${repo}/zlib` });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "curl\npigz make\n");
});
