import assert from "node:assert/strict";
import { parseDepends, readDepends } from "../../lib/recipe/depends.ts";
import { recipeLines, splitWords } from "../../lib/recipe/text.ts";
import { tempDir, writeRecipe } from "../_helpers/fixtures.ts";

Deno.test("splitWords: blanks separate, a word starting with # ends the line, CR is dropped", () => {
  assert.deepEqual(splitWords("  a\t\tb   c  \r"), ["a", "b", "c"]);
  assert.deepEqual(splitWords("a #b c"), ["a"]);
  assert.deepEqual(splitWords("a b#c"), ["a", "b#c"]);
  assert.deepEqual(splitWords("# all comment"), []);
  assert.deepEqual(splitWords(""), []);
});

Deno.test("recipeLines keeps the file's line numbers", () => {
  assert.deepEqual(recipeLines("\n# c\nx y\n\n\tz"), [{ line: 3, words: ["x", "y"] }, { line: 5, words: ["z"] }]);
});

Deno.test("a name listed twice is kept once, runtime winning over make", () => {
  const deps = parseDepends("cmake make\nzlib\ncmake\nzlib make\n", "depends");
  assert.deepEqual(deps, [{ name: "cmake", make: false, line: 1 }, { name: "zlib", make: false, line: 2 }]);
});

Deno.test("names with + . _ @ - are package names", () => {
  const deps = parseDepends("gtk+3\nlibstdc++\npython3.12\nfoo_bar\nx@y\nxorg-server make\n", "depends");
  assert.deepEqual(deps.map((d) => d.name), ["gtk+3", "libstdc++", "python3.12", "foo_bar", "x@y", "xorg-server"]);
});

Deno.test("readDepends: no file means no dependencies", async () => {
  await using tmp = await tempDir();
  assert.deepEqual(readDepends(writeRecipe(tmp.path, "leaf")), []);
  assert.deepEqual(readDepends(writeRecipe(tmp.path, "one", { depends: "a make" })), [{
    name: "a",
    make: true,
    line: 1,
  }]);
});
