import assert from "node:assert/strict";
import { KilnError, RecipeError, UsageError } from "../../lib/errors.ts";
import { collectEvents, Log, silent } from "../../lib/log.ts";
import { formatPlan } from "../../lib/graph/plan.ts";
import type { BuildPlan } from "../../lib/graph/plan.ts";
import { resolveBuildPlan } from "../../lib/graph/resolve.ts";
import { Repositories } from "../../lib/repo/repositories.ts";
import { tempDir, testConfig, writeInstalled, writeRepo } from "../_helpers/fixtures.ts";

type Graph = Record<string, string[]>;

/** Resolve `names` over a repository written from `graph`, with `installed` packages in the root. */
async function plan(graph: Graph, names: string[], installed: string[] = []): Promise<BuildPlan> {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, graph);
  for (const name of installed) writeInstalled(`${tmp.path}/root`, name);
  const config = testConfig(`${tmp.path}/root`, [repo]);
  return resolveBuildPlan(new Repositories(config), config, names, new Log(silent));
}

async function resolveError(graph: Graph, names: string[]): Promise<KilnError> {
  try {
    await plan(graph, names);
  } catch (err) {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    return err;
  }
  assert.fail("resolution should have failed");
}

const order = (p: BuildPlan) => p.order.map((e) => e.name);

// The build-order example of the seed (kiss_ng building rust), zstd already installed.
const RUST: Graph = {
  rust: ["cmake make", "curl make", "llvm", "openssl", "pkgconf make", "python make", "xz", "zlib"],
  cmake: ["bzip2", "curl", "expat", "linux-headers make", "zlib"],
  llvm: ["cmake make", "python make", "zlib", "zstd"],
  python: ["bzip2", "expat", "libffi", "ncurses", "openssl", "sqlite", "zlib"],
  curl: ["openssl", "zlib"],
  sqlite: ["zlib"],
  openssl: ["certs"],
  zstd: ["zlib"],
  bzip2: [],
  certs: [],
  zlib: [],
  expat: [],
  "linux-headers": [],
  libffi: [],
  ncurses: [],
  pkgconf: [],
  xz: [],
};

Deno.test("the seed's rust example gives the seed's order and lines", async () => {
  const p = await plan(RUST, ["rust"], ["zstd"]);
  assert.deepEqual(formatPlan(p), [
    "(1/16) will build package (implicit) bzip2",
    "(2/16) will build package (implicit) certs",
    "(3/16) will build package (implicit) openssl",
    "(4/16) will build package (implicit) zlib",
    "(5/16) will build package (implicit) curl",
    "(6/16) will build package (implicit) expat",
    "(7/16) will build package (implicit) linux-headers",
    "(8/16) will build package (implicit) cmake",
    "(9/16) will build package (implicit) libffi",
    "(10/16) will build package (implicit) ncurses",
    "(11/16) will build package (implicit) sqlite",
    "(12/16) will build package (implicit) python",
    "(13/16) will build package (implicit) llvm",
    "(14/16) will build package (implicit) pkgconf",
    "(15/16) will build package (implicit) xz",
    "(16/16) will build package (explicit) rust",
  ]);
  const byName = Object.fromEntries(p.order.map((e) => [e.name, e]));
  assert.equal(byName.cmake.make, true, "cmake is only ever a make dependency");
  assert.equal(byName.pkgconf.make, true);
  assert.equal(byName["linux-headers"].make, true);
  assert.equal(byName.curl.make, false, "cmake needs curl at run time");
  assert.equal(byName.python.make, true);
  assert.equal(byName.zlib.make, false);
  assert.equal(byName.rust.make, false);
  assert.ok(byName.rust.dir.endsWith("/repo/rust"));
});

Deno.test("every package comes after all of its dependencies", async () => {
  const p = await plan(RUST, ["rust"]);
  const at = new Map(order(p).map((n, i) => [n, i]));
  for (const [name, deps] of Object.entries(RUST)) {
    for (const dep of deps) assert.ok(at.get(dep.split(" ")[0])! < at.get(name)!, `${dep} before ${name}`);
  }
  assert.equal(p.order.length, Object.keys(RUST).length, "zstd is built when it is not installed");
});

Deno.test("a diamond builds the shared dependency once, first", async () => {
  const p = await plan({ app: ["left", "right"], left: ["base"], right: ["base"], base: [] }, ["app"]);
  assert.deepEqual(order(p), ["base", "left", "right", "app"]);
});

Deno.test("a dependency wanted both at build and at run time is not make-only", async () => {
  const p = await plan({ app: ["tool make", "lib"], lib: ["tool"], tool: [] }, ["app"]);
  assert.deepEqual(order(p), ["tool", "lib", "app"]);
  assert.deepEqual(p.order.map((e) => e.make), [false, false, false]);
  const q = await plan({ app: ["tool make", "lib"], lib: [], tool: [] }, ["app"]);
  assert.deepEqual(q.order.map((e) => [e.name, e.make]), [["tool", true], ["lib", false], ["app", false]]);
});

Deno.test("installed dependencies are skipped with their own dependencies, unless named", async () => {
  const graph = { app: ["lib", "tool make"], lib: ["base"], tool: [], base: [] };
  assert.deepEqual(order(await plan(graph, ["app"], ["lib", "tool"])), ["app"]);
  assert.deepEqual(order(await plan(graph, ["app"], ["base"])), ["lib", "tool", "app"]);
  const named = await plan(graph, ["app", "lib"], ["lib", "tool", "base"]);
  assert.deepEqual(order(named), ["lib", "app"]);
  assert.deepEqual(named.order.map((e) => e.explicit), [true, true]);
  assert.deepEqual(order(await plan(graph, ["lib"], ["lib", "base"])), ["lib"], "a named installed package is rebuilt");
});

Deno.test("named packages that depend on each other are ordered by dependence, all explicit", async () => {
  const p = await plan({ app: ["lib"], lib: ["base"], base: [] }, ["lib", "app", "lib"]);
  assert.deepEqual(order(p), ["base", "lib", "app"]);
  assert.deepEqual(p.order.map((e) => e.explicit), [false, true, true]);
  assert.deepEqual(p.targets, ["lib", "app"]);
  const q = await plan({ app: ["lib"], lib: [], other: [] }, ["app", "other", "lib"]);
  assert.deepEqual(order(q), ["lib", "app", "other"]);
});

Deno.test("the order is deterministic and follows the depends files, not names or directory order", async () => {
  const graph = { top: ["zeta", "alpha", "mid"], zeta: ["mid"], mid: [], alpha: [] };
  const first = order(await plan(graph, ["top"]));
  assert.deepEqual(first, ["mid", "zeta", "alpha", "top"]);
  for (let i = 0; i < 3; i++) assert.deepEqual(order(await plan(graph, ["top"])), first);
});

Deno.test("a cycle is reported with its full path", async () => {
  const err = await resolveError({ a: ["b"], b: ["c"], c: ["a"] }, ["a"]);
  assert.equal(err.message, "dependency cycle: a -> b -> c -> a");
  assert.match(err.hint!, /line 1 \('a'\) of .*\/repo\/c\/depends/);
  const deeper = await resolveError({ top: ["x"], x: ["y make"], y: ["z"], z: ["x"] }, ["top"]);
  assert.equal(deeper.message, "dependency cycle: x -> y -> z -> x");
  const self = await resolveError({ me: ["ok", "me"], ok: [] }, ["me"]);
  assert.equal(self.message, "dependency cycle: me -> me");
  assert.match(self.hint!, /line 2 \('me'\)/);
});

Deno.test("a missing dependency names who needs it, the chain, the depends line and where kiln looked", async () => {
  const err = await resolveError({ app: ["lib"], lib: ["base", "ghost"], base: [] }, ["app"]);
  assert.match(err.message, /^package 'ghost', needed by lib \(app -> lib -> ghost\), is in no repository; searched /);
  assert.match(err.message, /\/repo and the installed database .*\/root\/var\/db\/kiss\/installed$/);
  assert.match(err.hint!, /remove it from .*\/repo\/lib\/depends line 2/);
  const direct = await resolveError({ app: ["ghost"] }, ["app"]);
  assert.match(direct.message, /^package 'ghost', needed by app, is in no repository/);
  const named = await resolveError({ app: [] }, ["nope"]);
  assert.match(named.message, /^package 'nope' is in no repository; searched /);
});

Deno.test("a malformed depends line met during resolution names its file and line", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { app: ["lib"], lib: { depends: "base\nbase runtime\n" }, base: [] });
  const config = testConfig(`${tmp.path}/root`, [repo]);
  assert.throws(
    () => resolveBuildPlan(new Repositories(config), config, ["app"], new Log(silent)),
    (err: unknown) => err instanceof RecipeError && err.file === `${repo}/lib/depends` && err.line === 2,
  );
});

Deno.test("a word that is not a package name is a usage error", async () => {
  await assert.rejects(() => plan({ a: [] }, ["../a"]), UsageError);
});

Deno.test("every edge is logged at debug level as the seed does", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { pigz: ["zlib make"], zlib: [] });
  const config = testConfig(`${tmp.path}/root`, [repo]);
  const events = collectEvents();
  resolveBuildPlan(new Repositories(config), config, ["pigz"], new Log(events));
  assert.deepEqual(events.lines("debug"), ["looking up dependency zlib of pigz"]);
});
