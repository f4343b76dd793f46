/**
 * kiss's contrib tools built in: `size`, `maintainer`, `fork`, `link`, run as
 * real kiln processes on real files and a real git repository.
 */

import assert from "node:assert/strict";
import { runKiln } from "../_helpers/cli.ts";
import { exists, tempDir, writeInstalled, writeRecipe } from "../_helpers/fixtures.ts";
import { git } from "../_helpers/git.ts";

Deno.test("size: the biggest files first, links measured as links, a total; JSON; not installed", async () => {
  await using t = await tempDir();
  const root = `${t.path}/root`;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.writeFileSync(`${root}/usr/bin/big`, new Uint8Array(3 * 1024 * 1024));
  Deno.writeFileSync(`${root}/usr/bin/small`, new Uint8Array(100));
  Deno.writeFileSync(`${root}/usr/bin/huge-target`, new Uint8Array(8 * 1024 * 1024)); // owned by nobody
  Deno.symlinkSync("huge-target", `${root}/usr/bin/link`);
  writeInstalled(root, "pkg", {
    files: { manifest: "/usr/bin/small\n/usr/bin/link\n/usr/bin/gone\n/usr/bin/big\n/usr/bin/\n/usr/\n" },
  });
  const env = { KISS_ROOT: root, KISS_PATH: "" };
  const res = await runKiln(["size", "pkg"], { env });
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(res.stdout.trimEnd().split("\n"), [
    "3.0 MiB  /usr/bin/big",
    "  100 B  /usr/bin/small",
    "   11 B  /usr/bin/link",
    "3.0 MiB  total (3 files)",
  ]);
  assert.match(res.stderr, /1 file\(s\) of pkg's manifest are missing from the root, e.g. \/usr\/bin\/gone/);
  const json = JSON.parse((await runKiln(["size", "--json", "pkg"], { env })).stdout);
  assert.equal(json.total, 3 * 1024 * 1024 + 100 + 11);
  assert.deepEqual(json.missing, ["/usr/bin/gone"]);
  const none = await runKiln(["size", "nope"], { env });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /package nope is not installed/);
});

Deno.test("size: a file name with terminal escapes is printed escaped", async () => {
  await using t = await tempDir();
  const root = `${t.path}/root`;
  Deno.mkdirSync(`${root}/usr`, { recursive: true });
  Deno.writeFileSync(`${root}/usr/evil\x1b[2J`, new Uint8Array(5));
  writeInstalled(root, "pkg", { files: { manifest: "/usr/evil\x1b[2J\n/usr/\n" } });
  const res = await runKiln(["size", "pkg"], { env: { KISS_ROOT: root, KISS_PATH: "" } });
  assert.equal(res.code, 0, res.stderr);
  assert(!res.stdout.includes("\x1b"), JSON.stringify(res.stdout));
  assert(res.stdout.includes("/usr/evil\\x1b[2J"), res.stdout);
});

Deno.test("maintainer: the author of the last commit touching the recipe; no history is an error", async () => {
  await using t = await tempDir();
  const repo = `${t.path}/repo`;
  writeRecipe(repo, "zlib");
  writeRecipe(repo, "other");
  const env = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  const commitAs = async (who: string, path: string) => {
    await git(repo, "add", path);
    await git(repo, "commit", "-qm", path, `--author=${who} <${who}@example.org>`);
  };
  const noHistory = await runKiln(["maintainer", "zlib"], { env: { KISS_PATH: repo, ...env } });
  assert.equal(noHistory.code, 1);
  assert.match(noHistory.stderr, /no git history/);
  await git(repo, "init", "-q");
  await commitAs("Alice", "zlib");
  await commitAs("Bob", "other");
  const res = await runKiln(["maintainer", "zlib"], { env: { KISS_PATH: repo, ...env } });
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, "Alice <Alice@example.org>\n");
});

Deno.test("fork: copies the recipe as files (links followed), leaves database files out, refuses to overwrite", async () => {
  await using t = await tempDir();
  const upstream = `${t.path}/upstream`, mine = `${t.path}/mine`;
  const dir = writeRecipe(upstream, "zlib", { sources: "files/a.patch\n", files: { "files/a.patch": "patch\n" } });
  Deno.symlinkSync("a.patch", `${dir}/files/b.patch`);
  Deno.mkdirSync(mine);
  const root = `${t.path}/root`;
  writeInstalled(root, "onlyinstalled", { files: { manifest: "/x\n", etcsums: "" } });
  const env = { KISS_PATH: upstream, KISS_ROOT: root };
  const res = await runKiln(["fork", "zlib", mine], { env });
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout.trim(), `${mine}/zlib`);
  assert.equal(Deno.readTextFileSync(`${mine}/zlib/files/b.patch`), "patch\n");
  assert(!Deno.lstatSync(`${mine}/zlib/files/b.patch`).isSymlink);
  assert.equal((Deno.statSync(`${mine}/zlib/build`).mode ?? 0) & 0o777, 0o755);
  const again = await runKiln(["fork", "zlib", mine], { env });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  const installed = await runKiln(["fork", "onlyinstalled"], { env, cwd: mine });
  assert.equal(installed.code, 0, installed.stderr);
  assert(exists(`${mine}/onlyinstalled/version`) && !exists(`${mine}/onlyinstalled/manifest`));
  const unknown = await runKiln(["fork", "nope", mine], { env });
  assert.equal(unknown.code, 1);
  assert(!exists(`${mine}/nope`));
});

Deno.test("link: a fork's file becomes a relative link to the original's; missing files and escapes refused", async () => {
  await using t = await tempDir();
  const upstream = `${t.path}/upstream`, mine = `${t.path}/mine`;
  writeRecipe(upstream, "zlib", { version: "1.3 1\n" });
  const fork = writeRecipe(mine, "zlib", { version: "1.2 1\n" });
  const env = { KISS_PATH: `${mine}:${upstream}` };
  const res = await runKiln(["link", "version"], { env, cwd: fork });
  assert.equal(res.code, 0, res.stderr);
  assert.equal(Deno.readLinkSync(`${fork}/version`), "../../upstream/zlib/version");
  assert.equal(Deno.readTextFileSync(`${fork}/version`), "1.3 1\n");
  const missing = await runKiln(["link", "checksums"], { env, cwd: fork });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /upstream\/zlib\/checksums does not exist/);
  const escape = await runKiln(["link", "../../etc/passwd"], { env, cwd: fork });
  assert.equal(escape.code, 1);
  assert.match(escape.stderr, /is not a file of the package/);
  const alone = await runKiln(["link", "version"], { env: { KISS_PATH: mine }, cwd: fork });
  assert.equal(alone.code, 1);
  assert.match(alone.stderr, /in no other repository/);
});
