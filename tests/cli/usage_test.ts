import assert from "node:assert/strict";
import { baseEnv, describe, PROJECT_DIR, runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";

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

Deno.test("a query whose reader goes away early (| head) ends quietly, as a program killed by SIGPIPE", async () => {
  await using tmp = await tempDir();
  // A manifest far larger than a pipe holds, so that kiln is still writing when head has gone.
  const db = `${tmp.path}/var/db/kiss/installed/big`;
  Deno.mkdirSync(db, { recursive: true });
  const lines = Array.from({ length: 20000 }, (_, i) => `/usr/share/big/file-with-a-long-name-${i}`).sort().reverse();
  Deno.writeTextFileSync(`${db}/manifest`, [...lines, `/var/db/kiss/installed/big/manifest`].join("\n") + "\n");
  Deno.writeTextFileSync(`${db}/version`, "1 1\n");
  const kiln = [Deno.execPath(), "run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`];
  const script = '"$@" manifest big | head -c 10 >/dev/null; echo "status ${PIPESTATUS[0]}"';
  const out = await new Deno.Command("bash", {
    args: ["-c", script, "bash", ...kiln],
    env: { ...baseEnv(), KISS_ROOT: tmp.path },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(stderr, "", "nothing is said");
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "status 141");
});
