import assert from "node:assert/strict";
import { installedPath, isInstalled, listInstalled, readInstalledVersion } from "../../lib/db/installed.ts";
import { readInstalled } from "../../lib/db/installed_recipe.ts";
import { sha, tempDir, testConfig, writeInstalled } from "../_helpers/fixtures.ts";

Deno.test("listInstalled: package directories only, in byte order; an absent database is empty", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = testConfig(root, []);
  assert.deepEqual(listInstalled(config), []);
  for (const name of ["zlib", "Xorg", "busybox", "a-b", "gtk+3"]) writeInstalled(root, name);
  Deno.writeTextFileSync(`${config.installedDir}/stray-file`, "");
  Deno.mkdirSync(`${config.installedDir}/.journal`);
  assert.deepEqual(listInstalled(config), ["Xorg", "a-b", "busybox", "gtk+3", "zlib"]);
});

Deno.test("isInstalled and readInstalledVersion", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = testConfig(root, []);
  writeInstalled(root, "zlib", { version: "1.3.1  2 \n" });
  writeInstalled(root, "noversion", { version: null });
  assert.equal(isInstalled(config, "zlib"), true);
  assert.equal(isInstalled(config, "curl"), false);
  assert.equal(isInstalled(config, "../installed"), false);
  assert.deepEqual(readInstalledVersion(config, "zlib"), { version: "1.3.1", release: "2" });
  assert.deepEqual(readInstalledVersion(config, "noversion"), { version: "null", release: "null" });
  assert.equal(readInstalledVersion(config, "curl"), undefined);
  assert.equal(installedPath(config, "zlib"), `${root}/var/db/kiss/installed/zlib`);
});

Deno.test("readInstalled: the recipe copy, from the database repository; undefined when not installed", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = testConfig(root, []);
  writeInstalled(root, "curl", {
    version: "8.0 1\n",
    depends: ["zlib", "openssl"],
    sources: "https://e.org/curl.tgz\nhttps://e.org/extra.tgz\n",
    checksums: `${sha(1)}\n`,
    files: { manifest: "/usr/bin/curl\n" },
  });
  const r = readInstalled(config, "curl")!;
  assert.equal(r.version, "8.0");
  assert.equal(r.repo, config.installedDir);
  assert.deepEqual(r.depends.map((d) => d.name), ["zlib", "openssl"]);
  assert.equal(readInstalled(config, "nothere"), undefined);
});
