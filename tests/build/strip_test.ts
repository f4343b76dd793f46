import assert from "node:assert/strict";
import { stripPackage } from "../../lib/build/strip.ts";
import { loadConfig } from "../../lib/config.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { compileC, mustRun, withTempDir } from "../_helpers/build.ts";

const PROG =
  `#include <stdio.h>\nstatic int helper(int x) { return x * 2; }\nint main(void) { printf("%d\\n", helper(21)); return 0; }\n`;
const LIB = `int lib_value(void) { return 7; }\n`;

async function sections(path: string): Promise<string[]> {
  const out = await mustRun("readelf", ["-W", "-S", path]);
  return [...out.matchAll(/\]\s+(\.\S+)/g)].map((m) => m[1]);
}

/** A package directory with a program, a shared library, an object, an archive and data files, all with debug info. */
async function makePackage(dir: string): Promise<string> {
  const pkg = `${dir}/pkg`;
  const work = `${dir}/work`;
  for (const d of ["usr/bin", "usr/lib", "usr/libexec/x", "usr/share/doc"]) {
    await Deno.mkdir(`${pkg}/${d}`, { recursive: true });
  }
  await Deno.mkdir(work);
  await compileC(work, "prog", PROG, ["-g"]);
  await compileC(work, "lib", LIB, ["-g", "-shared", "-fPIC"], "libv.so.1");
  await mustRun("cc", ["-g", "-c", "-o", `${work}/lib.o`, `${work}/lib.c`]);
  await mustRun("ar", ["rcs", `${work}/libv.a`, `${work}/lib.o`]);
  await Deno.copyFile(`${work}/prog`, `${pkg}/usr/bin/prog`);
  await Deno.copyFile(`${work}/libv.so.1`, `${pkg}/usr/lib/libv.so.1`);
  await Deno.symlink("libv.so.1", `${pkg}/usr/lib/libv.so`);
  await Deno.copyFile(`${work}/libv.a`, `${pkg}/usr/lib/libv.a`);
  await Deno.copyFile(`${work}/lib.o`, `${pkg}/usr/libexec/x/crt.o`);
  await Deno.copyFile(`${work}/prog`, `${pkg}/usr/share/doc/example`); // not under bin/lib: left alone
  await Deno.writeTextFile(`${pkg}/usr/bin/script`, "#!/bin/sh\necho hi\n");
  return pkg;
}

function config(env: Record<string, string>) {
  return loadConfig({ PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: "/nonexistent", ...env });
}

Deno.test("strip: executables and libraries lose symbols, objects and archives lose debug info only", async () => {
  await withTempDir(async (dir) => {
    const pkg = await makePackage(dir);
    const recipe = `${dir}/recipe`;
    await Deno.mkdir(recipe);
    const before = await Deno.readFile(`${pkg}/usr/share/doc/example`);
    const events = collectEvents();
    const result = await stripPackage(pkg, recipe, config({}), new Log(events));
    assert.equal(result.skipped, undefined);
    assert.deepEqual(result.all, ["usr/bin/prog", "usr/lib/libv.so.1"]);
    assert.deepEqual(result.debug, ["usr/lib/libv.a", "usr/libexec/x/crt.o"]);
    assert.deepEqual(result.failed, []);
    assert.ok(events.lines("info").includes("stripping binaries and libraries"));

    for (const f of ["usr/bin/prog", "usr/lib/libv.so.1"]) {
      const s = await sections(`${pkg}/${f}`);
      assert.ok(!s.includes(".symtab"), `${f}: ${s}`);
      assert.ok(!s.includes(".debug_info"), `${f}: ${s}`);
      assert.ok(!s.includes(".comment"), `${f}: ${s}`);
      assert.ok(s.includes(".dynsym"), `${f}: ${s}`);
    }
    const obj = await sections(`${pkg}/usr/libexec/x/crt.o`);
    assert.ok(obj.includes(".symtab") && !obj.includes(".debug_info") && !obj.includes(".comment"), `${obj}`);
    const nm = await mustRun("nm", [`${pkg}/usr/lib/libv.a`]);
    assert.match(nm, /T lib_value/);
    assert.doesNotMatch(await mustRun("readelf", ["-W", "-S", `${pkg}/usr/lib/libv.a`]), /\.debug_info/);
    // Still runs after stripping.
    assert.equal((await mustRun(`${pkg}/usr/bin/prog`, [])).trim(), "42");
    // Outside bin/lib directories nothing is touched; the symlink was not followed twice.
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/share/doc/example`), before);
    assert.ok((await Deno.lstat(`${pkg}/usr/lib/libv.so`)).isSymlink);
    assert.equal(await Deno.readTextFile(`${pkg}/usr/bin/script`), "#!/bin/sh\necho hi\n");
  });
});

Deno.test("strip: KISS_STRIP=0 and a nostrip file leave every byte as it was", async () => {
  await withTempDir(async (dir) => {
    const pkg = await makePackage(dir);
    const recipe = `${dir}/recipe`;
    await Deno.mkdir(recipe);
    const before = await Deno.readFile(`${pkg}/usr/bin/prog`);
    const r1 = await stripPackage(pkg, recipe, config({ KISS_STRIP: "0" }), new Log(collectEvents()));
    assert.equal(r1.skipped, "KISS_STRIP=0");
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/bin/prog`), before);
    await Deno.writeTextFile(`${recipe}/nostrip`, "");
    const r2 = await stripPackage(pkg, recipe, config({}), new Log(collectEvents()));
    assert.equal(r2.skipped, "nostrip");
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/bin/prog`), before);
  });
});

Deno.test("strip: no strip program is a warning, not a failure", async () => {
  await withTempDir(async (dir) => {
    const pkg = await makePackage(dir);
    await Deno.mkdir(`${dir}/empty-bin`);
    const before = await Deno.readFile(`${pkg}/usr/bin/prog`);
    const events = collectEvents();
    const r = await stripPackage(pkg, `${dir}/recipe`, config({ PATH: `${dir}/empty-bin` }), new Log(events));
    assert.equal(r.skipped, "no strip program");
    assert.deepEqual(events.lines("warn"), ["strip not found in PATH; 4 files left unstripped"]);
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/bin/prog`), before);
  });
});

Deno.test("strip: a file strip refuses is a warning and the others are still stripped; hard links once", async () => {
  await withTempDir(async (dir) => {
    const pkg = await makePackage(dir);
    const prog = await Deno.readFile(`${pkg}/usr/bin/prog`);
    await Deno.writeFile(`${pkg}/usr/bin/broken`, prog.subarray(0, 300));
    await Deno.link(`${pkg}/usr/bin/prog`, `${pkg}/usr/bin/prog-link`);
    const events = collectEvents();
    const r = await stripPackage(pkg, `${dir}/recipe`, config({}), new Log(events));
    assert.deepEqual(r.failed, ["usr/bin/broken"]);
    assert.equal(events.lines("warn").length, 1);
    assert.match(events.lines("warn")[0], /^could not strip usr\/bin\/broken: /);
    assert.deepEqual(r.all, ["usr/bin/broken", "usr/bin/prog", "usr/lib/libv.so.1"]);
    assert.ok(!(await sections(`${pkg}/usr/bin/prog`)).includes(".symtab"));
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/bin/broken`), prog.subarray(0, 300));
    assert.deepEqual(await Deno.readFile(`${pkg}/usr/bin/prog-link`), await Deno.readFile(`${pkg}/usr/bin/prog`));
  });
});
