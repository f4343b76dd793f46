import assert from "node:assert/strict";
import { extractSource, isArchiveName } from "../../lib/archive/extract.ts";
import { writeTar } from "../../lib/archive/tar.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import {
  entry,
  fileItem,
  isKilnError,
  makeAwkwardTree,
  maliciousArchives,
  put,
  readTree,
  run,
  withTempDir,
} from "../_helpers/archive.ts";

/** Every path under `dir`, for "nothing was written here" checks. */
async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      out.push(path);
      if (e.isDirectory) await walk(path);
    }
  };
  await walk("");
  return out.sort();
}

const COMPRESSORS: Record<string, string[]> = {
  "tar": [],
  "tar.gz": ["gzip", "-c"],
  "tgz": ["gzip", "-c"],
  "tar.bz2": ["bzip2", "-c"],
  "tar.xz": ["xz", "-c"],
  "tar.zst": ["zstd", "-q", "-c"],
  "tar.lz": ["lzip", "-c"],
  "tar.lzma": ["xz", "--format=lzma", "-c"],
};

for (const [suffix, compressor] of Object.entries(COMPRESSORS)) {
  Deno.test(`extractSource: .${suffix} from GNU tar, single top directory moved up, links, modes, mtimes`, async () => {
    await withTempDir(async (dir) => {
      const root = `${dir}/root`;
      await makeAwkwardTree(root);
      await Deno.chmod(`${root}/top/README`, 0o600);
      await Deno.utime(`${root}/top/README`, 1_000_000_000, 1_000_000_000);
      const tar = (await run("tar", ["--format=gnu", "-cf", "-", "-C", root, "top"])).stdout;
      const archive = `${dir}/src-1.0.${suffix}`;
      await Deno.writeFile(
        archive,
        compressor.length ? (await run(compressor[0], compressor.slice(1), { stdin: tar })).stdout : tar,
      );
      const dest = `${dir}/build`;
      // The large-archive path (streaming, twice) is taken for the plain tar and the zstd archive.
      const streamed = suffix === "tar" || suffix === "tar.zst";
      await extractSource(archive, dest, { inMemoryLimit: streamed ? 0 : undefined });
      assert.deepEqual(await readTree(dest), await readTree(`${root}/top`));
      const readme = await Deno.lstat(`${dest}/README`);
      assert.equal(readme.mode! & 0o7777, 0o600);
      assert.equal(readme.mtime!.getTime(), 1_000_000_000_000);
      assert.equal((await Deno.lstat(`${dest}/hardlink`)).ino, readme.ino, "hard link kept");
      assert.equal((await Deno.lstat(`${dest}/data`)).mode! & 0o7777, 0o775, "setgid dropped, rest kept");
      assert.equal((await Deno.lstat(`${dest}/bin/tool`)).mode! & 0o777, 0o755);
      assert.ok((await Deno.lstat(`${dest}/dangling`)).isSymlink);
    });
  });
}

Deno.test("extractSource: several top-level entries, or a single top-level file, are kept as they are", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/many.tar`, writeTar([fileItem("a/x", "1"), fileItem("b/y", "2")]));
    await extractSource(`${dir}/many.tar`, `${dir}/one`);
    assert.deepEqual(await listAll(`${dir}/one`), ["a", "a/x", "b", "b/y"]);
    await Deno.writeFile(`${dir}/file.tar`, writeTar([fileItem("only", "3")]));
    await extractSource(`${dir}/file.tar`, `${dir}/two`);
    assert.deepEqual(await listAll(`${dir}/two`), ["only"]);
    // `tar -C dir .` style: a "./" root entry and ./-prefixed names, one top directory.
    await Deno.writeFile(
      `${dir}/dot.tar`,
      writeTar([
        { entry: entry(".", { type: "directory", mode: 0o755 }) },
        { entry: entry("./pkg-2", { type: "directory", mode: 0o755 }) },
        fileItem("./pkg-2/configure", "#!/bin/sh\n", { mode: 0o755 }),
      ]),
    );
    await extractSource(`${dir}/dot.tar`, `${dir}/three`);
    assert.deepEqual(await listAll(`${dir}/three`), ["configure"]);
    // Extracting into a directory that already has files (another source) adds to it.
    await Deno.writeFile(`${dir}/more.tar`, writeTar([fileItem("pkg-3/extra.patch", "p")]));
    await extractSource(`${dir}/more.tar`, `${dir}/three`);
    assert.deepEqual(await listAll(`${dir}/three`), ["configure", "extra.patch"]);
  });
});

Deno.test("extractSource: malicious archives are refused, nothing is written outside", async () => {
  for (const [what, bytes] of Object.entries(maliciousArchives())) {
    await withTempDir(async (dir) => {
      await put(`${dir}/secret`, "outside\n");
      await Deno.writeFile(`${dir}/evil.tar`, bytes);
      const before = await listAll(dir);
      await assert.rejects(() => extractSource(`${dir}/evil.tar`, `${dir}/a/b/build`), isKilnError("evil.tar"), what);
      const after = (await listAll(dir)).filter((p) =>
        !p.startsWith("a/b/build/") && p !== "a" && p !== "a/b" && p !== "a/b/build"
      );
      assert.deepEqual(after, before, `${what}: nothing new outside the build directory`);
      assert.equal(await Deno.readTextFile(`${dir}/secret`), "outside\n");
      for (const probe of ["/tmp/kiln-absolute-escape", "/tmp/kiln-escaped"]) {
        await assert.rejects(() => Deno.lstat(probe), Deno.errors.NotFound, `${what} wrote ${probe}`);
      }
    });
  }
});

Deno.test("extractSource: the symlink-then-file error names the entry and the link", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/evil.tar`, maliciousArchives()["symlink-then-file"]);
    await assert.rejects(
      () => extractSource(`${dir}/evil.tar`, `${dir}/build`),
      isKilnError("top/dir/out/escaped", "symbolic link", "dir/out"),
    );
  });
});

Deno.test("extractSource: links already in the destination are never written through", async () => {
  await withTempDir(async (dir) => {
    await put(`${dir}/outside/victim`, "original\n");
    await put(`${dir}/build/keep`, "k");
    await Deno.symlink(`${dir}/outside`, `${dir}/build/sub`);
    await Deno.link(`${dir}/outside/victim`, `${dir}/build/linked`);
    // A path through the existing symlink is refused.
    await Deno.writeFile(`${dir}/a.tar`, writeTar([fileItem("sub/victim", "overwritten\n"), fileItem("y/z", "")]));
    await assert.rejects(
      () => extractSource(`${dir}/a.tar`, `${dir}/build`),
      isKilnError("sub/victim", "symbolic link"),
    );
    // A file over an existing hard link replaces the link; the other name keeps its content.
    await Deno.writeFile(`${dir}/b.tar`, writeTar([fileItem("linked", "new\n"), fileItem("other", "")]));
    await extractSource(`${dir}/b.tar`, `${dir}/build`);
    assert.equal(await Deno.readTextFile(`${dir}/outside/victim`), "original\n");
    assert.equal(await Deno.readTextFile(`${dir}/build/linked`), "new\n");
  });
});

Deno.test("extractSource: device nodes and FIFOs are skipped with a warning", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(
      `${dir}/dev.tar`,
      writeTar([
        fileItem("pkg/ok", "fine"),
        { entry: entry("pkg/null", { type: "char", mode: 0o666, devMajor: 1, devMinor: 3 }) },
        { entry: entry("pkg/sda", { type: "block", mode: 0o660, devMajor: 8, devMinor: 0 }) },
        { entry: entry("pkg/pipe", { type: "fifo", mode: 0o644 }) },
      ]),
    );
    const events = collectEvents();
    await extractSource(`${dir}/dev.tar`, `${dir}/build`, { log: new Log(events) });
    assert.deepEqual(await listAll(`${dir}/build`), ["ok"]);
    const warnings = events.lines("warn");
    assert.equal(warnings.length, 3);
    assert.ok(warnings.some((w) => w.includes("dev.tar") && w.includes("device node pkg/null")));
    assert.ok(warnings.some((w) => w.includes("FIFO pkg/pipe")));
  });
});

Deno.test("extractSource: read-only directories are filled, then get their mode and time", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(
      `${dir}/ro.tar`,
      writeTar([
        { entry: entry("p/ro", { type: "directory", mode: 0o555, mtime: 1_234_567_890 }) },
        fileItem("p/ro/inside", "x", { mode: 0o444 }),
        fileItem("p/open", "y", { mode: 0o777 }),
      ]),
    );
    await extractSource(`${dir}/ro.tar`, `${dir}/build`);
    const ro = await Deno.stat(`${dir}/build/ro`);
    assert.equal(ro.mode! & 0o777, 0o555);
    assert.equal(ro.mtime!.getTime(), 1_234_567_890_000);
    assert.equal((await Deno.stat(`${dir}/build/open`)).mode! & 0o777, 0o777, "mode kept despite the umask");
    assert.equal(await Deno.readTextFile(`${dir}/build/ro/inside`), "x");
    await Deno.chmod(`${dir}/build/ro`, 0o755);
  });
});

Deno.test("extractSource: broken, truncated, non-tar and missing archives are KilnErrors", async () => {
  await withTempDir(async (dir) => {
    const good = writeTar([fileItem("p/a", "x".repeat(5000))]);
    await Deno.writeFile(`${dir}/cut.tar`, good.subarray(0, 2000));
    await assert.rejects(
      () => extractSource(`${dir}/cut.tar`, `${dir}/b1`),
      isKilnError("cut.tar", "truncated", "p/a"),
    );
    const gz = (await run("gzip", ["-c"], { stdin: good })).stdout;
    await Deno.writeFile(`${dir}/cut.tar.gz`, gz.subarray(0, gz.length - 30));
    await assert.rejects(() => extractSource(`${dir}/cut.tar.gz`, `${dir}/b2`), isKilnError("cut.tar.gz"));
    await Deno.writeFile(`${dir}/random.tar.xz`, new Uint8Array(4096).map((_, i) => (i * 131) % 256));
    await assert.rejects(
      () => extractSource(`${dir}/random.tar.xz`, `${dir}/b3`),
      isKilnError("random.tar.xz", "not a tar archive"),
    );
    await Deno.writeFile(
      `${dir}/notes.tar.gz`,
      (await run("gzip", ["-c"], { stdin: new TextEncoder().encode("hello\n") })).stdout,
    );
    await assert.rejects(
      () => extractSource(`${dir}/notes.tar.gz`, `${dir}/b4`),
      isKilnError("notes.tar.gz", "not a tar archive after gz decompression"),
    );
    await assert.rejects(() => extractSource(`${dir}/missing.tar`, `${dir}/b5`), isKilnError("missing.tar"));
    const corrupt = good.slice();
    corrupt[20] ^= 1;
    await Deno.writeFile(`${dir}/corrupt.tar`, corrupt);
    await assert.rejects(() => extractSource(`${dir}/corrupt.tar`, `${dir}/b6`), isKilnError("corrupt.tar"));
  });
});

Deno.test("extractSource: the format is told by the bytes, not by the name", async () => {
  await withTempDir(async (dir) => {
    const tar = writeTar([fileItem("pkg-1/a", "zstd inside\n")]);
    await Deno.writeFile(`${dir}/misnamed.tar.gz`, (await run("zstd", ["-q", "-c"], { stdin: tar })).stdout);
    await extractSource(`${dir}/misnamed.tar.gz`, `${dir}/build`);
    assert.equal(await Deno.readTextFile(`${dir}/build/a`), "zstd inside\n");
  });
});

Deno.test("isArchiveName matches kiss's patterns", () => {
  for (const name of ["a.tar", "a-1.2.tar.gz", "a.tar.xz", "a.tar.zst", "a.tar.lzma", "a.tgz", "a.txz", "a.tbz"]) {
    assert.ok(isArchiveName(name), name);
  }
  for (const name of ["a.gz", "a.zip", "fix.patch", "a.tar.gz.sig", "a.tarball", "a.tbz2"]) {
    assert.ok(!isArchiveName(name), name);
  }
});
