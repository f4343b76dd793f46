import assert from "node:assert/strict";
import { describe, PROJECT_DIR, runKiln } from "../../_helpers/cli.ts";
import { exists, tempDir, writeInstalled, writeRecipe, writeRepo } from "../../_helpers/fixtures.ts";

const EXAMPLES = `${PROJECT_DIR}/examples/repo`;

Deno.test("kiln build --dry-run prints the plan of the example repository in the seed's format", async () => {
  await using tmp = await tempDir();
  const env = { KISS_PATH: EXAMPLES, KISS_ROOT: `${tmp.path}/root`, KISS_CACHE: `${tmp.path}/cache` };
  const r = await runKiln(["build", "--dry-run", "greet", "motd"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(
    r.stderr,
    "[INFO] (1/3) will build package (implicit) libgreet\n" +
      "[INFO] (2/3) will build package (explicit) greet\n" +
      "[INFO] (3/3) will build package (explicit) motd\n",
  );
  assert.equal(r.stdout, "");
  assert.ok(!exists(`${tmp.path}/root`) && !exists(`${tmp.path}/cache`), "a dry run writes nothing");
});

Deno.test("kiln b --dry-run --json prints the plan as JSON", async () => {
  await using tmp = await tempDir();
  const r = await runKiln(["b", "--dry-run", "--json", "greet"], {
    env: { KISS_PATH: EXAMPLES, KISS_ROOT: tmp.path },
  });
  assert.equal(r.code, 0, describe(r));
  const plan = JSON.parse(r.stdout);
  assert.deepEqual(plan.targets, ["greet"]);
  assert.deepEqual(plan.order.map((e: { name: string; explicit: boolean }) => [e.name, e.explicit]), [
    ["libgreet", false],
    ["greet", true],
  ]);
  assert.equal(plan.order[0].dir, `${EXAMPLES}/libgreet`);
});

Deno.test("kiln build --dry-run skips installed dependencies and -v shows each lookup", async () => {
  await using tmp = await tempDir();
  writeInstalled(tmp.path, "libgreet");
  const r = await runKiln(["-v", "build", "--dry-run", "greet"], { env: { KISS_PATH: EXAMPLES, KISS_ROOT: tmp.path } });
  assert.equal(r.code, 0, describe(r));
  assert.equal(
    r.stderr,
    "[DEBUG] looking up dependency libgreet of greet\n[INFO] (1/1) will build package (explicit) greet\n",
  );
});

Deno.test("kiln build --dry-run with no name builds the current directory's package, its parent searched first", async () => {
  await using tmp = await tempDir();
  const work = writeRepo(`${tmp.path}/work`, { app: ["dep"], dep: [] });
  const other = writeRepo(`${tmp.path}/other`, { app: [] });
  const r = await runKiln(["build", "--dry-run", "--json"], {
    env: { KISS_PATH: other, KISS_ROOT: `${tmp.path}/root` },
    cwd: `${work}/app`,
  });
  assert.equal(r.code, 0, describe(r));
  assert.deepEqual(JSON.parse(r.stdout).order.map((e: { dir: string }) => e.dir), [`${work}/dep`, `${work}/app`]);
});

Deno.test("kiln build --dry-run: a cycle and a missing dependency fail with exit 1 and say where", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { a: ["b"], b: ["c"], c: ["a"], app: ["lib"], lib: ["ghost"] });
  const env = { KISS_PATH: repo, KISS_ROOT: `${tmp.path}/root` };
  const cycle = await runKiln(["build", "--dry-run", "a"], { env });
  assert.equal(cycle.code, 1, describe(cycle));
  assert.match(cycle.stderr, /^\[ERROR\] dependency cycle: a -> b -> c -> a\n/);
  assert.doesNotMatch(cycle.stderr, /at .*\.ts:\d+/, "no stack trace");
  const missing = await runKiln(["build", "--dry-run", "app"], { env });
  assert.equal(missing.code, 1, describe(missing));
  assert.match(
    missing.stderr,
    /package 'ghost', needed by lib \(app -> lib -> ghost\), is in no repository; searched /,
  );
  assert.match(missing.stderr, new RegExp(`remove it from ${repo}/lib/depends line 1`));
});

Deno.test("kiln build refuses a broken recipe naming file and line, and writes nothing", async () => {
  await using tmp = await tempDir();
  const repo = `${tmp.path}/repo`;
  writeRecipe(repo, "app", { depends: ["lib"] });
  writeRecipe(repo, "lib", { version: "1.0\n" });
  const env = { KISS_PATH: repo, KISS_ROOT: `${tmp.path}/root`, KISS_CACHE: `${tmp.path}/cache` };
  const r = await runKiln(["build", "-y", "app"], { env });
  assert.equal(r.code, 1, describe(r));
  assert.match(r.stderr, new RegExp(`\\[ERROR\\] ${repo}/lib/version:1: no release field after version '1.0'`));
  assert.match(r.stderr, /write 'VERSION RELEASE' on the first line/);
  assert.ok(!exists(`${tmp.path}/root`) && !exists(`${tmp.path}/cache`), "nothing is written");
  const badDepends = writeRecipe(repo, "bad", { depends: "zlib\nmusl maybe\n" });
  const d = await runKiln(["build", "--dry-run", "bad"], { env });
  assert.equal(d.code, 1, describe(d));
  assert.match(d.stderr, new RegExp(`${badDepends}/depends:2: unknown word 'maybe' after dependency 'musl'`));
});

Deno.test("kiln build with a path or an unknown flag is a usage error (exit 2)", async () => {
  await using tmp = await tempDir();
  const env = { KISS_PATH: EXAMPLES, KISS_ROOT: tmp.path };
  const path = await runKiln(["build", "--dry-run", "./greet"], { env });
  assert.equal(path.code, 2, describe(path));
  assert.match(path.stderr, /'\.\/greet' is not a package name/);
  const flag = await runKiln(["build", "--frobnicate", "greet"], { env });
  assert.equal(flag.code, 2, describe(flag));
  const nowhere = await runKiln(["build", "--dry-run"], { env, cwd: tmp.path });
  assert.equal(nowhere.code, 2, describe(nowhere));
  assert.match(nowhere.stderr, /not a package directory/);
});
