/**
 * End to end with real upstream sources: zlib and bzip2 from Debian's orig
 * tarballs, served over loopback HTTP, described by recipes in both KISS
 * dialects, checksummed with `kiln checksum`, built in the sandbox (`host`
 * mode), packaged, installed into an empty root, and run there against the
 * root's own libraries.
 */

import assert from "node:assert/strict";
import { debianOrigTarballs, exists, kiln, mustRun, sh, tarNames, writeRecipe } from "../_helpers/build.ts";

const work = await Deno.makeTempDir({ prefix: "kiln-e2e-" });
const tarballs = await debianOrigTarballs(["bzip2", "zlib"], work);
const skip = typeof tarballs === "string" ? tarballs : Deno.uid() !== 0 ? "the host sandbox needs root" : undefined;
if (skip) console.warn(`upstream end-to-end test skipped: ${skip}`);
// Also when the test is filtered out: the downloads go with the process.
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(work, { recursive: true });
  } catch {
    // already removed by the test
  }
});

const ZCHECK_C = `#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Compress and uncompress a buffer, then say which libz this process runs with. */
int main(void) {
    const char *text = "kiln builds zlib, and zlib compresses this line, kiln builds zlib.";
    unsigned char packed[256], unpacked[256];
    uLongf plen = sizeof packed, ulen = sizeof unpacked;
    if (compress(packed, &plen, (const Bytef *)text, strlen(text) + 1) != Z_OK) return 2;
    if (uncompress(unpacked, &ulen, packed, plen) != Z_OK) return 3;
    if (strcmp((const char *)unpacked, text) != 0) return 4;
    printf("zlib %s round trip ok\\n", zlibVersion());
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "libz.so")) { printf("libz from %s", path); break; }
    }
    return 0;
}
`;

const ZLIB_BUILD = `#!/bin/sh -e
# Classic dialect: the package manager exports DESTDIR.
[ -n "$DESTDIR" ] || { echo "DESTDIR is not set"; exit 1; }
./configure --prefix=/usr --libdir=/usr/lib --shared
make
make DESTDIR="$DESTDIR" install
rm -rf "$DESTDIR/usr/share/man"
`;

const BZIP2_BUILD = `#!/bin/sh -e
# Community dialect: no DESTDIR, the package directory is $1.
[ -z "$DESTDIR" ] || { echo "DESTDIR leaked into a community build"; exit 1; }
sed -i "s/ln -s -f \\$(PREFIX)\\/bin\\//ln -s -f /" Makefile
make CC="$CC" CFLAGS="$CFLAGS -fPIC -O2" -f Makefile-libbz2_so
make CC="$CC" CFLAGS="$CFLAGS -fPIC -O2" bzip2 bzip2recover
make PREFIX="$1/usr" install
cp -f bzip2-shared "$1/usr/bin/bzip2"
cp -f libbz2.so.1.0.8 "$1/usr/lib/"
ln -sf libbz2.so.1.0.8 "$1/usr/lib/libbz2.so"
ln -sf libbz2.so.1.0.8 "$1/usr/lib/libbz2.so.1.0"
rm -rf "$1/usr/man"
`;

const ZCHECK_BUILD = `#!/bin/sh -e
"$CC" $CFLAGS -o zcheck zcheck.c -L/usr/lib -lz
mkdir -p "$1/usr/bin"
cp zcheck "$1/usr/bin/"
`;

Deno.test({
  name: "e2e: zlib and bzip2 from upstream tarballs built in the sandbox, installed into an empty root, and run there",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const files = tarballs as Record<string, string>;
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const name = new URL(req.url).pathname.slice(1);
      try {
        return new Response(await Deno.readFile(`${work}/${name}`));
      } catch {
        return new Response("not found", { status: 404 });
      }
    });
    try {
      const url = `http://127.0.0.1:${server.addr.port}`;
      // Two repositories, as KISS systems have them: a classic one and a community one.
      const classic = `${work}/classic`, community = `${work}/community`;
      const root = `${work}/root`, cache = `${work}/cache`;
      await Deno.mkdir(root);
      const zlibFile = files.zlib.slice(files.zlib.lastIndexOf("/") + 1);
      const zlibVersion = zlibFile.slice("zlib_".length, zlibFile.indexOf(".orig."));
      const bzip2File = files.bzip2.slice(files.bzip2.lastIndexOf("/") + 1);
      const bzip2Version = bzip2File.slice("bzip2_".length, bzip2File.indexOf(".orig."));
      const sha256 = (await mustRun("sha256sum", [files.zlib])).split(" ")[0];

      // zlib: classic dialect (SHA-256, VERSION placeholder in its source URL).
      await writeRecipe(classic, "zlib", {
        version: `${zlibVersion} 1\n`,
        sources: `${url}/zlib_VERSION${zlibFile.slice(zlibFile.indexOf(".orig."))}\n`,
        checksums: `${sha256}\n`,
        build: ZLIB_BUILD,
      });
      // bzip2 and zcheck: community dialect (BLAKE3-33, written by kiln checksum).
      await writeRecipe(community, "bzip2", {
        version: `${bzip2Version} 1\n`,
        sources: `${url}/${bzip2File}\n`,
        build: BZIP2_BUILD,
      });
      await writeRecipe(community, "zcheck", {
        version: "1 1\n",
        sources: "files/zcheck.c\n",
        depends: "zlib make\n",
        build: ZCHECK_BUILD,
        "files/zcheck.c": ZCHECK_C,
      });
      const env = {
        KISS_PATH: `${classic}:${community}`,
        KISS_ROOT: root,
        KISS_CACHE: cache,
        KISS_SANDBOX: "host",
        MAKEFLAGS: "-j2",
        CFLAGS: "-O2",
      };

      await t.step("kiln checksum writes each package's dialect", async () => {
        const r = await kiln(["checksum", "zlib", "bzip2", "zcheck"], env);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.stderr.includes(`[INFO] fetching remote file ${url}/${zlibFile}`), r.stderr);
        assert.ok(r.stderr.includes(`[INFO] fetching remote file ${url}/${bzip2File}`), r.stderr);
        assert.equal(await Deno.readTextFile(`${classic}/zlib/checksums`), `${sha256}\n`);
        const b3 = (await mustRun("b3sum", ["-l", "33", "--no-names", files.bzip2])).trim();
        assert.equal(await Deno.readTextFile(`${community}/bzip2/checksums`), `${b3}\n`);
        assert.match(await Deno.readTextFile(`${community}/zcheck/checksums`), /^[0-9a-f]{66}\n$/);
      });

      await t.step("kiln build -y builds, packages and installs all three", async () => {
        const r = await kiln(["build", "-y", "zcheck", "bzip2"], env);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        for (
          const line of [
            "[INFO] (1/3) will build package (implicit) zlib",
            `[INFO] found remote file ${zlibFile}`,
            `[INFO] checksum matched ${sha256} ${zlibFile}`,
            "[INFO] successfully built zlib",
            `[INFO] created package zlib@${zlibVersion}-1.tar.zst`,
            "[INFO] zlib is needed as a dependency, installing it",
            "[INFO] inspecting ELF usr/bin/zcheck of type DYN",
            "[INFO] promoted make dependency zlib of zcheck to runtime (usr/bin/zcheck needs libz.so.1)",
            `[INFO] created package bzip2@${bzip2Version}-1.tar.zst`,
          ]
        ) {
          assert.ok(r.stderr.includes(line), `missing '${line}' in:\n${r.stderr}`);
        }
        for (const pkg of ["zlib", "bzip2", "zcheck"]) {
          assert.ok(await exists(`${root}/var/db/kiss/installed/${pkg}/manifest`), `${pkg} installed`);
        }
        assert.equal(await Deno.readTextFile(`${root}/var/db/kiss/installed/zcheck/depends`), "zlib\n");
        const names = await tarNames(`${cache}/bin/zlib@${zlibVersion}-1.tar.zst`);
        assert.ok(names.includes("./usr/lib/libz.so.1"), names.join("\n"));
        assert.ok(names.includes(`./var/db/kiss/installed/zlib/manifest`));
        assert.deepEqual([...Deno.readDirSync(`${cache}/proc`)], [], "the build directories are gone");
      });

      await t.step("the installed programs run against the root's own libraries", async () => {
        const libs = { LD_LIBRARY_PATH: `${root}/usr/lib` };
        const help = await sh(`${root}/usr/bin/bzip2`, ["--help"], { env: libs });
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stderr, /bzip2, a block-sorting file compressor\.\s+Version 1\.0\.8/);
        const ldd = await mustRun("ldd", [`${root}/usr/bin/bzip2`], { env: libs });
        assert.match(ldd, new RegExp(`libbz2\\.so\\.1\\.0 => ${root}/usr/lib/libbz2\\.so\\.1\\.0`));

        const text = "kiln ".repeat(10000);
        await Deno.writeTextFile(`${work}/sample`, text);
        await mustRun(`${root}/usr/bin/bzip2`, ["-k", `${work}/sample`], { env: libs });
        assert.ok((await Deno.stat(`${work}/sample.bz2`)).size < text.length / 20);
        await Deno.remove(`${work}/sample`);
        await mustRun(`${root}/usr/bin/bzip2`, ["-d", `${work}/sample.bz2`], { env: libs });
        assert.equal(await Deno.readTextFile(`${work}/sample`), text);

        const z = await mustRun(`${root}/usr/bin/zcheck`, [], { env: libs });
        assert.match(z, /^zlib 1\.2\.13 round trip ok\n/);
        assert.match(z, new RegExp(`libz from ${root}/usr/lib/libz\\.so`));
      });
    } finally {
      await server.shutdown();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
