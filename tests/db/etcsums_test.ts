import assert from "node:assert/strict";
import {
  EMPTY_BLAKE3,
  EMPTY_SHA256,
  generateEtcsums,
  hashFiles,
  pairEtcsums,
  readEtcsums,
  sumAlgorithm,
  writePackageDatabase,
} from "../../lib/db/etcsums.ts";
import { generateManifest, parseManifest } from "../../lib/db/manifest.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { writeKissDatabase, writePackageDir } from "../_helpers/packages.ts";

const SPEC = {
  name: "conf",
  files: {
    "etc/a.conf": "a=1\n",
    "etc/sub/b.conf": "b=2\n",
    "etc/link": { symlink: "/nonexistent/target" },
    "usr/bin/x": "x",
  },
};

Deno.test("generateEtcsums matches kiss 5's sha256sum etcsums, links summed as the empty file", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/conf`;
  writePackageDir(SPEC, dir);
  await writeKissDatabase(dir, "conf", "sha256");
  const manifest = generateManifest(dir, "conf");
  const theirs = readEtcsums(`${dir}/var/db/kiss/installed/conf`);
  assert.deepEqual(generateEtcsums(dir, manifest), theirs);
  assert.equal(theirs.length, 3);
  assert.ok(theirs.includes(EMPTY_SHA256));
});

Deno.test("hashFiles matches the BLAKE3 sums kiss 6 writes with b3sum; missing files and directories have none", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/conf`;
  writePackageDir(SPEC, dir);
  await writeKissDatabase(dir, "conf", "b3");
  const manifest = parseManifest(Deno.readTextFileSync(`${dir}/var/db/kiss/installed/conf/manifest`));
  const sums = readEtcsums(`${dir}/var/db/kiss/installed/conf`);
  assert.ok(sums.every((s) => sumAlgorithm(s) === "blake3"));
  const pairs = pairEtcsums(manifest, sums);
  for (const [path, sum] of pairs) assert.equal(hashFiles([dir + path], "blake3")[0], sum, path);
  assert.equal(pairs.get("/etc/link"), EMPTY_BLAKE3);
  assert.deepEqual(hashFiles([`${dir}/missing`, `${dir}/etc`], "sha256"), [undefined, undefined]);
});

Deno.test("pairEtcsums: a count that does not match the manifest gives no sums at all", () => {
  const manifest = ["/etc/b", "/etc/a", "/etc/", "/usr/x"];
  assert.deepEqual([...pairEtcsums(manifest, ["1", "2"])], [["/etc/b", "1"], ["/etc/a", "2"]]);
  assert.equal(pairEtcsums(manifest, ["1"]).size, 0);
  assert.equal(sumAlgorithm("nothex"), undefined);
});

Deno.test("writePackageDatabase writes manifest and etcsums as kiss would", async () => {
  await using tmp = await tempDir();
  const ours = `${tmp.path}/ours`, theirs = `${tmp.path}/theirs`;
  writePackageDir(SPEC, ours);
  writePackageDir(SPEC, theirs);
  const manifest = writePackageDatabase(ours, "conf");
  await writeKissDatabase(theirs, "conf", "sha256");
  const db = "var/db/kiss/installed/conf";
  assert.equal(Deno.readTextFileSync(`${ours}/${db}/manifest`), Deno.readTextFileSync(`${theirs}/${db}/manifest`));
  assert.equal(Deno.readTextFileSync(`${ours}/${db}/etcsums`), Deno.readTextFileSync(`${theirs}/${db}/etcsums`));
  assert.deepEqual(manifest, parseManifest(Deno.readTextFileSync(`${ours}/${db}/manifest`)));
});
