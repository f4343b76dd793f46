import assert from "node:assert/strict";
import { fixDepends, isSystemLibrary } from "../../lib/build/fixdeps.ts";
import { ManifestOwners } from "../../lib/build/libowners.ts";
import { loadConfig } from "../../lib/config.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { compileC, mustRun, withTempDir } from "../_helpers/build.ts";

const LIB = (fn: string) => `int ${fn}(void) { return 7; }\n`;
const PROG = `#include <stdio.h>
int foo(void); int bar(void);
int main(void) { printf("%d\\n", foo() + bar()); return 0; }
`;

interface World {
  root: string;
  pkg: string;
  work: string;
}

/**
 * A root with `libfoo` installed (its library in /usr/lib, reached through a
 * /lib -> usr/lib symlink), `libbar` installed but in no manifest, and a
 * package `prog` whose program needs libfoo, libbar and libc.
 */
async function world(dir: string): Promise<World> {
  const root = `${dir}/root`, pkg = `${dir}/pkg`, work = `${dir}/work`;
  await Deno.mkdir(`${root}/usr/lib`, { recursive: true });
  await Deno.symlink("usr/lib", `${root}/lib`);
  await Deno.mkdir(work);
  await compileC(work, "foo", LIB("foo"), ["-shared", "-fPIC", "-Wl,-soname,libfoo.so.1"], "libfoo.so.1");
  await compileC(work, "bar", LIB("bar"), ["-shared", "-fPIC", "-Wl,-soname,libbar.so.2"], "libbar.so.2");
  await Deno.copyFile(`${work}/libfoo.so.1`, `${root}/usr/lib/libfoo.so.1`);
  await Deno.copyFile(`${work}/libbar.so.2`, `${root}/usr/lib/libbar.so.2`);
  await Deno.symlink("libfoo.so.1", `${work}/libfoo.so`);
  await Deno.symlink("libbar.so.2", `${work}/libbar.so`);
  const db = `${root}/var/db/kiss/installed`;
  await Deno.mkdir(`${db}/libfoo`, { recursive: true });
  await Deno.writeTextFile(
    `${db}/libfoo/manifest`,
    ["/var/db/kiss/installed/libfoo/manifest", "/usr/lib/libfoo.so.1", "/usr/lib/", "/usr/"].join("\n") + "\n",
  );
  await Deno.mkdir(`${pkg}/usr/bin`, { recursive: true });
  await Deno.writeTextFile(`${work}/prog.c`, PROG);
  await mustRun("cc", ["-o", `${pkg}/usr/bin/prog`, `${work}/prog.c`, `-L${work}`, "-lfoo", "-lbar"]);
  await Deno.mkdir(`${pkg}/var/db/kiss/installed/prog`, { recursive: true });
  return { root, pkg, work };
}

function config(root: string) {
  return loadConfig({ KISS_ROOT: root, HOME: "/nonexistent" });
}

const dependsOf = (pkg: string) => Deno.readTextFile(`${pkg}/var/db/kiss/installed/prog/depends`);

Deno.test("fixdeps: a library owned by an installed package is added to depends", async () => {
  await withTempDir(async (dir) => {
    const w = await world(dir);
    const events = collectEvents();
    const r = await fixDepends({ pkgdir: w.pkg, name: "prog", config: config(w.root), log: new Log(events) });
    assert.deepEqual(r.added, ["libfoo"]);
    assert.deepEqual(r.promoted, []);
    assert.equal(await dependsOf(w.pkg), "libfoo\n");
    assert.ok(events.lines("info").includes("inspecting ELF usr/bin/prog of type DYN"), events.lines().join("\n"));
    assert.ok(events.lines("info").includes("added dependency libfoo of prog (usr/bin/prog needs libfoo.so.1)"));
    const byLib = Object.fromEntries(r.libraries.map((l) => [l.library, l]));
    assert.equal(byLib["libfoo.so.1"].status, "package");
    // The same answer from the manifests directly (used when the owner index cannot be read).
    await Deno.remove(`${w.pkg}/var/db/kiss/installed/prog/depends`);
    const owners = new ManifestOwners(`${w.root}/var/db/kiss/installed`);
    const again = await fixDepends({
      pkgdir: w.pkg,
      name: "prog",
      config: config(w.root),
      log: new Log(collectEvents()),
      owners,
    });
    assert.deepEqual(again.added, ["libfoo"]);
    assert.equal(byLib["libfoo.so.1"].path, "/usr/lib/libfoo.so.1");
    assert.equal(byLib["libbar.so.2"].status, "unowned");
    assert.equal(byLib["libc.so.6"].status, "system");
    assert.ok(
      events.lines("debug").some((l) => l === "usr/bin/prog needs libfoo.so.1: /usr/lib/libfoo.so.1 from libfoo"),
    );
  });
});

Deno.test("fixdeps: a make dependency is promoted, comments and order kept, existing runtime deps untouched", async () => {
  await withTempDir(async (dir) => {
    const w = await world(dir);
    const file = `${w.pkg}/var/db/kiss/installed/prog/depends`;
    await Deno.writeTextFile(file, "# tools\nmake-tool make\nlibfoo   make\nother");
    const events = collectEvents();
    const r = await fixDepends({ pkgdir: w.pkg, name: "prog", config: config(w.root), log: new Log(events) });
    assert.deepEqual(r.promoted, ["libfoo"]);
    assert.deepEqual(r.added, []);
    assert.equal(await dependsOf(w.pkg), "# tools\nmake-tool make\nlibfoo\nother\n");
    assert.ok(
      events.lines("info").includes(
        "promoted make dependency libfoo of prog to runtime (usr/bin/prog needs libfoo.so.1)",
      ),
    );

    // Run again: nothing more to do, the file is not rewritten.
    const again = await fixDepends({
      pkgdir: w.pkg,
      name: "prog",
      config: config(w.root),
      log: new Log(collectEvents()),
    });
    assert.deepEqual([again.added, again.promoted], [[], []]);
    assert.equal(await dependsOf(w.pkg), "# tools\nmake-tool make\nlibfoo\nother\n");
  });
});

Deno.test("fixdeps: a library the package ships itself, or a package owning itself, adds nothing", async () => {
  await withTempDir(async (dir) => {
    const w = await world(dir);
    // The package ships its own libfoo.so.1 in /usr/lib.
    await Deno.mkdir(`${w.pkg}/usr/lib`, { recursive: true });
    await Deno.copyFile(`${w.work}/libfoo.so.1`, `${w.pkg}/usr/lib/libfoo.so.1`);
    const r = await fixDepends({ pkgdir: w.pkg, name: "prog", config: config(w.root), log: new Log(collectEvents()) });
    assert.equal(r.libraries.find((l) => l.library === "libfoo.so.1")?.status, "self");
    assert.deepEqual(r.added, []);
    await assert.rejects(dependsOf(w.pkg), Deno.errors.NotFound);

    // The installed owner is an older copy of the package itself.
    await Deno.remove(`${w.pkg}/usr/lib`, { recursive: true });
    const r2 = await fixDepends({
      pkgdir: w.pkg,
      name: "libfoo",
      config: config(w.root),
      log: new Log(collectEvents()),
    });
    assert.equal(r2.libraries.find((l) => l.library === "libfoo.so.1")?.owner, "libfoo");
    assert.deepEqual(r2.added, []);
  });
});

Deno.test("fixdeps: $ORIGIN runpaths lead into the package; missing libraries add nothing", async () => {
  await withTempDir(async (dir) => {
    const w = await world(dir);
    // A private copy of libfoo under /usr/lib/prog, found through $ORIGIN.
    await Deno.mkdir(`${w.pkg}/usr/lib/prog`, { recursive: true });
    await Deno.copyFile(`${w.work}/libfoo.so.1`, `${w.pkg}/usr/lib/prog/libfoo.so.1`);
    await mustRun("cc", [
      "-o",
      `${w.pkg}/usr/bin/prog`,
      `${w.work}/prog.c`,
      `-L${w.work}`,
      "-lfoo",
      "-lbar",
      "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib/prog",
    ]);
    await Deno.remove(`${w.root}/usr/lib/libbar.so.2`);
    const r = await fixDepends({ pkgdir: w.pkg, name: "prog", config: config(w.root), log: new Log(collectEvents()) });
    const byLib = Object.fromEntries(r.libraries.map((l) => [l.library, l]));
    assert.equal(byLib["libfoo.so.1"].status, "self");
    assert.equal(byLib["libfoo.so.1"].path, "/usr/lib/prog/libfoo.so.1");
    assert.equal(byLib["libbar.so.2"].status, "missing");
    assert.deepEqual(r.added, []);
  });
});

Deno.test("fixdeps: a damaged ELF file is skipped with a warning", async () => {
  await withTempDir(async (dir) => {
    const w = await world(dir);
    const bytes = await Deno.readFile(`${w.pkg}/usr/bin/prog`);
    await Deno.writeFile(`${w.pkg}/usr/bin/cut`, bytes.subarray(0, 100));
    const events = collectEvents();
    const r = await fixDepends({ pkgdir: w.pkg, name: "prog", config: config(w.root), log: new Log(events) });
    assert.deepEqual(r.added, ["libfoo"]);
    assert.equal(events.lines("warn").length, 1);
    assert.match(events.lines("warn")[0], /^skipping usr\/bin\/cut of prog: .*damaged ELF file/);
  });
});

Deno.test("fixdeps: the C library and compiler runtime are never dependencies", () => {
  for (
    const lib of [
      "libc.so.6",
      "libc.so",
      "libm.so.6",
      "ld-linux-x86-64.so.2",
      "ld-musl-x86_64.so.1",
      "libpthread.so.0",
      "libdl.so.2",
      "librt.so.1",
      "libgcc_s.so.1",
      "libstdc++.so.6",
      "/lib/libc.so.6",
    ]
  ) {
    assert.ok(isSystemLibrary(lib), lib);
  }
  for (const lib of ["libz.so.1", "libcurl.so.4", "libmagic.so.1", "libcrypto.so.3", "libmd.so.0", "librtmp.so.1"]) {
    assert.ok(!isSystemLibrary(lib), lib);
  }
});
