import assert from "node:assert/strict";
import { compareBytes, packDirectory } from "../../lib/archive/pack.ts";
import { decompress } from "../../lib/archive/compress.ts";
import { parseTar } from "../../lib/archive/tar.ts";
import type { Compression } from "../../lib/config.ts";
import { KilnError } from "../../lib/errors.ts";
import { gnuList, longName, put, readTree, run, withTempDir } from "../_helpers/archive.ts";

const EPOCH = 1_700_000_000;

/** A package directory as a build leaves it. */
async function makePackage(pkgdir: string): Promise<void> {
  await put(`${pkgdir}/usr/bin/hello`, "#!/bin/sh\necho hello\n", 0o755);
  await put(`${pkgdir}/usr/bin/su-ish`, "setuid\n", 0o4755);
  await put(`${pkgdir}/usr/bin-extra/x`, "sorts between usr/bin and usr/bin/...\n");
  await put(`${pkgdir}/usr/lib/libz.so.1.3`, new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff));
  await Deno.symlink("libz.so.1.3", `${pkgdir}/usr/lib/libz.so.1`);
  await Deno.symlink("libz.so.1", `${pkgdir}/usr/lib/libz.so`);
  await put(`${pkgdir}/usr/share/doc/${longName(120)}/${longName(150, "m")}`, "deep\n");
  await put(`${pkgdir}/etc/hello.conf`, "key=value\n", 0o600);
  await Deno.link(`${pkgdir}/usr/bin/hello`, `${pkgdir}/usr/bin/hello-again`);
  await Deno.link(`${pkgdir}/usr/bin/hello`, `${pkgdir}/usr/bin/a-hello`);
  await Deno.mkdir(`${pkgdir}/var/empty`, { recursive: true });
  await Deno.chmod(`${pkgdir}/var/empty`, 0o1777);
  await put(`${pkgdir}/var/db/kiss/installed/hello/version`, "1.0 1\n");
  await put(`${pkgdir}/usr/share/ünïcode/😀`, "astral\n");
  await put(`${pkgdir}/usr/share/ünïcode/\uffff`, "bmp end\n");
  // Everything is "new": modified after the epoch, except one old file.
  await run("sh", ["-c", `find . -exec touch -h -d @${EPOCH + 5000} {} +`], { cwd: pkgdir });
  await Deno.utime(`${pkgdir}/etc/hello.conf`, 1_000_000_000, 1_000_000_000);
}

async function listZstd(archive: string): Promise<string[][]> {
  const tar = (await run("zstd", ["-dc", archive])).stdout;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.tar`, tar);
    return await gnuList(`${dir}/a.tar`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("packDirectory: GNU tar + zstd lists ./ first, sorted paths, 0/0, clamped mtimes, hard links", async () => {
  await withTempDir(async (dir) => {
    const pkgdir = `${dir}/pkg/hello`;
    await makePackage(pkgdir);
    const archive = `${dir}/hello@1.0-1.tar.zst`;
    await packDirectory(pkgdir, archive, { compression: "zst", sourceDateEpoch: EPOCH });
    const lines = await listZstd(archive);
    const names = lines.map((f) => f[5]);
    assert.equal(names[0], "./");
    const bare = names.map((n) => n.replace(/\/$/, ""));
    const sorted = [...bare].sort(compareBytes);
    assert.deepEqual(bare, sorted, "entries in byte order");
    assert.ok(names.includes("./usr/bin/"));
    assert.ok(
      bare.indexOf("./usr/bin") < bare.indexOf("./usr/bin-extra") &&
        bare.indexOf("./usr/bin-extra") < bare.indexOf("./usr/bin/hello"),
      "byte order, not directory order",
    );
    for (const fields of lines) {
      assert.equal(fields[1], "0/0", `owner of ${fields[5]}`);
      const when = Date.parse(`${fields[3]}T${fields[4]}Z`) / 1000;
      if (fields[5] === "./etc/hello.conf") assert.equal(when, 1_000_000_000, "older times are kept");
      else assert.equal(when, EPOCH, `mtime of ${fields[5]} clamped`);
    }
    const byName = new Map(lines.map((f) => [f[5], f]));
    assert.equal(byName.get("./usr/bin/su-ish")![0], "-rwsr-xr-x");
    assert.equal(byName.get("./var/empty/")![0], "drwxrwxrwt");
    assert.equal(byName.get("./etc/hello.conf")![0], "-rw-------");
    // The first of the hard-linked names in sort order holds the data.
    assert.equal(byName.get("./usr/bin/a-hello")![0][0], "-");
    assert.deepEqual(byName.get("./usr/bin/hello")!.slice(6), ["link", "to", "./usr/bin/a-hello"]);
    assert.deepEqual(byName.get("./usr/lib/libz.so")!.slice(6), ["->", "libz.so.1"]);
    // No host data: no pax headers, no owner names.
    const tar = await decompress(await Deno.readFile(archive));
    const text = new TextDecoder("latin1").decode(tar);
    assert.ok(!text.includes("PaxHeader") && !text.includes("atime") && !text.includes("root"));
    // GNU tar extracts the same tree.
    await Deno.mkdir(`${dir}/out`);
    await run("tar", ["-xpf", archive, "-C", `${dir}/out`]);
    assert.deepEqual(await readTree(`${dir}/out`), await readTree(pkgdir));
    const a = await Deno.lstat(`${dir}/out/usr/bin/hello`);
    assert.equal(a.ino, (await Deno.lstat(`${dir}/out/usr/bin/a-hello`)).ino);
    // kiln reads it back with the same paths.
    const paths = [...parseTar(tar)].map((i) => i.entry.path);
    assert.equal(paths[0], ".");
    assert.ok(paths.includes("usr/lib/libz.so.1.3"));
  });
});

Deno.test("packDirectory: the same bytes twice, after touching files, and from a copy elsewhere", async () => {
  await withTempDir(async (dir) => {
    const pkgdir = `${dir}/pkg/hello`;
    await makePackage(pkgdir);
    const options = { compression: "zst" as const, sourceDateEpoch: EPOCH };
    await packDirectory(pkgdir, `${dir}/one.tar.zst`, options);
    await packDirectory(pkgdir, `${dir}/two.tar.zst`, options);
    const one = await Deno.readFile(`${dir}/one.tar.zst`);
    assert.deepEqual(await Deno.readFile(`${dir}/two.tar.zst`), one);
    await run("sh", ["-c", `find . ! -name hello.conf -exec touch -h -d @${EPOCH + 99999} {} +`], { cwd: pkgdir });
    await packDirectory(pkgdir, `${dir}/three.tar.zst`, options);
    assert.deepEqual(await Deno.readFile(`${dir}/three.tar.zst`), one, "mtimes above the epoch do not matter");
    await run("cp", ["-a", pkgdir, `${dir}/copy`]);
    await packDirectory(`${dir}/copy`, `${dir}/four.tar.zst`, options);
    assert.deepEqual(await Deno.readFile(`${dir}/four.tar.zst`), one, "inode numbers and location do not matter");
    const leftovers = [];
    for await (const e of Deno.readDir(dir)) if (e.name.includes(".tmp-")) leftovers.push(e.name);
    assert.deepEqual(leftovers, []);
  });
});

for (const compression of ["gz", "bz2", "xz", "lz", "lzma"] as Compression[]) {
  Deno.test(`packDirectory: .tar.${compression} is reproducible and read by GNU tar`, async () => {
    await withTempDir(async (dir) => {
      const pkgdir = `${dir}/pkg`;
      await makePackage(pkgdir);
      const options = { compression, sourceDateEpoch: EPOCH };
      await packDirectory(pkgdir, `${dir}/a.tar.${compression}`, options);
      await packDirectory(pkgdir, `${dir}/b.tar.${compression}`, options);
      assert.deepEqual(
        await Deno.readFile(`${dir}/a.tar.${compression}`),
        await Deno.readFile(`${dir}/b.tar.${compression}`),
      );
      await Deno.mkdir(`${dir}/out`);
      await run("tar", ["-xf", `${dir}/a.tar.${compression}`, "-C", `${dir}/out`]);
      assert.deepEqual(await readTree(`${dir}/out`), await readTree(pkgdir));
    });
  });
}

Deno.test("packDirectory: a file over 16 MiB is streamed in whole", async () => {
  await withTempDir(async (dir) => {
    const big = new Uint8Array(17 * 1024 * 1024 + 123).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
    await put(`${dir}/pkg/usr/lib/big.a`, big);
    await packDirectory(`${dir}/pkg`, `${dir}/big.tar.zst`, { compression: "zst", sourceDateEpoch: EPOCH });
    const items = [...parseTar(await decompress(await Deno.readFile(`${dir}/big.tar.zst`)))];
    const file = items.find((i) => i.entry.path === "usr/lib/big.a")!;
    assert.equal(file.entry.size, big.length);
    assert.deepEqual(file.body, big);
  });
});

Deno.test("packDirectory: FIFOs and device nodes are refused and nothing is written", async () => {
  const cases: [string, string[]][] = [
    ["FIFO", ["mkfifo", "pkg/usr/pipe"]],
    ["device node", ["mknod", "pkg/usr/null", "c", "1", "3"]],
  ];
  for (const [what, make] of cases) {
    await withTempDir(async (dir) => {
      await put(`${dir}/pkg/usr/ok`, "ok");
      await run(make[0], make.slice(1), { cwd: dir });
      await assert.rejects(
        () => packDirectory(`${dir}/pkg`, `${dir}/out.tar.zst`, { compression: "zst", sourceDateEpoch: EPOCH }),
        (err: Error) =>
          err instanceof KilnError && err.message.includes(what) && err.message.includes("pkg/usr/") && !!err.hint,
      );
      const names = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names, ["pkg"]);
    });
  }
});

Deno.test("packDirectory: a missing package directory is a KilnError", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => packDirectory(`${dir}/nope`, `${dir}/x.tar.zst`, { compression: "zst", sourceDateEpoch: EPOCH }),
      (err: Error) => err instanceof KilnError && err.message.includes(`${dir}/nope`),
    );
  });
});

Deno.test("compareBytes is UTF-8 byte order", () => {
  assert.ok(compareBytes("a/b", "a-b") > 0);
  assert.ok(compareBytes("\uffff", "😀") < 0, "U+FFFF sorts before astral characters in UTF-8");
  assert.ok("\uffff" > "😀", "while UTF-16 order says the opposite");
  assert.equal(compareBytes("x", "x"), 0);
});
