import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { Log, silent } from "../../lib/log.ts";
import type { CommandContext } from "../../lib/cli/context.ts";
import { packageTargets, singleTarget } from "../../lib/cli/args.ts";
import { checkName } from "../../lib/cli/check_name.ts";
import { tempDir, testConfig, writeRepo } from "../_helpers/fixtures.ts";

function context(root: string, kissPath: string[], args: string[], cwd: string): CommandContext {
  return {
    config: testConfig(root, kissPath),
    args,
    options: {},
    reporter: silent,
    log: new Log(silent),
    cwd,
    out: () => {},
  };
}

Deno.test("named packages are the targets, searched in KISS_PATH order", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { a: [], b: [] });
  const { names, repos } = packageTargets(context(`${tmp.path}/root`, [repo], ["b", "a"], tmp.path));
  assert.deepEqual(names, ["b", "a"]);
  assert.equal(repos.paths[0], repo);
});

Deno.test("no name: the current directory is the package and its parent is searched first", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { pkg: [] });
  const work = writeRepo(`${tmp.path}/work`, { pkg: [] });
  const { names, repos } = packageTargets(context(`${tmp.path}/root`, [repo], [], `${work}/pkg/`));
  assert.deepEqual(names, ["pkg"]);
  assert.deepEqual(repos.paths.slice(0, 2), [work, repo]);
  assert.equal(repos.locate("pkg")?.dir, `${work}/pkg`);
});

Deno.test("no name outside a package directory, or a path for a name, is a usage error", async () => {
  await using tmp = await tempDir();
  assert.throws(() => packageTargets(context(tmp.path, [], [], tmp.path)), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /not a package directory/);
    return true;
  });
  assert.throws(() => packageTargets(context(tmp.path, [], [], "/")), UsageError);
  assert.throws(() => packageTargets(context(tmp.path, [], ["a/b"], tmp.path)), /not a package name/);
  assert.throws(() => checkName("-rf"), UsageError);
  assert.doesNotThrow(() => checkName("gtk+3"));
});

Deno.test("singleTarget takes exactly one package", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { a: [] });
  assert.equal(singleTarget(context(tmp.path, [repo], ["a"], tmp.path), "depends").name, "a");
  assert.throws(
    () => singleTarget(context(tmp.path, [repo], ["a", "b"], tmp.path), "depends"),
    /depends takes one package, got 2: a b/,
  );
  assert.equal(singleTarget(context(tmp.path, [repo], [], `${repo}/a`), "depends").name, "a");
});
