import assert from "node:assert/strict";
import { RecipeError } from "../../lib/errors.ts";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { b3, type RecipeFiles, sha, tempDir, writeRecipe } from "../_helpers/fixtures.ts";

/** Load a broken recipe; assert a RecipeError naming `file` (and `line` when one is at fault) with a hint. */
async function expectBroken(files: RecipeFiles, file: string, line: number | undefined, what: RegExp) {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "broken", files);
  const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  let caught: unknown;
  try {
    loadRecipe(dir);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RecipeError, `expected a RecipeError, got ${caught}`);
  assert.equal(caught.file, `${dir}/${file}`);
  assert.equal(caught.line, line);
  const where = line === undefined ? `${dir}/${file}: ` : `${dir}/${file}:${line}: `;
  assert.ok(caught.message.startsWith(where), `message '${caught.message}' should start with '${where}'`);
  assert.match(caught.message, what);
  assert.ok(caught.hint && caught.hint.length > 10, "a hint says what to do");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), before, "nothing is written");
}

Deno.test("no version file", () => expectBroken({ version: null }, "version", undefined, /missing/));

Deno.test("an empty version file or empty first line", async () => {
  await expectBroken({ version: "" }, "version", 1, /no version/);
  await expectBroken({ version: "  \t\n1.0 1\n" }, "version", 1, /no version/);
});

Deno.test("no release field", () =>
  expectBroken({ version: "1.2.3\n" }, "version", 1, /no release field after version '1.2.3'/));

Deno.test("an extra word in version", () => expectBroken({ version: "1.2 3 4\n" }, "version", 1, /unexpected '4'/));

Deno.test("a '/' in the version", () => expectBroken({ version: "1/2 1\n" }, "version", 1, /contains '\/'/));

Deno.test("build missing", () => expectBroken({ build: null }, "build", undefined, /missing/));

Deno.test("build not executable", () => expectBroken({ buildMode: 0o644 }, "build", undefined, /not executable/));

Deno.test("build is a directory", () =>
  expectBroken({ build: null, dirs: ["build"] }, "build", undefined, /not a regular file/));

Deno.test("post-install not executable", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "p", { files: { "post-install": "#!/bin/sh\n" } });
  assert.throws(() => loadRecipe(dir), (err: unknown) => {
    assert.ok(err instanceof RecipeError);
    assert.equal(err.file, `${dir}/post-install`);
    assert.match(err.message, /not executable/);
    return true;
  });
});

Deno.test("fewer checksums than file sources: the sources line without one is named", () =>
  expectBroken(
    {
      sources: "# c\nhttps://e.org/a.tgz\ngit+https://e.org/g\n\nhttps://e.org/b.tgz\n",
      checksums: `${sha(1)}\n`,
    },
    "sources",
    5,
    /source 'b.tgz' has no checksum: .*checksums has 1 line\(s\) for 2 file source\(s\)/,
  ));

Deno.test("more checksums than file sources: the extra checksums line is named", () =>
  expectBroken(
    { sources: "https://e.org/a.tgz\ngit+https://e.org/g\n", checksums: `${b3(1)}\n\n${b3(2)}\n` },
    "checksums",
    3,
    /checksum with no file source/,
  ));

Deno.test("file sources but no checksums file", () =>
  expectBroken(
    { sources: "git+https://e.org/g\nfiles/x.patch\n", files: { "files/x.patch": "x" } },
    "sources",
    2,
    /source 'x.patch' needs a checksum, but .*checksums does not exist/,
  ));

Deno.test("an empty checksums file with a file source", () =>
  expectBroken({ sources: "https://e.org/a.tgz\n", checksums: "" }, "sources", 1, /has no checksum/));

Deno.test("a checksum line that is not a hash", async () => {
  await expectBroken(
    { sources: "https://e.org/a.tgz\nhttps://e.org/b.tgz\n", checksums: `${sha(1)}\nnot-a-hash\n` },
    "checksums",
    2,
    /'not-a-hash' is not a checksum/,
  );
  await expectBroken({ sources: "https://e.org/a.tgz\n", checksums: `${sha(1)}0\n` }, "checksums", 1, /not a checksum/);
});

Deno.test("SHA-256 and BLAKE3 mixed in one checksums file", () =>
  expectBroken(
    { sources: "https://e.org/a.tgz\nhttps://e.org/b.tgz\n", checksums: `${sha(1)}\n${b3(2)}\n` },
    "checksums",
    2,
    /BLAKE3 checksum after a SHA-256 one on line 1/,
  ));

Deno.test("a malformed depends line: not a package name", async () => {
  await expectBroken({ depends: "zlib\n../etc make\n" }, "depends", 2, /'..\/etc' is not a package name/);
  await expectBroken({ depends: "\n\n-rf\n" }, "depends", 3, /'-rf' is not a package name/);
  await expectBroken({ depends: "lib*\n" }, "depends", 1, /'lib\*' is not a package name/);
});

Deno.test("an unknown word after a dependency", () =>
  expectBroken({ depends: "zlib\nmusl runtime\n" }, "depends", 2, /unknown word 'runtime' after dependency 'musl'/));

Deno.test("a third word on a depends line", () =>
  expectBroken({ depends: "zlib make again\n" }, "depends", 1, /unexpected 'again'/));

Deno.test("a third word on a sources line", () =>
  expectBroken(
    { sources: "https://e.org/a.tgz dir extra\n", checksums: `${sha(1)}\n` },
    "sources",
    1,
    /unexpected 'extra'/,
  ));

Deno.test("a destination that leaves the build directory", () =>
  expectBroken(
    { sources: "\nhttps://e.org/a.tgz ../../etc\n", checksums: `${sha(1)}\n` },
    "sources",
    2,
    /leaves the build directory/,
  ));

Deno.test("a remote URL without a file name", () =>
  expectBroken(
    { sources: "https://e.org/dir/\n", checksums: `${sha(1)}\n` },
    "sources",
    1,
    /does not end in a file name/,
  ));

Deno.test("a git source without a URL or with an empty ref", async () => {
  await expectBroken({ sources: "git+\n" }, "sources", 1, /is not a git source/);
  await expectBroken({ sources: "git+https://e.org/x@\n" }, "sources", 1, /is not a git source/);
  await expectBroken({ sources: "git+https://e.org/x#\n" }, "sources", 1, /is not a git source/);
});
