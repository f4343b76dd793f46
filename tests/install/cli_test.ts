/** The install-area commands run as kiln itself: arguments, output, `--json`, exit status. */
import assert from "node:assert/strict";
import { baseEnv, describe, PROJECT_DIR, runKiln } from "../_helpers/cli.ts";
import { tempDir, writeRecipe } from "../_helpers/fixtures.ts";
import { makeArchive, packageItems, rawArchive } from "../_helpers/packages.ts";

async function world(t: string) {
  const root = `${t}/root`;
  const repo = `${t}/repo`;
  const cache = `${t}/cache`;
  Deno.mkdirSync(root);
  for (const [name, version] of [["layout", "1 1"], ["lib", "1.0 1"], ["app", "2.0 1"], ["tool", "1 1"]]) {
    writeRecipe(repo, name, { version: `${version}\n` });
  }
  await makeArchive(
    { name: "layout", version: "1", files: { "usr/bin/": { dir: true }, "bin": { symlink: "usr/bin" } } },
    `${cache}/bin`,
    {
      compress: "zst",
    },
  );
  await makeArchive({ name: "lib", version: "1.0", files: { "usr/lib/liblib.so": "l" } }, `${cache}/bin`, {
    compress: "zst",
  });
  await makeArchive({ name: "app", version: "1.0", depends: ["lib"], files: { "usr/bin/app": "old" } }, `${cache}/bin`);
  await makeArchive(
    { name: "app", version: "2.0", depends: ["lib"], files: { "usr/bin/app": "new" } },
    `${cache}/bin`,
    {
      compress: "xz",
    },
  );
  const env = { KISS_ROOT: root, KISS_PATH: repo, KISS_CACHE: cache, KISS_FSYNC: "0" };
  return { root, repo, cache, env };
}

Deno.test("install by name from the binary cache, at the version the recipe has", async () => {
  await using tmp = await tempDir();
  const { root, env } = await world(tmp.path);
  const missingDep = await runKiln(["install", "app"], { env });
  assert.equal(missingDep.code, 1, describe(missingDep));
  assert.match(missingDep.stderr, /app needs lib/);
  const ok = await runKiln(["i", "app", "layout", "lib"], { env });
  assert.equal(ok.code, 0, describe(ok));
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/app`), "new");
  assert.match(ok.stderr, /installing lib 1\.0-1[\s\S]*installing app 2\.0-1/, "dependencies of the run go first");
  const notBuilt = await runKiln(["install", "tool"], { env });
  assert.equal(notBuilt.code, 1);
  assert.match(notBuilt.stderr, /package tool 1-1 is not built yet/);
  assert.match(notBuilt.stderr, /kiln build tool/);
  const unknown = await runKiln(["install", "nope"], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /'nope' is in no repository/);
});

Deno.test("install a package file named relative to the current directory", async () => {
  await using tmp = await tempDir();
  const { root, cache, env } = await world(tmp.path);
  const out = await runKiln(["install", "./lib@1.0-1.tar.zst"], { env, cwd: `${cache}/bin` });
  assert.equal(out.code, 0, describe(out));
  assert.ok(Deno.statSync(`${root}/usr/lib/liblib.so`).isFile);
  const missing = await runKiln(["install", "./nope@1-1.tar.gz"], { env, cwd: `${cache}/bin` });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read package file .*nope@1-1\.tar\.gz/);
});

Deno.test("owns, manifest, orphans, outdated, alternatives: text and --json", async () => {
  await using tmp = await tempDir();
  const { root, repo, env } = await world(tmp.path);
  assert.equal((await runKiln(["install", "layout", "lib", "app"], { env })).code, 0);

  let r = await runKiln(["owns", "/bin/app"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "app\n");
  r = await runKiln(["owns", `${root}/usr/bin/app`, "--json"], { env });
  assert.deepEqual(JSON.parse(r.stdout), { path: "/usr/bin/app", resolved: "/usr/bin/app", owners: ["app"] });
  r = await runKiln(["owns", "usr/lib/liblib.so"], { env, cwd: root });
  assert.equal(r.stdout, "lib\n", "a relative path is taken from the current directory");
  r = await runKiln(["owns", "/usr/bin/"], { env });
  assert.deepEqual(r.stdout.trim().split("\n").sort(), ["app", "layout"]);
  r = await runKiln(["owns", "/etc/nothing"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no installed package owns \/etc\/nothing/);
  assert.equal((await runKiln(["owns"], { env })).code, 2);

  r = await runKiln(["manifest", "lib"], { env });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, Deno.readTextFileSync(`${root}/var/db/kiss/installed/lib/manifest`));
  r = await runKiln(["manifest", "lib", "--json"], { env });
  assert.ok(JSON.parse(r.stdout).includes("/usr/lib/liblib.so"));
  assert.equal((await runKiln(["manifest", "tool"], { env })).code, 1);

  r = await runKiln(["orphans"], { env });
  assert.equal(r.stdout, "app\nlayout\n", "lib is needed by app");
  r = await runKiln(["orphans", "--json"], { env });
  assert.deepEqual(JSON.parse(r.stdout), ["app", "layout"]);

  writeRecipe(repo, "lib", { version: "1.1 1\n" });
  Deno.removeSync(`${repo}/layout`, { recursive: true });
  r = await runKiln(["outdated"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.equal(r.stdout, "lib 1.0-1 => 1.1-1\n");
  assert.match(r.stderr, /installed packages in no repository: layout/);
  r = await runKiln(["outdated", "--json"], { env });
  assert.deepEqual(JSON.parse(r.stdout).outdated, [{ name: "lib", installed: "1.0-1", available: "1.1-1", repo }]);

  r = await runKiln(["alternatives", "--json"], { env });
  assert.deepEqual(JSON.parse(r.stdout), []);
  assert.equal((await runKiln(["a", "only-one-arg"], { env })).code, 2);
});

Deno.test("remove from the command line: refusal exit 1, --force, not installed", async () => {
  await using tmp = await tempDir();
  const { root, env } = await world(tmp.path);
  assert.equal((await runKiln(["install", "layout", "lib", "app"], { env })).code, 0);
  let r = await runKiln(["r", "lib"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot remove lib: app depends on it/);
  r = await runKiln(["remove", "lib", "--force"], { env });
  assert.equal(r.code, 0, describe(r));
  assert.throws(() => Deno.statSync(`${root}/usr/lib/liblib.so`));
  r = await runKiln(["remove", "lib"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /lib is not installed/);
});

Deno.test("zstd packages install the same with a zstd program that misbehaves, or with none in PATH", async () => {
  await using tmp = await tempDir();
  const { root, cache, env } = await world(tmp.path);
  const archive = `${cache}/bin/lib@1.0-1.tar.zst`;
  // A `zstd` that writes garbage and succeeds, one that fails, and a PATH with no zstd at all (deno only).
  // (Each misbehaves at once: its output is open on kiln's side before it runs.)
  const bins = {
    garbage: "head -c 5000 /dev/urandom",
    fails: "echo 'zstd: broken' >&2; exit 1",
  };
  const denoDir = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));
  const paths: Record<string, string> = { none: `${tmp.path}/empty:${denoDir}` };
  Deno.mkdirSync(`${tmp.path}/empty`);
  for (const [name, body] of Object.entries(bins)) {
    Deno.mkdirSync(`${tmp.path}/${name}`);
    Deno.writeTextFileSync(`${tmp.path}/${name}/zstd`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    paths[name] = `${tmp.path}/${name}:${Deno.env.get("PATH")}`;
  }
  for (const [name, path] of Object.entries(paths)) {
    const out = await runKiln(["-v", "install", archive], { env: { ...env, PATH: path } });
    assert.equal(out.code, 0, `${name}: ${describe(out)}`);
    if (name !== "none") assert.match(out.stderr, /\[DEBUG\] .*zstd program failed .*reading it in-process/, name);
    assert.equal(Deno.readTextFileSync(`${root}/usr/lib/liblib.so`), "l", name);
    const gone = await runKiln(["remove", "lib"], { env: { ...env, PATH: path } });
    assert.equal(gone.code, 0, `${name}: ${describe(gone)}`);
  }
  // A working zstd whose output cannot be read here (no foreign calls: no reading end of its own): in-process.
  const noCalls = await runKiln(["-v", "install", archive], { env, runtime: ["--deny-ffi"] });
  assert.equal(noCalls.code, 0, describe(noCalls));
  assert.doesNotMatch(noCalls.stderr, /zstd program failed/);
  assert.equal(Deno.readTextFileSync(`${root}/usr/lib/liblib.so`), "l");
});

Deno.test("names from a hostile archive reach the terminal escaped, never as control sequences", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  // Two database entries, one named to clear the line and move the cursor: refused, and the message names both.
  const file = await rawArchive(`${tmp.path}/pkg.tar.gz`, [
    ...packageItems({ name: "ok" }),
    ...packageItems({ name: "x\x1b[2K\x1b[1Ahidden\u202e" }),
  ]);
  const out = await runKiln(["install", file], { env: { KISS_ROOT: root, KISS_FSYNC: "0" } });
  assert.notEqual(out.code, 0, describe(out));
  assert.match(out.stderr, /database entries of several packages inside \(ok, x\\x1b\[2K\\x1b\[1Ahidden\\u202e\)/);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x1b\r\u202e]/.test(out.stderr), `no raw control character: ${JSON.stringify(out.stderr)}`);
});

/** Whether util-linux's `script` is there to give kiln a terminal. */
function haveScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "query output: paths with control characters are escaped on a terminal, and byte for byte in a pipe",
  ignore: !haveScript(),
  fn: async () => {
    await using tmp = await tempDir();
    const root = `${tmp.path}/root`;
    // An entry written by another tool (kiln itself refuses such a manifest line).
    const entry = `${root}/var/db/kiss/installed/odd`;
    Deno.mkdirSync(entry, { recursive: true });
    Deno.writeTextFileSync(`${entry}/version`, "1 1\n");
    Deno.writeTextFileSync(
      `${entry}/manifest`,
      "/usr/bin/x\x1b[2J\x1b[Hcleared\u202e\n/var/db/kiss/installed/odd/manifest\n",
    );
    const env = { KISS_ROOT: root };
    const piped = await runKiln(["manifest", "odd"], { env });
    assert.equal(piped.code, 0, describe(piped));
    assert.ok(piped.stdout.startsWith("/usr/bin/x\x1b[2J\x1b[Hcleared\u202e\n"), "a pipe gets the bytes as they are");

    const kiln = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      `--config=${PROJECT_DIR}/deno.json`,
      `${PROJECT_DIR}/main.ts`,
    ];
    const out = await new Deno.Command("script", {
      args: ["-qec", `${kiln.join(" ")} manifest odd`, "/dev/null"],
      env: { ...baseEnv(), ...env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text);
    assert.match(text, /\/usr\/bin\/x\\x1b\[2J\\x1b\[Hcleared\\u202e/);
    assert.ok(!text.includes("\x1b") && !text.includes("\u202e"), JSON.stringify(text));
  },
});
