import assert from "node:assert/strict";
import { KilnError, RecipeError } from "../../lib/errors.ts";
import { globToRegExp, Repositories } from "../../lib/repo/repositories.ts";
import { tempDir, testConfig, writeInstalled, writeRecipe, writeRepo } from "../_helpers/fixtures.ts";

Deno.test("KISS_PATH is searched in order, then the installed database", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { zlib: [], musl: [] });
  const extra = writeRepo(`${tmp.path}/extra`, { zlib: [], curl: ["zlib"] });
  const root = `${tmp.path}/root`;
  writeInstalled(root, "zlib");
  writeInstalled(root, "oldpkg");
  const repos = new Repositories(testConfig(root, [core, extra]));
  assert.deepEqual(repos.paths, [core, extra, `${root}/var/db/kiss/installed`]);
  assert.deepEqual(repos.locate("zlib"), { dir: `${core}/zlib`, repo: core });
  assert.deepEqual(repos.locate("curl"), { dir: `${extra}/curl`, repo: extra });
  assert.deepEqual(repos.locate("oldpkg"), {
    dir: `${root}/var/db/kiss/installed/oldpkg`,
    repo: `${root}/var/db/kiss/installed`,
  });
  assert.equal(repos.locate("nothere"), undefined);
});

Deno.test("matches: every copy in search order, later ones shadowed, names sorted within a repository", async () => {
  await using tmp = await tempDir();
  const core = writeRepo(`${tmp.path}/core`, { zlib: [], zstd: [], musl: [] });
  const extra = writeRepo(`${tmp.path}/extra`, { zlib: [], zsh: [] });
  const root = `${tmp.path}/root`;
  writeInstalled(root, "zlib");
  const repos = new Repositories(testConfig(root, [core, extra]));
  assert.deepEqual(
    repos.matches("z*").map((m) => [m.name, m.repo, m.shadowed]),
    [
      ["zlib", core, false],
      ["zstd", core, false],
      ["zlib", extra, true],
      ["zsh", extra, false],
      ["zlib", `${root}/var/db/kiss/installed`, true],
    ],
  );
  assert.deepEqual(repos.matches("musl").map((m) => m.dir), [`${core}/musl`]);
  assert.deepEqual(repos.matches("nomatch*"), []);
});

Deno.test("the extra directories come first and duplicates are searched once", async () => {
  await using tmp = await tempDir();
  const a = writeRepo(`${tmp.path}/a`, { p: [] });
  const b = writeRepo(`${tmp.path}/b`, { p: [] });
  const repos = new Repositories(testConfig(`${tmp.path}/root`, [a, b]), [`${b}/`]);
  assert.deepEqual(repos.paths.slice(0, 2), [b, a]);
  assert.equal(repos.locate("p")?.repo, b);
  assert.deepEqual(repos.matches("p").map((m) => m.shadowed), [false, true]);
});

Deno.test("files, hidden entries and non-package names in a repository are not packages; symlinked ones are", async () => {
  await using tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, { real: [], ".hidden": [] });
  Deno.writeTextFileSync(`${repo}/README`, "not a package");
  const elsewhere = writeRecipe(`${tmp.path}/elsewhere`, "linked");
  Deno.symlinkSync(elsewhere, `${repo}/linked`);
  Deno.symlinkSync(`${tmp.path}/dangling`, `${repo}/dangling`);
  const repos = new Repositories(testConfig(`${tmp.path}/root`, [repo]));
  assert.deepEqual(repos.matches("*").map((m) => m.name), ["linked", "real"]);
  assert.equal(repos.locate("README"), undefined);
  assert.equal(repos.locate(".hidden"), undefined);
  assert.equal(repos.locate("../repo/real"), undefined);
});

Deno.test("find reads and validates the recipe from the first repository", async () => {
  await using tmp = await tempDir();
  const a = `${tmp.path}/a`, b = `${tmp.path}/b`;
  writeRecipe(a, "pkg", { version: "2.0 1\n" });
  writeRecipe(b, "pkg", { version: "1.0 1\n" });
  writeRecipe(b, "broken", { version: "1.0\n" });
  const repos = new Repositories(testConfig(`${tmp.path}/root`, [a, b]));
  const r = repos.find("pkg");
  assert.equal(r.version, "2.0");
  assert.equal(r.repo, a);
  assert.throws(() => repos.find("broken"), (err: unknown) => err instanceof RecipeError && err.line === 1);
});

Deno.test("a missing package names every place searched, missing ones marked", async () => {
  await using tmp = await tempDir();
  const a = writeRepo(`${tmp.path}/a`, { x: [] });
  const root = `${tmp.path}/root`;
  const repos = new Repositories(testConfig(root, [a, `${tmp.path}/gone`]));
  assert.throws(() => repos.find("zlib"), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.equal(
      err.message,
      `package 'zlib' is in no repository; searched ${a}, ${tmp.path}/gone (missing) and the installed database ` +
        `${root}/var/db/kiss/installed`,
    );
    assert.match(err.hint!, /kiln search/);
    return true;
  });
});

Deno.test("with KISS_PATH empty the hint says to set it", async () => {
  await using tmp = await tempDir();
  const repos = new Repositories(testConfig(`${tmp.path}/root`, []));
  assert.throws(() => repos.find("zlib"), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /searched the installed database/);
    assert.match(err.hint!, /KISS_PATH is empty/);
    return true;
  });
});

Deno.test("globToRegExp: * ? [set] [!set] and literal regex characters", () => {
  const m = (glob: string, name: string) => globToRegExp(glob).test(name);
  assert.ok(m("z*", "zlib") && m("*", "x") && m("*lib*", "libgreet"));
  assert.ok(m("z?ib", "zlib") && !m("z?ib", "zliib"));
  assert.ok(m("[xz]lib", "zlib") && !m("[xz]lib", "ylib"));
  assert.ok(m("[!x]lib", "zlib") && !m("[!z]lib", "zlib"));
  assert.ok(m("gtk+3", "gtk+3") && !m("gtk+3", "gtkk3"));
  assert.ok(m("python3.12", "python3.12") && !m("python3.12", "python3x12"));
  assert.ok(m("a[b", "a[b"));
  assert.ok(!m("zlib", "zlib2") && !m("lib", "zlib"));
});
