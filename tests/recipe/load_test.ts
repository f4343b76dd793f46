import assert from "node:assert/strict";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { b3, sha, tempDir, writeRecipe } from "../_helpers/fixtures.ts";

Deno.test("a plain recipe: version, sources, checksums, depends, hooks", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "zlib", {
    version: "1.3.1 2\n",
    sources: "https://zlib.net/zlib-1.3.1.tar.gz\nfiles/fix.patch\n",
    checksums: `${sha(1)}\n${sha(2)}\n`,
    depends: ["cmake make", "musl"],
    files: { "files/fix.patch": "--- a\n+++ b\n" },
    postInstall: "#!/bin/sh\n",
  });
  const r = loadRecipe(dir);
  assert.equal(r.name, "zlib");
  assert.equal(r.dir, dir);
  assert.equal(r.repo, tmp.path);
  assert.equal(r.version, "1.3.1");
  assert.equal(r.release, "2");
  assert.equal(r.dialect, "classic");
  assert.deepEqual(r.checksums, [sha(1), sha(2)]);
  assert.deepEqual(r.depends, [{ name: "cmake", make: true, line: 1 }, { name: "musl", make: false, line: 2 }]);
  assert.equal(r.hasPostInstall, true);
  assert.equal(r.hasPreRemove, false);
  const [remote, local] = r.sources;
  assert.equal(remote.kind, "remote");
  assert.equal(remote.url, "https://zlib.net/zlib-1.3.1.tar.gz");
  assert.equal(remote.fileName, "zlib-1.3.1.tar.gz");
  assert.equal(remote.checksumIndex, 0);
  assert.equal(local.kind, "local");
  assert.equal(local.url, `${dir}/files/fix.patch`);
  assert.equal(local.line, 2);
  assert.equal(local.checksumIndex, 1);
});

Deno.test("tabs, runs of spaces, trailing blanks, CRLF and no final newline are separators only", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    version: "2.0\t\t 5   \r\nnotes after the first line are ignored",
    sources: "https://e.org/a.tar.xz  \t sub/dir/  \r\n\t files/b  ",
    checksums: `${b3(1)}   \r\n  ${b3(2)}\t`,
    depends: "zlib\t make  \r\n  musl",
    files: { "files/b": "b" },
  });
  const r = loadRecipe(dir);
  assert.equal(r.version, "2.0");
  assert.equal(r.release, "5");
  assert.equal(r.dialect, "community");
  assert.deepEqual(r.sources.map((s) => [s.kind, s.url, s.dest, s.line]), [
    ["remote", "https://e.org/a.tar.xz", "sub/dir", 1],
    ["local", `${dir}/files/b`, undefined, 2],
  ]);
  assert.deepEqual(r.checksums, [b3(1), b3(2)]);
  assert.deepEqual(r.depends.map((d) => [d.name, d.make]), [["zlib", true], ["musl", false]]);
});

Deno.test("comment and blank lines are skipped and line numbers stay those of the file", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: "# the tarball\n\nhttps://e.org/a.tar.gz # trailing comment\n\n   # indented comment\nfiles/x\n",
    checksums: `\n${sha(1)}\n\n${sha(2)}\n`,
    depends: "# runtime\n\nzlib # needed at run time\n\n# build\nmake make\n",
    files: { "files/x": "x" },
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.sources.map((s) => [s.fileName, s.line, s.raw]), [
    ["a.tar.gz", 3, "https://e.org/a.tar.gz"],
    ["x", 6, "files/x"],
  ]);
  assert.deepEqual(r.checksums, [sha(1), sha(2)]);
  assert.deepEqual(r.depends, [{ name: "zlib", make: false, line: 3 }, { name: "make", make: true, line: 6 }]);
});

Deno.test("git, date and hash versions are taken verbatim", async () => {
  await using tmp = await tempDir();
  for (const version of ["git", "20240131", "2024-01-31", "9f1c2ab", "1.2.3-rc1+b2"]) {
    const dir = writeRecipe(tmp.path, `p-${version.replace(/[^a-z0-9]/g, "")}`, { version: `${version} 1\n` });
    assert.equal(loadRecipe(dir).version, version);
  }
});

Deno.test("git sources: branch, commit, destination, scp-like and user@host URLs, no checksum needed", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "gitpkg", {
    version: "git 1\n",
    sources: [
      "git+https://github.com/kisslinux/kiss@dev",
      "git+https://git.example.org/tools.git#0123abc vendor/tools/",
      "git+https://user@host.example/repo.git",
      "git+git@github.com:owner/proj@release/1.0 proj",
      "git+https://example.org/plain",
    ].join("\n"),
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.sources.map((s) => [s.kind, s.url, s.branch, s.commit, s.dest, s.fileName]), [
    ["git", "https://github.com/kisslinux/kiss", "dev", undefined, undefined, "kiss"],
    ["git", "https://git.example.org/tools.git", undefined, "0123abc", "vendor/tools", "tools.git"],
    ["git", "https://user@host.example/repo.git", undefined, undefined, undefined, "repo.git"],
    ["git", "git@github.com:owner/proj", "release/1.0", undefined, "proj", "proj"],
    ["git", "https://example.org/plain", undefined, undefined, undefined, "plain"],
  ]);
  assert.deepEqual(r.checksums, []);
  assert.ok(r.sources.every((s) => s.checksumIndex === undefined));
});

Deno.test("an empty checksums file is fine when every source is git or a directory", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: "git+https://example.org/a\nfiles/tree/\n",
    checksums: "",
    dirs: ["files/tree"],
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.checksums, []);
  assert.equal(r.sources[1].kind, "local");
  assert.equal(r.sources[1].url, `${dir}/files/tree`);
  assert.equal(r.sources[1].checksumIndex, undefined);
});

Deno.test("no sources file at all: no sources, no checksums", async () => {
  await using tmp = await tempDir();
  const r = loadRecipe(writeRecipe(tmp.path, "meta", { depends: ["a", "b"] }));
  assert.deepEqual(r.sources, []);
  assert.deepEqual(r.checksums, []);
  assert.deepEqual(r.depends.map((d) => d.name), ["a", "b"]);
});

Deno.test("stale extra checksum lines next to git-only sources are dropped", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    version: "git 3\n",
    sources: "git+https://example.org/a.git\n",
    checksums: `${sha(7)}\n${sha(8)}\n`,
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.checksums, []);
  assert.equal(r.sources.length, 1);
});

Deno.test("?no-extract is stripped from the URL and recorded", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: "https://e.org/blob.tar.gz?no-extract\nhttps://e.org/real.tar.gz\nfiles/keep.tar?no-extract data\n",
    checksums: `${b3(1)}\n${b3(2)}\n${b3(3)}\n`,
    files: { "files/keep.tar": "" },
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.sources.map((s) => [s.url, s.fileName, s.noExtract, s.dest]), [
    ["https://e.org/blob.tar.gz", "blob.tar.gz", true, undefined],
    ["https://e.org/real.tar.gz", "real.tar.gz", false, undefined],
    [`${dir}/files/keep.tar`, "keep.tar", true, "data"],
  ]);
});

Deno.test("destination directories: trailing and doubled slashes and ./ are normalised", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources:
      "https://e.org/a.tgz src/\nhttps://e.org/b.tgz ./x//y///\nhttps://e.org/c.tgz /abs/\nhttps://e.org/d.tgz ./\n",
    checksums: [sha(1), sha(2), sha(3), sha(4)].join("\n"),
  });
  assert.deepEqual(loadRecipe(dir).sources.map((s) => s.dest), ["src", "x/y", "abs", undefined]);
});

Deno.test("local sources: relative to the package, absolute, and a directory needs no checksum", async () => {
  await using tmp = await tempDir();
  Deno.writeTextFileSync(`${tmp.path}/outside.txt`, "o");
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: `files/a.c\n${tmp.path}/outside.txt\nfiles/tree\npatches/p.patch\n`,
    checksums: `${sha(1)}\n${sha(2)}\n${sha(3)}\n`,
    files: { "files/a.c": "int x;", "files/tree/one": "1", "patches/p.patch": "p" },
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.sources.map((s) => [s.url, s.checksumIndex]), [
    [`${dir}/files/a.c`, 0],
    [`${tmp.path}/outside.txt`, 1],
    [`${dir}/files/tree`, undefined],
    [`${dir}/patches/p.patch`, 2],
  ]);
  assert.deepEqual(r.checksums, [sha(1), sha(2), sha(3)]);
});

Deno.test("SKIP and old 'HASH  FILE' checksum lines are read by their first word", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: "https://e.org/a.tar.gz\nhttps://e.org/b.tar.gz\n",
    checksums: `SKIP\n${sha(5).toUpperCase()}  b.tar.gz\n`,
  });
  const r = loadRecipe(dir);
  assert.deepEqual(r.checksums, ["SKIP", sha(5)]);
  assert.equal(r.dialect, "classic");
});

Deno.test("allowChecksumMismatch accepts a stale count (for rewriting checksums)", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "pkg", {
    sources: "https://e.org/a.tar.gz\nhttps://e.org/b.tar.gz\n",
    checksums: `${sha(1)}\n`,
  });
  assert.throws(() => loadRecipe(dir));
  const r = loadRecipe(dir, { allowChecksumMismatch: true });
  assert.deepEqual(r.checksums, [sha(1)]);
  assert.deepEqual(r.sources.map((s) => s.checksumIndex), [0, undefined]);
});
