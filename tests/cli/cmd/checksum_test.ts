import assert from "node:assert/strict";
import { makeRepo } from "../../_helpers/git.ts";
import { startServer, testBytes } from "../../_helpers/http.ts";
import { exists, withDir } from "../../_helpers/fixtures.ts";
import { kiln, writePackage } from "../../_helpers/sources.ts";

/** The reference tool's hash of `path`. */
async function reference(program: "b3sum" | "sha256sum", path: string): Promise<string> {
  const args = program === "b3sum" ? ["-l", "33", "--no-names", path] : [path];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, { args, stdout: "piped" }).output();
  } catch {
    throw new Error(
      `${program} is needed as the reference for this test: install Debian's ${
        program === "b3sum" ? "b3sum" : "coreutils"
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim().split(/\s+/)[0];
}

const lines = (path: string) => Deno.readTextFileSync(path).trimEnd().split("\n");

Deno.test("kiln checksum writes BLAKE3-264 lines for remote and local files of a new package, skipping git and directories", async () => {
  const body = testBytes(150_000, 1);
  const server = startServer({ "/hello-1.0.tar.gz": { body } });
  await withDir(async (dir) => {
    const project = await makeRepo(dir);
    const pkg = writePackage(`${dir}/repo`, "hello", [
      server.url("/hello-1.0.tar.gz"),
      `git+${project.url}@${project.branch.name} vendor`,
      "patches/fix.patch",
      "files/",
    ]);
    Deno.mkdirSync(`${pkg}/patches`);
    Deno.mkdirSync(`${pkg}/files`);
    Deno.writeTextFileSync(`${pkg}/patches/fix.patch`, "--- a\n+++ b\n");
    Deno.writeTextFileSync(`${pkg}/files/conf`, "x\n");
    const env = { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` };
    const run = await kiln(["checksum", "hello"], env);
    assert.equal(run.code, 0, run.stderr);
    const cached = `${dir}/cache/sources/hello/hello-1.0.tar.gz`;
    assert.deepEqual(lines(`${pkg}/checksums`), [
      await reference("b3sum", cached),
      await reference("b3sum", `${pkg}/patches/fix.patch`),
    ]);
    assert.deepEqual(Deno.readFileSync(cached), body);
    assert.ok(exists(`${dir}/cache/sources/hello/vendor/project/.git`));
    assert.match(run.stderr, /\[INFO\] fetching remote file http:\/\/127\.0\.0\.1:\d+\/hello-1\.0\.tar\.gz/);
    assert.match(run.stderr, /hello: wrote 2 BLAKE3-264 checksum\(s\)/);

    // The checksums now verify: kiln download passes with the cache as it is.
    const download = await kiln(["download", "hello"], env);
    assert.equal(download.code, 0, download.stderr);
    assert.match(download.stderr, /checksum matched [0-9a-f]{66} hello-1\.0\.tar\.gz/);
    assert.equal(server.hits("/hello-1.0.tar.gz"), 1);
  }).finally(() => server.close());
});

Deno.test("kiln checksum keeps a classic package classic (SHA-256), keeps SKIP, and fixes a wrong count", async () => {
  await withDir(async (dir) => {
    const a = `${dir}/a.tar.xz`, b = `${dir}/b.tar.xz`, c = `${dir}/c.tar.xz`;
    Deno.writeFileSync(a, testBytes(2000, 2));
    Deno.writeFileSync(b, testBytes(2000, 3));
    Deno.writeFileSync(c, testBytes(2000, 4));
    const stale = "0".repeat(64);
    const pkg = writePackage(`${dir}/repo`, "old", [`file://${a}`, `file://${b}`, `file://${c}`], [stale, "SKIP"]);
    const run = await kiln(["c", "old"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(`${pkg}/checksums`), [
      await reference("sha256sum", a),
      "SKIP",
      await reference("sha256sum", c),
    ]);
  });
});

Deno.test("kiln checksum with no name works on the package in the current directory; KISS_DIALECT=classic writes SHA-256", async () => {
  await withDir(async (dir) => {
    const pkg = writePackage(`${dir}/repo`, "here", ["notes.txt"]);
    Deno.writeTextFileSync(`${pkg}/notes.txt`, "hello\n");
    const run = await kiln(["checksum"], { KISS_CACHE: `${dir}/cache`, KISS_DIALECT: "classic" }, pkg);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(`${pkg}/checksums`), [await reference("sha256sum", `${pkg}/notes.txt`)]);
  });
});

Deno.test("kiln checksum that cannot fetch a source fails naming it and leaves checksums as they were", async () => {
  const server = startServer({});
  await withDir(async (dir) => {
    const old = "1".repeat(66);
    const pkg = writePackage(`${dir}/repo`, "broken", [server.url("/gone.tar.gz")], [old]);
    const run = await kiln(["checksum", "broken"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[ERROR\] broken: cannot fetch http:\/\/127\.0\.0\.1:\d+\/gone\.tar\.gz: HTTP 404/);
    assert.match(run.stderr, /line 1 of .*\/repo\/broken\/sources/);
    assert.deepEqual(lines(`${pkg}/checksums`), [old]);
    assert.deepEqual([...Deno.readDirSync(pkg)].map((e) => e.name).sort(), [
      "build",
      "checksums",
      "sources",
      "version",
    ]);
  }).finally(() => server.close());
});

Deno.test("kiln checksum leaves a package with only git sources without a checksums file", async () => {
  await withDir(async (dir) => {
    const project = await makeRepo(dir);
    const pkg = writePackage(`${dir}/repo`, "gitonly", [`git+${project.url}`]);
    const run = await kiln(["checksum", "gitonly"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!exists(`${pkg}/checksums`));
    assert.match(run.stderr, /gitonly: no file sources, so no checksums to write/);
  });
});

Deno.test("kiln --dry-run checksum fetches and writes nothing", async () => {
  await withDir(async (dir) => {
    Deno.writeFileSync(`${dir}/x.tar`, testBytes(100));
    const pkg = writePackage(`${dir}/repo`, "dry", [`file://${dir}/x.tar`]);
    const run = await kiln(["--dry-run", "checksum", "dry"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /dry: would fetch file:\/\/.*\/x\.tar/);
    assert.match(run.stderr, /dry: would write .*\/repo\/dry\/checksums \(BLAKE3-264\)/);
    assert.ok(!exists(`${pkg}/checksums`));
    assert.ok(!exists(`${dir}/cache`));
  });
});
