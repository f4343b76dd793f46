/**
 * The package directory as a directory descriptor: every way a build's links
 * could lead kiln's reads, writes and removals out of the package is refused
 * (or removes the link itself), and the host files the links name are left
 * byte for byte as they were. Work-tree removal does not follow links either.
 */

import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { PackageDir } from "../../lib/build/pkgdir.ts";
import { removeWorkTree } from "../../lib/build/cleanup.ts";
import { writeDatabaseFiles } from "../../lib/build/dbentry.ts";
import { close } from "../../ffi/fs.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { mustRun, withTempDir } from "../_helpers/build.ts";

const SECRET = "root:SECRET:19000::::::\n";

/** A package directory and a host directory beside it holding `secret` and `dir/keep`. */
async function setup(dir: string): Promise<{ pkgdir: string; host: string }> {
  const pkgdir = `${dir}/pkg`, host = `${dir}/host`;
  await Deno.mkdir(`${pkgdir}/usr/share`, { recursive: true });
  await Deno.mkdir(`${host}/dir`, { recursive: true });
  await Deno.writeTextFile(`${host}/secret`, SECRET);
  await Deno.writeTextFile(`${host}/dir/keep`, "keep\n");
  return { pkgdir, host };
}

async function hostUnchanged(host: string): Promise<void> {
  assert.equal(await Deno.readTextFile(`${host}/secret`), SECRET);
  assert.equal(await Deno.readTextFile(`${host}/dir/keep`), "keep\n");
  assert.deepEqual([...Deno.readDirSync(host)].map((e) => e.name).sort(), ["dir", "secret"]);
  assert.deepEqual([...Deno.readDirSync(`${host}/dir`)].map((e) => e.name), ["keep"]);
}

function isKiln(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof KilnError, `not a KilnError: ${err}`);
    assert.match((err as Error).message, pattern);
    return true;
  };
}

Deno.test("PackageDir: a file read through a directory the build linked to the host is refused, naming the link", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.symlink(`${host}/dir`, `${pkgdir}/usr/lib`);
    await Deno.symlink(`${host}/secret`, `${pkgdir}/usr/share/shadow`);
    // The attack is real: by name, the host files are reached.
    assert.equal(await Deno.readTextFile(`${pkgdir}/usr/lib/keep`), "keep\n");
    using pkg = PackageDir.open(pkgdir);
    assert.throws(
      () => pkg.readFile("usr/lib/keep"),
      isKiln(new RegExp(`the build left usr/lib as a symbolic link to ${host}/dir in ${pkgdir}; kiln does not follow`)),
    );
    assert.throws(
      () => pkg.readFile("usr/share/shadow"),
      isKiln(new RegExp(`the build left usr/share/shadow as a symbolic link to ${host}/secret`)),
    );
    await hostUnchanged(host);
  });
});

Deno.test("PackageDir: a FIFO is refused at once, not waited on", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir } = await setup(dir);
    await mustRun("mkfifo", [`${pkgdir}/usr/share/fifo`]);
    using pkg = PackageDir.open(pkgdir);
    assert.throws(() => pkg.readFile("usr/share/fifo"), isKiln(/usr\/share\/fifo is a FIFO, not a file/));
  });
});

Deno.test("PackageDir: directories made for the database entry refuse links and files on the way", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.mkdir(`${pkgdir}/var/db`, { recursive: true });
    await Deno.symlink(`${host}/dir`, `${pkgdir}/var/db/kiss`);
    using pkg = PackageDir.open(pkgdir);
    assert.throws(
      () => pkg.makeDirectories("var/db/kiss/installed/p"),
      isKiln(
        new RegExp(`the build left var/db/kiss as a symbolic link to ${host}/dir in ${pkgdir}; a package may not`),
      ),
    );
    await Deno.remove(`${pkgdir}/var/db/kiss`);
    await Deno.writeTextFile(`${pkgdir}/var/db/kiss`, "");
    assert.throws(
      () => pkg.makeDirectories("var/db/kiss/installed/p"),
      isKiln(/the build left var\/db\/kiss in .* as a file, not a directory/),
    );
    await Deno.remove(`${pkgdir}/var/db/kiss`);
    const fd = pkg.makeDirectories("var/db/kiss/installed/p");
    close(fd);
    assert.ok((await Deno.lstat(`${pkgdir}/var/db/kiss/installed/p`)).isDirectory);
    await hostUnchanged(host);
  });
});

Deno.test("PackageDir: writing over a planted link replaces the link; its target is untouched", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.symlink(`${host}/secret`, `${pkgdir}/usr/share/manifest`);
    using pkg = PackageDir.open(pkgdir);
    const fd = pkg.makeDirectories("usr/share");
    try {
      PackageDir.replaceFile(fd, "manifest", new TextEncoder().encode("/usr/\n"));
    } finally {
      close(fd);
    }
    const info = await Deno.lstat(`${pkgdir}/usr/share/manifest`);
    assert.ok(info.isFile);
    assert.equal(await Deno.readTextFile(`${pkgdir}/usr/share/manifest`), "/usr/\n");
    await hostUnchanged(host);
  });
});

Deno.test("PackageDir: unlink removes a link, not its target, and refuses to reach through a linked directory", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.symlink(`${host}/secret`, `${pkgdir}/usr/share/libx.la`);
    await Deno.symlink(`${host}/dir`, `${pkgdir}/usr/plugins`);
    using pkg = PackageDir.open(pkgdir);
    pkg.unlink("usr/share/libx.la");
    await assert.rejects(Deno.lstat(`${pkgdir}/usr/share/libx.la`), Deno.errors.NotFound);
    assert.throws(() => pkg.unlink("usr/plugins/keep"), isKiln(/the build left usr\/plugins as a symbolic link/));
    assert.throws(() => pkg.unlink("../host/secret"), isKiln(/may not contain '\.\.'/));
    await hostUnchanged(host);
  });
});

Deno.test("PackageDir: the walk lists links with their targets and never enters a linked directory", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.symlink(`${host}/dir`, `${pkgdir}/usr/lib`);
    await Deno.writeTextFile(`${pkgdir}/usr/share/a`, "a");
    using pkg = PackageDir.open(pkgdir);
    const walked = pkg.walk((a, b) => a < b ? -1 : 1).map((e) => e.link ? `${e.rel} -> ${e.link}` : e.rel);
    assert.deepEqual(walked, ["usr", `usr/lib -> ${host}/dir`, "usr/share", "usr/share/a"]);
  });
});

Deno.test("PackageDir: a package directory that is itself a link is refused", async () => {
  await withTempDir(async (dir) => {
    const { host } = await setup(dir);
    await Deno.symlink(`${host}/dir`, `${dir}/linked`);
    assert.throws(
      () => PackageDir.open(`${dir}/linked`),
      isKiln(/cannot open package directory .*: it is a symbolic link/),
    );
  });
});

Deno.test("removeWorkTree removes the links a build left, never what they point to", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir, host } = await setup(dir);
    await Deno.symlink(`${host}/dir`, `${pkgdir}/usr/lib`);
    await Deno.symlink(`${host}/secret`, `${pkgdir}/usr/share/shadow`);
    await Deno.symlink(host, `${pkgdir}/var`);
    await removeWorkTree(pkgdir, new Log(collectEvents()));
    await assert.rejects(Deno.lstat(pkgdir), Deno.errors.NotFound);
    await hostUnchanged(host);
  });
});

Deno.test("writeDatabaseFiles: a file name with a line break cannot smuggle a line into the manifest", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir } = await setup(dir);
    await Deno.mkdir(`${pkgdir}/usr/share/x\n/etc`, { recursive: true });
    await Deno.writeTextFile(`${pkgdir}/usr/share/x\n/etc/shadow`, "");
    using pkg = PackageDir.open(pkgdir);
    assert.throws(
      () => writeDatabaseFiles(pkg, "p", new Log(collectEvents())),
      isKiln(/usr\/share\/x\\n: a file name with a line break cannot be listed in a manifest/),
    );
    await assert.rejects(Deno.lstat(`${pkgdir}/var/db/kiss/installed/p/manifest`), Deno.errors.NotFound);
  });
});

Deno.test("PackageDir: a file name that is not UTF-8 is refused, naming its directory", async () => {
  await withTempDir(async (dir) => {
    const { pkgdir } = await setup(dir);
    await mustRun("sh", ["-c", `touch "$(printf '${pkgdir}/usr/share/bad\\377name')"`]);
    using pkg = PackageDir.open(pkgdir);
    assert.throws(() => pkg.walk((a, b) => a < b ? -1 : 1), isKiln(/usr\/share holds a file whose name is not UTF-8/));
  });
});
