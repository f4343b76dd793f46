import assert from "node:assert/strict";
import { RecipeError } from "../../lib/errors.ts";
import { gitRepoName, sourcePath } from "../../lib/sources/cache.ts";
import { config, recipe } from "../_helpers/sources.ts";

Deno.test("sourcePath follows kiss's cache layout for remote files, DEST directories and git checkouts", () => {
  // An absolute local source needs KISS_LOCAL_SOURCES=any (see local_test.ts).
  const c = config("/media/usb/kiss", { KISS_LOCAL_SOURCES: "any" });
  const r = recipe("/repo/core/zlib", [
    "https://zlib.net/zlib-1.3.1.tar.gz",
    "https://example.org/dl/extra.tar.xz vendor/extra/",
    "git+https://github.com/madler/zlib.git@develop",
    "git+https://github.com/madler/pigz#0123abc third_party",
    "patches/fix.patch",
    "/usr/share/misc/file.txt",
  ]);
  assert.deepEqual(r.sources.map((s) => sourcePath(c, r, s)), [
    "/media/usb/kiss/sources/zlib/zlib-1.3.1.tar.gz",
    "/media/usb/kiss/sources/zlib/vendor/extra/extra.tar.xz",
    "/media/usb/kiss/sources/zlib/zlib",
    "/media/usb/kiss/sources/zlib/third_party/pigz",
    "/repo/core/zlib/patches/fix.patch",
    "/usr/share/misc/file.txt",
  ]);
});

Deno.test("gitRepoName is the URL's last component without .git", () => {
  assert.equal(gitRepoName("https://github.com/kiss-community/repo"), "repo");
  assert.equal(gitRepoName("https://github.com/kiss-community/repo.git/"), "repo");
  assert.equal(gitRepoName("git@github.com:kiss-community/kiss.git"), "kiss");
  assert.equal(gitRepoName("file:///srv/git/project.git"), "project");
});

Deno.test("sourcePath refuses names that would leave or clobber the cache", () => {
  const c = config("/cache");
  const r = recipe("/repo/p", ["https://example.org/a.tar.gz ../../etc", "git+https://example.org/.git"]);
  assert.throws(() => sourcePath(c, r, r.sources[0]), (err: unknown) => {
    assert.ok(err instanceof RecipeError);
    assert.equal(err.file, "/repo/p/sources");
    assert.equal(err.line, 1);
    assert.match(err.message, /destination '\.\.\/\.\.\/etc' leaves the build directory/);
    return true;
  });
  assert.throws(() => sourcePath(c, r, r.sources[1]), /repository name '' of 'git\+https:\/\/example\.org\/\.git'/);
  const dots = { ...r.sources[0], dest: undefined, fileName: ".." };
  assert.throws(() => sourcePath(c, r, dots), /file name '\.\.' .* cannot be stored in the cache/);
});
