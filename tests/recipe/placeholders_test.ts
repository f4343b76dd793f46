import assert from "node:assert/strict";
import { expandPlaceholders, versionParts } from "../../lib/recipe/placeholders.ts";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { sha, tempDir, writeRecipe } from "../_helpers/fixtures.ts";

Deno.test("versionParts splits on . - _ + like kiss's 'IFS=.+-_ read major minor patch ident'", () => {
  assert.deepEqual(versionParts("1.2.3"), { major: "1", minor: "2", patch: "3", ident: "" });
  assert.deepEqual(versionParts("1.2.3-rc1"), { major: "1", minor: "2", patch: "3", ident: "rc1" });
  assert.deepEqual(versionParts("1.2.3.4.5"), { major: "1", minor: "2", patch: "3", ident: "4.5" });
  assert.deepEqual(versionParts("2.40_p1+x"), { major: "2", minor: "40", patch: "p1", ident: "x" });
  assert.deepEqual(versionParts("1.2"), { major: "1", minor: "2", patch: "", ident: "" });
  assert.deepEqual(versionParts("git"), { major: "git", minor: "", patch: "", ident: "" });
});

Deno.test("every marker is replaced, all occurrences", () => {
  const values = { version: "3.12.4-r2", release: "7", name: "python" };
  assert.equal(
    expandPlaceholders("https://e.org/MAJOR.MINOR/PACKAGE-VERSION.tar.xz", values),
    "https://e.org/3.12/python-3.12.4-r2.tar.xz",
  );
  assert.equal(expandPlaceholders("PATCH_IDENT_RELEASE", values), "4_r2_7");
  assert.equal(expandPlaceholders("VERSION/VERSION", values), "3.12.4-r2/3.12.4-r2");
  assert.equal(expandPlaceholders("no-markers.tar.gz", values), "no-markers.tar.gz");
});

Deno.test("a backslash keeps a marker literal and is itself dropped", () => {
  const values = { version: "1.0", release: "1", name: "p" };
  assert.equal(expandPlaceholders("x-\\VERSION-VERSION", values), "x-VERSION-1.0");
  assert.equal(expandPlaceholders("\\PACKAGE/PACKAGE", values), "PACKAGE/p");
  assert.equal(expandPlaceholders("\\MAJOR.MAJOR", values), "MAJOR.1");
});

Deno.test("classic recipes expand markers in sources; community recipes keep them literal", async () => {
  await using tmp = await tempDir();
  const sources = "https://e.org/PACKAGE/PACKAGE-VERSION.tar.gz\nhttps://e.org/\\VERSION/vMAJOR.tgz dir\n";
  const classic = writeRecipe(`${tmp.path}/a`, "foo", {
    version: "2.5.1 1\n",
    sources,
    checksums: `${sha(1)}\n${sha(2)}\n`,
  });
  const r = loadRecipe(classic);
  assert.equal(r.dialect, "classic");
  assert.deepEqual(r.sources.map((s) => [s.url, s.fileName, s.raw]), [
    ["https://e.org/foo/foo-2.5.1.tar.gz", "foo-2.5.1.tar.gz", "https://e.org/foo/foo-2.5.1.tar.gz"],
    ["https://e.org/VERSION/v2.tgz", "v2.tgz", "https://e.org/VERSION/v2.tgz dir"],
  ]);

  const community = writeRecipe(`${tmp.path}/b`, "foo", {
    version: "2.5.1 1\n",
    sources,
    checksums: `${"ab".repeat(33)}\n${"cd".repeat(33)}\n`,
  });
  const c = loadRecipe(community);
  assert.equal(c.dialect, "community");
  assert.deepEqual(c.sources.map((s) => s.url), [
    "https://e.org/PACKAGE/PACKAGE-VERSION.tar.gz",
    "https://e.org/\\VERSION/vMAJOR.tgz",
  ]);
});

Deno.test("markers in local paths and git refs are expanded in the classic dialect", async () => {
  await using tmp = await tempDir();
  const dir = writeRecipe(tmp.path, "bar", {
    version: "1.4 1\n",
    sources: "patches/bar-VERSION.patch\ngit+https://e.org/bar@vVERSION\n",
    checksums: `${sha(3)}\n`,
    files: { "patches/bar-1.4.patch": "p" },
  });
  const r = loadRecipe(dir);
  assert.equal(r.sources[0].url, `${dir}/patches/bar-1.4.patch`);
  assert.equal(r.sources[1].branch, "v1.4");
});
