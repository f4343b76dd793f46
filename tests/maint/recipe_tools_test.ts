/**
 * `kiln new` and `kiln bump` against a real HTTP server on 127.0.0.1 serving
 * real tarballs made by GNU tar, with `b3sum` as the reference hash.
 */

import assert from "node:assert/strict";
import { runKiln } from "../_helpers/cli.ts";
import { exists, tempDir, writeRecipe } from "../_helpers/fixtures.ts";
import { startServer } from "../_helpers/http.ts";
import { versionFromUrl } from "../../lib/maint/new_recipe.ts";

/** A gzip tarball (GNU tar) of one top directory `top` holding `files`. */
async function tarball(dir: string, top: string, files: Record<string, string>): Promise<Uint8Array> {
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${top}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${top}/${name}`, text);
  }
  const out = await new Deno.Command("tar", { args: ["-czf", "-", "-C", dir, top], stdout: "piped" }).output();
  assert(out.success, "tar failed");
  await Deno.remove(`${dir}/${top}`, { recursive: true });
  return out.stdout;
}

/** The names in a directory, sorted. */
function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

async function b3(bytes: Uint8Array): Promise<string> {
  const child = new Deno.Command("b3sum", { args: ["-l", "33", "--no-names"], stdin: "piped", stdout: "piped" })
    .spawn();
  const w = child.stdin.getWriter();
  await w.write(bytes);
  await w.close();
  return new TextDecoder().decode((await child.output()).stdout).trim();
}

Deno.test("new: version from the URL, BLAKE3 checksum, build chosen by the unpacked source", async () => {
  await using t = await tempDir();
  const cases: [string, Record<string, string>, RegExp][] = [
    ["mesonpkg", { "meson.build": "project('x')\n" }, /meson setup/],
    ["cmakepkg", { "CMakeLists.txt": "project(x)\n" }, /cmake -B build/],
    ["autopkg", { configure: "#!/bin/sh\n", "Makefile.in": "" }, /\.\/configure/],
    ["makepkg", { Makefile: "all:\n" }, /make PREFIX=\/usr/],
    ["otherpkg", { "README": "hi\n" }, /^# Build the software/m],
  ];
  const routes: Record<string, { body: Uint8Array }> = {};
  for (const [name, files] of cases) {
    routes[`/${name}-2.4.1.tar.gz`] = { body: await tarball(t.path, `${name}-2.4.1`, files) };
  }
  const server = startServer(routes);
  try {
    const repo = `${t.path}/repo`;
    Deno.mkdirSync(repo);
    const env = { KISS_PATH: repo, KISS_CACHE: `${t.path}/cache` };
    for (const [name, , build] of cases) {
      const url = server.url(`/${name}-2.4.1.tar.gz`);
      const res = await runKiln(["new", name, url], { env, cwd: repo });
      assert.equal(res.code, 0, res.stderr);
      const dir = `${repo}/${name}`;
      assert.equal(Deno.readTextFileSync(`${dir}/version`), "2.4.1 1\n");
      assert.equal(Deno.readTextFileSync(`${dir}/sources`), `${url}\n`);
      assert.equal(Deno.readTextFileSync(`${dir}/checksums`), `${await b3(routes[`/${name}-2.4.1.tar.gz`].body)}\n`);
      assert.equal(Deno.readTextFileSync(`${dir}/depends`), "");
      assert.match(Deno.readTextFileSync(`${dir}/build`), build);
      assert.equal((Deno.statSync(`${dir}/build`).mode ?? 0) & 0o111, 0o111);
    }
    // The new recipes pass the linter.
    const lint = await runKiln(["lint", repo], { env });
    assert.equal(lint.code, 0, lint.stdout + lint.stderr);
    // An existing name, a failed download (nothing left behind), no URL.
    const again = await runKiln(["new", "makepkg", server.url("/makepkg-2.4.1.tar.gz")], { env, cwd: repo });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    const gone = await runKiln(["new", "gone", server.url("/gone-1.0.tar.gz")], { env, cwd: repo });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /HTTP 404/);
    assert.deepEqual([...Deno.readDirSync(repo)].map((e) => e.name).filter((n) => !n.endsWith("pkg")), []);
    const bare = await runKiln(["new", "bare"], { env, cwd: repo });
    assert.equal(bare.code, 0, bare.stderr);
    assert.equal(Deno.readTextFileSync(`${repo}/bare/version`), "1.0 1\n");
    assert(!exists(`${repo}/bare/sources`));
    const badName = await runKiln(["new", "Bad Name"], { env, cwd: repo });
    assert.equal(badName.code, 2);
  } finally {
    await server.close();
  }
});

Deno.test("new: versions told from file names", () => {
  assert.equal(versionFromUrl("https://x.org/zlib-1.3.1.tar.xz"), "1.3.1");
  assert.equal(versionFromUrl("https://x.org/dl/foo_v2.0.tgz"), "2.0");
  assert.equal(versionFromUrl("https://x.org/v/bar-20240101.tar.gz?raw=1"), "20240101");
  assert.equal(versionFromUrl("https://x.org/latest.tar.gz"), undefined);
});

Deno.test("bump: version, release, sources and checksums rewritten; same version bumps the release", async () => {
  await using t = await tempDir();
  const v1 = await tarball(t.path, "tool-1.0", { Makefile: "v1\n" });
  const v2 = await tarball(t.path, "tool-1.1", { Makefile: "v2\n" });
  const server = startServer({ "/tool-1.0.tar.gz": { body: v1 }, "/tool-1.1.tar.gz": { body: v2 } });
  try {
    const repo = `${t.path}/repo`;
    const dir = writeRecipe(repo, "tool", {
      version: "1.0 3\n",
      sources: `${server.url("/tool-1.0.tar.gz")}\nfiles/fix.patch\n`,
      checksums: `${await b3(v1)}\nSKIP\n`,
      files: { "files/fix.patch": "--- a\n" },
    });
    const env = { KISS_PATH: repo, KISS_CACHE: `${t.path}/cache` };
    const dry = await runKiln(["bump", "--dry-run", "tool", "1.1"], { env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /version:1: - 1\.0 3\nversion:1: \+ 1\.1 1/);
    assert.equal(Deno.readTextFileSync(`${dir}/version`), "1.0 3\n");
    assert.equal(server.hits("/tool-1.1.tar.gz"), 0);

    const res = await runKiln(["bump", "tool", "1.1"], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(Deno.readTextFileSync(`${dir}/version`), "1.1 1\n");
    assert.equal(Deno.readTextFileSync(`${dir}/sources`), `${server.url("/tool-1.1.tar.gz")}\nfiles/fix.patch\n`);
    assert.equal(Deno.readTextFileSync(`${dir}/checksums`), `${await b3(v2)}\nSKIP\n`);
    assert.match(res.stdout, /checksums:1: \+ /);

    const same = await runKiln(["bump", "tool", "1.1"], { env });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(Deno.readTextFileSync(`${dir}/version`), "1.1 2\n");
    assert.equal(names(repo).length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("bump: a failed download, a bad version and an unknown package leave the recipe as it was", async () => {
  await using t = await tempDir();
  const v1 = await tarball(t.path, "tool-1.0", { Makefile: "v1\n" });
  const server = startServer({ "/tool-1.0.tar.gz": { body: v1 } });
  try {
    const repo = `${t.path}/repo`;
    const files = {
      version: "1.0 1\n",
      sources: `${server.url("/tool-1.0.tar.gz")}\n`,
      checksums: `${await b3(v1)}\n`,
    };
    const dir = writeRecipe(repo, "tool", files);
    const env = { KISS_PATH: repo, KISS_CACHE: `${t.path}/cache` };
    const failed = await runKiln(["bump", "tool", "9.9"], { env });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /HTTP 404/);
    for (const [name, text] of Object.entries(files)) assert.equal(Deno.readTextFileSync(`${dir}/${name}`), text);
    assert.deepEqual(names(repo), ["tool"]);
    const bad = await runKiln(["bump", "tool", "1.0/evil"], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /'1\.0\/evil' is not a version/);
    const unknown = await runKiln(["bump", "nope", "1.0"], { env });
    assert.equal(unknown.code, 1);
    const usage = await runKiln(["bump", "tool"], { env });
    assert.equal(usage.code, 2);
  } finally {
    await server.close();
  }
});
