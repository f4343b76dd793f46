/**
 * What `DiskView` (`lib/install/disk.ts`) learns of a directory, read with
 * `getdents64` (`ffi/dir.ts`): the same as `Deno.readDirSync` says, for
 * every kind of entry, names that are not ASCII, and a directory too big
 * for one read; nothing for a directory that is missing or is a file.
 */
import assert from "node:assert/strict";
import { DT, readDirectory } from "../../ffi/dir.ts";
import { type DiskKind, DiskView } from "../../lib/install/disk.ts";
import { tempDir } from "../_helpers/fixtures.ts";

function byReadDir(dir: string): Map<string, DiskKind> {
  const out = new Map<string, DiskKind>();
  for (const e of Deno.readDirSync(dir)) {
    out.set(e.name, e.isSymlink ? "symlink" : e.isDirectory ? "directory" : "file");
  }
  return out;
}

Deno.test("DiskView lists a directory as Deno.readDirSync does", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/d`;
  Deno.mkdirSync(`${dir}/sub`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/file`, "x");
  Deno.symlinkSync("sub", `${dir}/link`);
  Deno.symlinkSync("nowhere", `${dir}/dangling`);
  Deno.writeTextFileSync(`${dir}/naïve ünïcode ✓`, "x");
  Deno.writeTextFileSync(`${dir}/.hidden`, "x");
  const view = new DiskView();
  assert.deepEqual(new Map([...view.entries(dir)].sort()), new Map([...byReadDir(dir)].sort()));
  assert.equal(view.kind(`${dir}/link`), "symlink");
  assert.equal(view.kind(`${dir}/sub`), "directory");
  assert.equal(view.kind(`${dir}/naïve ünïcode ✓`), "file");
  assert.equal(view.kind(`${dir}/gone`), "missing");
  assert.equal(view.entries(`${tmp.path}/missing`).size, 0);
  assert.equal(view.entries(`${dir}/file`).size, 0, "a file holds nothing");
  assert.equal(view.entries(`${dir}/link`).size, 0, "a link to a directory is followed");
});

Deno.test("readDirectory: a directory bigger than one read, all of it", async () => {
  await using tmp = await tempDir();
  const names = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const name = `${String(i).padStart(6, "0")}-a-rather-long-name-for-a-file.txt`;
    names.add(name);
    Deno.writeFileSync(`${tmp.path}/${name}`, new Uint8Array(0));
  }
  const out = new Map<string, string>();
  const kinds = Array.from({ length: 16 }, (_, t) => t === DT.REG ? "file" : "other");
  assert.equal(readDirectory(tmp.path, out, kinds, () => "unknown"), true);
  assert.deepEqual(new Set(out.keys()), names);
  assert.ok([...out.values()].every((k) => k === "file" || k === "unknown"));
  assert.equal(readDirectory(`${tmp.path}/missing`, new Map(), kinds, () => "unknown"), false);
});
