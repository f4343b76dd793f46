/**
 * The example repository (examples/repo) is read by the real parser, its
 * checksums agree with sha256sum and b3sum, and its build scripts build with
 * the real cc when run by hand the way the build pipeline runs them
 * (`build <pkgdir> <version>` in a directory holding the sources).
 */
import assert from "node:assert/strict";
import { loadRecipe } from "../../lib/recipe/load.ts";
import type { Recipe } from "../../lib/recipe/types.ts";
import { tempDir } from "../_helpers/fixtures.ts";

const REPO = new URL("../../examples/repo", import.meta.url).pathname;

async function run(cmd: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(cmd, { args, ...options, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${cmd} ${args.join(" ")} failed:\n${text}${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** Copy the recipe's local sources into `build` and run its build script into `pkg`. */
async function buildByHand(recipe: Recipe, build: string, pkg: string, env: Record<string, string> = {}) {
  await Deno.mkdir(build, { recursive: true });
  await Deno.mkdir(pkg, { recursive: true });
  for (const s of recipe.sources) await Deno.copyFile(s.url, `${build}/${s.fileName}`);
  await run(`${recipe.dir}/build`, [pkg, recipe.version], { cwd: build, env });
}

Deno.test("example recipes parse: a classic library, a community program, a community script package", () => {
  const lib = loadRecipe(`${REPO}/libgreet`);
  const prog = loadRecipe(`${REPO}/greet`);
  const motd = loadRecipe(`${REPO}/motd`);
  assert.equal(lib.dialect, "classic");
  assert.equal(prog.dialect, "community");
  assert.equal(motd.dialect, "community");
  assert.deepEqual(prog.depends.map((d) => [d.name, d.make]), [["libgreet", false]]);
  for (const r of [lib, prog, motd]) {
    assert.ok(r.sources.length > 0 && r.sources.every((s) => s.kind === "local"));
    assert.equal(r.checksums.length, r.sources.length);
  }
});

Deno.test("example checksums are those of sha256sum (classic) and b3sum -l 33 (community)", async () => {
  for (const name of ["libgreet", "greet", "motd"]) {
    const r = loadRecipe(`${REPO}/${name}`);
    for (const s of r.sources) {
      const tool = r.dialect === "classic" ? ["sha256sum", [s.url]] as const : ["b3sum", ["-l", "33", s.url]] as const;
      const hash = (await run(tool[0], [...tool[1]])).split(" ")[0];
      assert.equal(r.checksums[s.checksumIndex!], hash, `${name}: ${s.fileName}`);
    }
  }
});

Deno.test("example build scripts build a shared library and a program linked to it with cc", async () => {
  await using tmp = await tempDir();
  const lib = loadRecipe(`${REPO}/libgreet`);
  const libPkg = `${tmp.path}/pkg/libgreet`;
  await buildByHand(lib, `${tmp.path}/build/libgreet`, libPkg, { PATH: Deno.env.get("PATH")! });
  assert.ok((await Deno.stat(`${libPkg}/usr/include/greet.h`)).isFile);
  assert.ok((await Deno.stat(`${libPkg}/usr/lib/libgreet.so.1`)).isFile);
  assert.equal(await Deno.readLink(`${libPkg}/usr/lib/libgreet.so`), "libgreet.so.1");

  const prog = loadRecipe(`${REPO}/greet`);
  const progPkg = `${tmp.path}/pkg/greet`;
  await buildByHand(prog, `${tmp.path}/build/greet`, progPkg, {
    PATH: Deno.env.get("PATH")!,
    CFLAGS: `-I${libPkg}/usr/include`,
    LDFLAGS: `-L${libPkg}/usr/lib`,
  });
  const env = { LD_LIBRARY_PATH: `${libPkg}/usr/lib` };
  assert.equal(await run(`${progPkg}/usr/bin/greet`, ["kiln"], { env }), "Hello, kiln!\n");
  assert.equal(await run(`${progPkg}/usr/bin/greet`, ["-V"], { env }), "greet with libgreet 1.0.0\n");
});

Deno.test("example shell-script package installs a script and an /etc config", async () => {
  await using tmp = await tempDir();
  const motd = loadRecipe(`${REPO}/motd`);
  const pkg = `${tmp.path}/pkg`;
  await buildByHand(motd, `${tmp.path}/build`, pkg, { PATH: Deno.env.get("PATH")! });
  assert.equal((await Deno.stat(`${pkg}/usr/bin/motd`)).mode! & 0o777, 0o755);
  assert.equal((await Deno.stat(`${pkg}/etc/motd.conf`)).mode! & 0o777, 0o644);
  const out = await run(`${pkg}/usr/bin/motd`, [], { env: { MOTD_CONF: `${pkg}/etc/motd.conf` } });
  assert.equal(out, "Welcome to a system built with kiln.\n");
});
