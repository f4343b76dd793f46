/**
 * The hermetic sysroot: hard links to the root's files, links and
 * directories recreated, links in the root followed inside it (never on the
 * host), copies across filesystems, and the package closure.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { sysrootPackages } from "../../lib/sandbox/closure.ts";
import { buildSysroot, manifestEntries } from "../../lib/sandbox/sysroot.ts";

/** Write a package into `root`: files (path → content or `->target` for a link), its manifest and depends. */
function installFake(root: string, name: string, files: Record<string, string>, depends: string[] = []): void {
  const manifest = new Set<string>();
  for (const [path, content] of Object.entries(files)) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(`${root}${dir}`, { recursive: true });
    if (content.startsWith("->")) Deno.symlinkSync(content.slice(2), `${root}${path}`);
    else Deno.writeTextFileSync(`${root}${path}`, content, { mode: 0o755 });
    manifest.add(path);
    let at = "";
    for (const part of dir.split("/").filter((p) => p)) manifest.add(`${at += `/${part}`}/`);
  }
  const db = `${root}/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(db, { recursive: true });
  if (depends.length > 0) Deno.writeTextFileSync(`${db}/depends`, depends.join("\n") + "\n");
  // As kiss writes it: the database entry's own files are in the manifest.
  for (
    const dir of ["/var/", "/var/db/", "/var/db/kiss/", "/var/db/kiss/installed/", `/var/db/kiss/installed/${name}/`]
  ) {
    manifest.add(dir);
  }
  manifest.add(`/var/db/kiss/installed/${name}/manifest`);
  if (depends.length > 0) manifest.add(`/var/db/kiss/installed/${name}/depends`);
  Deno.writeTextFileSync(`${db}/manifest`, [...manifest].sort().reverse().join("\n") + "\n");
}

async function withDirs(fn: (root: string, dest: string) => Promise<void> | void, rootParent?: string): Promise<void> {
  const top = await Deno.makeTempDir({ prefix: "kiln-sysroot-" });
  const rootTop = rootParent ? await Deno.makeTempDir({ dir: rootParent, prefix: "kiln-sysroot-" }) : top;
  try {
    const root = `${rootTop}/root`;
    const dest = `${top}/sysroot`;
    await Deno.mkdir(root);
    await Deno.mkdir(dest);
    await fn(root, dest);
  } finally {
    await Deno.remove(top, { recursive: true });
    if (rootTop !== top) await Deno.remove(rootTop, { recursive: true });
  }
}

Deno.test("sysroot: files are hard links to the root's, links and directories are recreated", async () => {
  await withDirs((root, dest) => {
    installFake(root, "base", {
      "/usr/bin/tool": "#!/bin/sh\n",
      "/usr/bin/alias": "->tool",
      "/usr/lib/libx.so.1": "elf",
    });
    Deno.mkdirSync(`${root}/usr/share/empty`, { recursive: true });
    const manifest = `${root}/var/db/kiss/installed/base/manifest`;
    Deno.writeTextFileSync(manifest, Deno.readTextFileSync(manifest) + "/usr/share/empty/\n/usr/share/\n");

    const events = collectEvents();
    const stats = buildSysroot(root, ["base"], dest, new Log(events));
    strictEqual(Deno.statSync(`${dest}/usr/bin/tool`).ino, Deno.statSync(`${root}/usr/bin/tool`).ino);
    strictEqual(Deno.statSync(`${dest}/usr/lib/libx.so.1`).ino, Deno.statSync(`${root}/usr/lib/libx.so.1`).ino);
    strictEqual(Deno.readLinkSync(`${dest}/usr/bin/alias`), "tool");
    ok(Deno.statSync(`${dest}/usr/share/empty`).isDirectory);
    ok(Deno.statSync(`${dest}/var/db/kiss/installed/base/manifest`).isFile);
    for (const mountPoint of ["dev", "proc", "tmp"]) ok(Deno.statSync(`${dest}/${mountPoint}`).isDirectory);
    strictEqual(stats.copied, 0);
    strictEqual(stats.missing, 0);
    strictEqual(stats.linked, 4); // tool, alias, libx.so.1 and the manifest; the rest are directories
    deepStrictEqual(events.lines("warn"), []);
  });
});

Deno.test("sysroot: an absolute link in the root is followed inside the root, never on the host", async () => {
  await withDirs((root, dest) => {
    const marker = `kiln-sysroot-test-${crypto.randomUUID()}.so`;
    // /lib -> /usr/lib (absolute): on the host that is the host's /usr/lib.
    installFake(root, "base", { "/usr/lib/libc.so": "libc", "/lib": "->/usr/lib" });
    Deno.writeTextFileSync(`${root}/usr/lib/${marker}`, "x");
    const manifest = `${root}/var/db/kiss/installed/base/manifest`;
    Deno.writeTextFileSync(manifest, `/lib/${marker}\n` + Deno.readTextFileSync(manifest));

    buildSysroot(root, ["base"], dest, new Log(collectEvents()));
    strictEqual(Deno.readLinkSync(`${dest}/lib`), "/usr/lib");
    strictEqual(Deno.statSync(`${dest}/usr/lib/${marker}`).ino, Deno.statSync(`${root}/usr/lib/${marker}`).ino);
    throws(() => Deno.lstatSync(`/usr/lib/${marker}`), Deno.errors.NotFound);
  });
});

Deno.test("sysroot: missing files are counted, malformed manifest lines skipped with a warning", async () => {
  await withDirs((root, dest) => {
    installFake(root, "base", { "/usr/bin/tool": "x" });
    const manifest = `${root}/var/db/kiss/installed/base/manifest`;
    Deno.writeTextFileSync(
      manifest,
      "/usr/bin/gone\n/usr/gone-dir/file\nrelative/path\n/usr/../etc/shadow\n" + Deno.readTextFileSync(manifest),
    );
    const events = collectEvents();
    const stats = buildSysroot(root, ["base"], dest, new Log(events));
    strictEqual(stats.missing, 2);
    deepStrictEqual(events.lines("warn"), [
      `sandbox: ignoring the malformed line 'relative/path' in ${manifest}`,
      `sandbox: ignoring the malformed line '/usr/../etc/shadow' in ${manifest}`,
    ]);
    ok(Deno.statSync(`${dest}/usr/bin/tool`).isFile);
    throws(() => Deno.lstatSync(`${dest}/usr/bin/gone`), Deno.errors.NotFound);
    throws(() => Deno.lstatSync(`${dest}/etc`), Deno.errors.NotFound);
  });
});

Deno.test("sysroot: a root on another filesystem is copied, with a warning", async () => {
  let shm = true;
  try {
    Deno.statSync("/dev/shm");
  } catch {
    shm = false;
  }
  if (!shm) throw new Error("this test needs /dev/shm (a tmpfs) to put the root on another filesystem");
  await withDirs((root, dest) => {
    installFake(root, "base", { "/usr/bin/tool": "tool body", "/usr/bin/alias": "->tool" });
    const manifest = `${root}/var/db/kiss/installed/base/manifest`;
    Deno.writeTextFileSync(manifest, "/usr/bin/gone\n" + Deno.readTextFileSync(manifest));
    const events = collectEvents();
    const stats = buildSysroot(root, ["base"], dest, new Log(events));
    strictEqual(stats.copied, 3, JSON.stringify(stats)); // tool, alias, manifest
    strictEqual(stats.missing, 1);
    strictEqual(stats.linked, 0);
    strictEqual(Deno.readTextFileSync(`${dest}/usr/bin/tool`), "tool body");
    strictEqual(Deno.statSync(`${dest}/usr/bin/tool`).mode! & 0o777, 0o755);
    strictEqual(Deno.readLinkSync(`${dest}/usr/bin/alias`), "tool");
    deepStrictEqual(events.lines("warn"), [
      `sandbox: ${dest} is not on the filesystem of ${root}; copying the sysroot instead of hard-linking (slow)`,
    ]);
  }, "/dev/shm");
});

Deno.test("sysroot: an unreadable manifest is an error naming it", async () => {
  await withDirs((root, dest) => {
    Deno.mkdirSync(`${root}/var/db/kiss/installed/base`, { recursive: true });
    throws(() => buildSysroot(root, ["base"], dest, new Log(collectEvents())), (err: KilnError) => {
      ok(err instanceof KilnError);
      ok(err.message.startsWith(`cannot read the manifest of base: ${root}/var/db/kiss/installed/base/manifest`));
      return true;
    });
  });
});

Deno.test("sysroot closure: base and the declared packages with their runtime dependencies, not make ones", async () => {
  await withDirs((root) => {
    installFake(root, "base", { "/usr/bin/sh": "sh" }, ["musl", "# a comment", "", "gcc make"]);
    installFake(root, "musl", { "/usr/lib/libc.so": "libc" });
    installFake(root, "gcc", { "/usr/bin/gcc": "gcc" }, ["gmp", "binutils make"]);
    installFake(root, "gmp", { "/usr/lib/libgmp.so": "gmp" });
    installFake(root, "binutils", { "/usr/bin/ld": "ld" });
    installFake(root, "zlib", { "/usr/lib/libz.so": "z" }, ["ghost"]);
    const log = new Log(collectEvents());
    deepStrictEqual(sysrootPackages(root, [], log), ["base", "musl"]);
    deepStrictEqual(sysrootPackages(root, ["gcc"], log), ["base", "gcc", "gmp", "musl"]);

    const events = collectEvents();
    deepStrictEqual(sysrootPackages(root, ["zlib"], new Log(events)), ["base", "musl", "zlib"]);
    deepStrictEqual(events.lines("warn"), [
      `sandbox: ghost, a runtime dependency of zlib, is not installed in ${root}`,
    ]);

    throws(() => sysrootPackages(root, ["zlib", "openssl", "curl"], log), (err: KilnError) => {
      strictEqual(err.message, `cannot make the hermetic sysroot: openssl, curl are not installed in ${root}`);
      return true;
    });
  });
});

Deno.test("manifest entries are merged, de-duplicated and ordered parents first", async () => {
  await withDirs((root) => {
    installFake(root, "a", { "/usr/bin/a": "a", "/usr/bin-x/z": "z" });
    installFake(root, "b", { "/usr/bin/a": "dup", "/usr/bin/b": "b" });
    const rels = manifestEntries(root, ["a", "b"], new Log(collectEvents())).map((e) => e.rel);
    strictEqual(new Set(rels).size, rels.length);
    ok(rels.indexOf("usr") < rels.indexOf("usr/bin"));
    ok(rels.indexOf("usr/bin") < rels.indexOf("usr/bin/a"));
    // A directory's subtree is contiguous: usr/bin/* before usr/bin-x.
    ok(rels.indexOf("usr/bin/b") < rels.indexOf("usr/bin-x"), rels.join(" "));
  });
});
