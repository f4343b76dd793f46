/**
 * Entry names: the fast path of `cleanEntryPath` (clean names and names with
 * the `./` prefix `tar cf - .` writes) must give exactly what the general
 * rule gives, and must still refuse every absolute name and every `..`.
 */
import assert from "node:assert/strict";
import { cleanEntryPath } from "../../lib/archive/entry_path.ts";
import { parseTar, writeTar } from "../../lib/archive/tar.ts";
import type { TarEntry } from "../../lib/archive/tar.ts";
import { KilnError } from "../../lib/errors.ts";
import { run, withTempDir } from "../_helpers/archive.ts";

/** The rule, written the plain way: drop empty and `.` components, refuse `..` and absolute names. */
function reference(raw: string): string | undefined {
  if (raw.startsWith("/")) return undefined;
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return undefined;
  return parts.length === 0 ? "." : parts.join("/");
}

/** Every name of up to `max` characters over an alphabet that makes every odd case. */
function* names(alphabet: string, max: number): Generator<string> {
  let level = [""];
  yield "";
  for (let n = 1; n <= max; n++) {
    const next: string[] = [];
    for (const prefix of level) {
      for (const c of alphabet) {
        next.push(prefix + c);
        yield prefix + c;
      }
    }
    level = next;
  }
}

Deno.test("cleanEntryPath agrees with the plain rule on every name of up to 7 characters of a . /", () => {
  let refused = 0;
  let checked = 0;
  for (const raw of names("a./", 7)) {
    const want = reference(raw);
    assert.equal(cleanEntryPath(raw), want, JSON.stringify(raw));
    if (want === undefined) refused++;
    checked++;
  }
  assert.equal(checked, 3280);
  assert.ok(refused > 500, "the set holds many names that must be refused");
});

Deno.test("cleanEntryPath: odd names that must still be refused or cleaned", () => {
  const cases: [string, string | undefined][] = [
    ["./usr/bin/x", "usr/bin/x"],
    ["././usr/bin/x", "usr/bin/x"],
    [".//usr//bin/", "usr/bin"],
    ["./", "."],
    ["usr/./bin/.", "usr/bin"],
    ["a..b/..c/c..", "a..b/..c/c.."],
    ["...", "..."],
    [".hidden/.x", ".hidden/.x"],
    ["./../etc/passwd", undefined],
    ["./usr/../../etc", undefined],
    ["usr/bin/..", undefined],
    ["..", undefined],
    ["/etc/passwd", undefined],
    ["//etc", undefined],
    ["./a/b/c/../../../../x", undefined],
    ["ファイル/./é", "ファイル/é"],
  ];
  for (const [raw, want] of cases) assert.equal(cleanEntryPath(raw), want, JSON.stringify(raw));
});

function entry(path: string, type: TarEntry["type"] = "file"): { entry: TarEntry; body: Uint8Array } {
  return { entry: { path, type, mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0 }, body: new Uint8Array(0) };
}

Deno.test("archives written by GNU tar from '.': names read without the ./ prefix; a .. behind it is refused", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/tree/usr/bin`, { recursive: true });
    await Deno.writeTextFile(`${dir}/tree/usr/bin/tool`, "x");
    await Deno.writeTextFile(`${dir}/tree/..dots`, "y");
    await run("tar", ["-cf", `${dir}/t.tar`, "-C", `${dir}/tree`, "."]);
    const paths = [...parseTar(await Deno.readFile(`${dir}/t.tar`))].map((i) => i.entry.path).sort();
    assert.deepEqual(paths, [".", "..dots", "usr", "usr/bin", "usr/bin/tool"]);
  });
  for (const bad of ["./../x", "./a/../../x", "./a/.."]) {
    assert.throws(() => [...parseTar(writeTar([entry(bad)]), { name: "bad.tar" })], (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(err.message, /bad\.tar: unsafe entry/);
      assert.ok(err.message.includes(JSON.stringify(bad)));
      return true;
    });
  }
});
