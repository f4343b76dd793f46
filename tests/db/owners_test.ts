import assert from "node:assert/strict";
import { manifestStamp, OwnerIndex, ownerIndexFile } from "../../lib/db/owners.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { rootConfig } from "../_helpers/packages.ts";

function install(root: string, name: string, manifest: string[]) {
  const entry = `${root}/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(entry, { recursive: true });
  Deno.writeTextFileSync(`${entry}/manifest`, manifest.join("\n") + "\n");
}

Deno.test("OwnerIndex: owners by path, resolved through linked directories, directories shared", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.symlinkSync("usr/bin", `${root}/bin`);
  install(root, "busybox", ["/usr/bin/sh", "/usr/bin/ls", "/usr/bin/", "/usr/"]);
  install(root, "legacy", ["/bin/old", "/bin/"]);
  install(root, "zsh", ["/usr/bin/zsh", "/usr/bin/", "/usr/"]);
  const config = rootConfig(root);
  const index = OwnerIndex.load(config);
  assert.deepEqual(index.owners("/usr/bin/sh"), ["busybox"]);
  assert.deepEqual(index.owners("/usr/bin/old"), ["legacy"], "/bin/old is filed where it really is");
  assert.deepEqual(index.owners("/usr/bin/").sort(), ["busybox", "legacy", "zsh"]);
  assert.deepEqual(index.owners("/usr/bin").sort(), ["busybox", "legacy", "zsh"], "a directory without its slash");
  assert.deepEqual(index.owners("/usr/bin/s"), []);
  assert.deepEqual(index.owners("/usr/bin/shell"), []);
  assert.deepEqual(index.owners("/zzz"), []);
  assert.deepEqual(index.owners("/"), []);
  assert.ok(Deno.statSync(ownerIndexFile(config)).isFile, "the index was written");
});

Deno.test("OwnerIndex: binary search agrees with a plain map over thousands of paths", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  const expected = new Map<string, string[]>();
  for (let p = 0; p < 40; p++) {
    const lines: string[] = [];
    for (let i = 0; i < 150; i++) {
      const path = `/usr/share/p${(p * 7 + i) % 97}/f${i % 13}-${p % 3}`;
      lines.push(path);
      expected.set(path, [...(expected.get(path) ?? []), `pkg${p}`]);
    }
    install(root, `pkg${p}`, [...new Set(lines)]);
  }
  const index = OwnerIndex.load(rootConfig(root));
  for (const [path, owners] of expected) assert.deepEqual(index.owners(path).sort(), [...new Set(owners)].sort(), path);
  assert.deepEqual(index.owners("/usr/share/p1/f1-9"), []);
});

Deno.test("OwnerIndex: a database changed by another tool is noticed and the index rebuilt", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  const config = rootConfig(root);
  install(root, "a", ["/usr/bin/a", "/usr/bin/", "/usr/"]);
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/a"), ["a"]);
  const before = Deno.readFileSync(ownerIndexFile(config));

  // Unchanged database: the file is used as it is.
  assert.deepEqual(OwnerIndex.load(config).bytes(), before);

  // kiss rewrites a manifest (new inode, other size).
  const tmpManifest = `${root}/var/db/kiss/installed/a/manifest.tmp`;
  Deno.writeTextFileSync(tmpManifest, "/usr/bin/a2\n/usr/bin/\n/usr/\n");
  Deno.renameSync(tmpManifest, `${root}/var/db/kiss/installed/a/manifest`);
  let index = OwnerIndex.load(config);
  assert.deepEqual(index.owners("/usr/bin/a"), []);
  assert.deepEqual(index.owners("/usr/bin/a2"), ["a"]);

  // kiss installs another package.
  install(root, "b", ["/usr/bin/b"]);
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/b"), ["b"]);

  // kiss removes one.
  Deno.removeSync(`${root}/var/db/kiss/installed/a`, { recursive: true });
  index = OwnerIndex.load(config);
  assert.deepEqual(index.owners("/usr/bin/a2"), []);
  assert.deepEqual(Object.keys(index.stamps), ["b"]);

  // A damaged index file is rebuilt too.
  Deno.writeTextFileSync(ownerIndexFile(config), "garbage");
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/b"), ["b"]);
});

Deno.test("OwnerIndex: a changed link of the root makes the index stale", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.mkdirSync(`${root}/usr/sbin`, { recursive: true });
  Deno.symlinkSync("usr/bin", `${root}/bin`);
  install(root, "a", ["/bin/a"]);
  const config = rootConfig(root);
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/a"), ["a"]);
  Deno.removeSync(`${root}/bin`);
  Deno.symlinkSync("usr/sbin", `${root}/bin`);
  const index = OwnerIndex.load(config);
  assert.deepEqual(index.owners("/usr/bin/a"), []);
  assert.deepEqual(index.owners("/usr/sbin/a"), ["a"]);
});

Deno.test("OwnerIndex.replacePackage updates one package in place, keeping the order", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  install(root, "a", ["/x/1", "/x/3"]);
  install(root, "b", ["/x/2"]);
  const config = rootConfig(root);
  const index = OwnerIndex.load(config);
  install(root, "a", ["/x/0", "/x/4"]);
  index.replacePackage("a", ["/x/0", "/x/4"], manifestStamp(config.installedDir, "a"));
  assert.deepEqual([...index.entries()], [["/x/0", "a"], ["/x/2", "b"], ["/x/4", "a"]]);
  assert.ok(index.trySave(config));
  assert.deepEqual(OwnerIndex.load(config).bytes(), index.bytes(), "the saved index is current");
  index.replacePackage("b", undefined, "-");
  assert.deepEqual(index.owners("/x/2"), []);
});

Deno.test("OwnerIndex on a root without a database: empty, and nothing is written", async () => {
  await using tmp = await tempDir();
  const config = rootConfig(tmp.path);
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/x"), []);
  assert.deepEqual([...Deno.readDirSync(tmp.path)], []);
});
