import assert from "node:assert/strict";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { countRepositoryDialects, repositoryDialect } from "../../lib/recipe/dialect.ts";
import { dialectOfHash } from "../../lib/recipe/checksums.ts";
import { b3, sha, tempDir, writeRecipe } from "../_helpers/fixtures.ts";

const GIT_ONLY = { version: "git 1\n", sources: "git+https://e.org/x@PACKAGE-VERSION\n" };

function classicPackage(repo: string, name: string, seed: number) {
  writeRecipe(repo, name, { sources: "https://e.org/a.tgz\n", checksums: `${sha(seed)}\n` });
}
function communityPackage(repo: string, name: string, seed: number) {
  writeRecipe(repo, name, { sources: "https://e.org/a.tgz\n", checksums: `${b3(seed)}\n` });
}

Deno.test("hash length tells the dialect: 64 hex classic, 66 hex community", () => {
  assert.equal(dialectOfHash(sha()), "classic");
  assert.equal(dialectOfHash(b3()), "community");
  assert.equal(dialectOfHash("SKIP"), undefined);
  assert.equal(dialectOfHash("ab".repeat(16)), undefined);
  assert.equal(dialectOfHash("zz".repeat(32)), undefined);
});

Deno.test("a package without file checksums takes its repository's majority dialect", async () => {
  await using tmp = await tempDir();
  const classicRepo = `${tmp.path}/classic`;
  classicPackage(classicRepo, "a", 1);
  classicPackage(classicRepo, "b", 2);
  communityPackage(classicRepo, "c", 3);
  const g1 = writeRecipe(classicRepo, "g", GIT_ONLY);

  const communityRepo = `${tmp.path}/community`;
  communityPackage(communityRepo, "a", 1);
  communityPackage(communityRepo, "b", 2);
  classicPackage(communityRepo, "c", 3);
  const g2 = writeRecipe(communityRepo, "g", GIT_ONLY);

  assert.deepEqual(countRepositoryDialects(classicRepo), { classic: 2, community: 1 });
  assert.equal(repositoryDialect(classicRepo), "classic");
  assert.equal(repositoryDialect(communityRepo), "community");

  const classic = loadRecipe(g1);
  assert.equal(classic.dialect, "classic");
  assert.equal(classic.sources[0].branch, "g-git");
  const community = loadRecipe(g2);
  assert.equal(community.dialect, "community");
  assert.equal(community.sources[0].branch, "PACKAGE-VERSION");
});

Deno.test("SKIP-only checksums and stale lines next to git sources do not decide the dialect", async () => {
  await using tmp = await tempDir();
  const repo = `${tmp.path}/repo`;
  communityPackage(repo, "a", 1);
  const skip = writeRecipe(repo, "skip", { sources: "https://e.org/a.tgz\n", checksums: "SKIP\n" });
  const stale = writeRecipe(repo, "stale", { ...GIT_ONLY, checksums: `${sha(9)}\n` });
  assert.equal(loadRecipe(skip).dialect, "community");
  assert.equal(loadRecipe(stale).dialect, "community");
});

Deno.test("KISS_DIALECT overrides checksums and repository; a known repository dialect is used as given", async () => {
  await using tmp = await tempDir();
  const repo = `${tmp.path}/repo`;
  classicPackage(repo, "a", 1);
  const dir = writeRecipe(repo, "p", { sources: "https://e.org/p-VERSION.tgz\n", checksums: `${sha(4)}\n` });
  assert.equal(loadRecipe(dir).sources[0].url, "https://e.org/p-1.0.tgz");
  const forced = loadRecipe(dir, { dialect: "community" });
  assert.equal(forced.dialect, "community");
  assert.equal(forced.sources[0].url, "https://e.org/p-VERSION.tgz");
  const g = writeRecipe(repo, "g", GIT_ONLY);
  assert.equal(loadRecipe(g, { repoDialect: "community" }).dialect, "community");
  assert.equal(loadRecipe(g, { dialect: "classic", repoDialect: "community" }).dialect, "classic");
});

Deno.test("with nothing to go by (or a tie) a package is community, the dialect of new packages", async () => {
  await using tmp = await tempDir();
  const empty = writeRecipe(`${tmp.path}/empty`, "g", GIT_ONLY);
  assert.equal(loadRecipe(empty).dialect, "community");
  const tie = `${tmp.path}/tie`;
  classicPackage(tie, "a", 1);
  communityPackage(tie, "b", 2);
  assert.equal(repositoryDialect(tie), undefined);
  assert.equal(loadRecipe(writeRecipe(tie, "g", GIT_ONLY)).dialect, "community");
});
