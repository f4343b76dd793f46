import assert from "node:assert/strict";
import { describe, runKiln } from "../_helpers/cli.ts";

Deno.test("kiln version and v print the version; --json wraps it", async () => {
  const plain = await runKiln(["version"]);
  assert.equal(plain.code, 0, describe(plain));
  assert.match(plain.stdout, /^\d+\.\d+\.\d+\n$/);
  const alias = await runKiln(["v"]);
  assert.equal(alias.stdout, plain.stdout);
  const json = await runKiln(["--json", "version"]);
  assert.deepEqual(JSON.parse(json.stdout), { version: plain.stdout.trim() });
});

Deno.test("kiln help lists the query commands with their aliases; help for one command", async () => {
  const r = await runKiln(["help"]);
  assert.equal(r.code, 0, describe(r));
  for (const line of [/s, search/, /l, list/, /b, build/, /depends PKG/, /revdepends PKG/]) {
    assert.match(r.stdout, line);
  }
  const one = await runKiln(["search", "--help"]);
  assert.equal(one.code, 0, describe(one));
  assert.match(one.stdout, /^usage: kiln search \[glob…\]/);
});

Deno.test("an unknown flag or a bad -j is a usage error with exit 2 and a hint", async () => {
  const flag = await runKiln(["list", "--nope"]);
  assert.equal(flag.code, 2, describe(flag));
  assert.match(flag.stderr, /\[ERROR\] .*--nope/);
  assert.match(flag.stderr, /kiln help/);
  const jobs = await runKiln(["-j", "zero", "list"]);
  assert.equal(jobs.code, 2, describe(jobs));
});
