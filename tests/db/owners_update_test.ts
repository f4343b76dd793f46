/**
 * The owner index updated in place (`replacePackage`, a merge over its bytes)
 * must hold exactly what an index built from the manifests holds, whatever
 * order the new paths come in; `hasPathsUnder` must answer as a scan of
 * every record would.
 */
import assert from "node:assert/strict";
import { OwnerIndex } from "../../lib/db/owners.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { rootConfig } from "../_helpers/packages.ts";

function install(root: string, name: string, manifest: readonly string[]) {
  const entry = `${root}/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(entry, { recursive: true });
  Deno.writeTextFileSync(`${entry}/manifest`, manifest.join("\n") + "\n");
}

/** A small pseudo-random generator: the same cases on every run. */
function random(seed: number): (n: number) => number {
  return (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
}

/** A manifest of `count` paths drawn from a small tree (so packages share directories and names). */
function manifest(next: (n: number) => number, count: number): string[] {
  // With characters whose UTF-16 order differs from their UTF-8 byte order (U+FFFD, U+1F600).
  const words = ["usr", "bin", "lib", "share", "a", "b", "é", "x.so", "x.so.1", "z", "\uFFFD", "\u{1F600}"];
  const lines = new Set<string>();
  while (lines.size < count) {
    const depth = 1 + next(4);
    const parts = Array.from({ length: depth }, () => words[next(words.length)]);
    lines.add("/" + parts.join("/") + (next(4) === 0 ? "/" : ""));
  }
  return [...lines];
}

Deno.test("replacePackage gives the index a rebuild gives: adds, upgrades, removals, any order", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  const config = rootConfig(root);
  const next = random(42);
  for (let p = 0; p < 12; p++) install(root, `p${p}`, manifest(next, 40));
  const index = OwnerIndex.load(config);
  for (let round = 0; round < 30; round++) {
    const name = `p${next(16)}`;
    if (next(5) === 0) {
      try {
        Deno.removeSync(`${root}/var/db/kiss/installed/${name}`, { recursive: true });
      } catch { /* was not installed */ }
      index.replacePackage(name, undefined, "-");
    } else {
      const lines = manifest(next, 1 + next(60));
      // Manifests come in reverse order; resolved paths may come in any order.
      const order = round % 3 === 0 ? lines.sort().reverse() : round % 3 === 1 ? lines.sort() : lines;
      install(root, name, order);
      index.replacePackage(name, order, "stamp");
    }
    const built = OwnerIndex.build(config);
    assert.deepEqual([...index.entries()], [...built.entries()], `round ${round} (${name})`);
  }
});

Deno.test("replacePackage keeps other packages' records byte for byte, and the last line's newline", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  const config = rootConfig(root);
  install(root, "a", ["/usr/bin/a", "/usr/bin/", "/usr/"]);
  install(root, "b", ["/usr/bin/b", "/usr/bin/", "/usr/"]);
  const index = OwnerIndex.load(config);
  index.replacePackage("c", ["/usr/lib/c", "/usr/bin/c", "/usr/"], "s");
  const body = new TextDecoder().decode(index.bytes()).split("\n").slice(1);
  assert.deepEqual(body, [
    "/usr/\0a",
    "/usr/\0b",
    "/usr/\0c",
    "/usr/bin/\0a",
    "/usr/bin/\0b",
    "/usr/bin/a\0a",
    "/usr/bin/b\0b",
    "/usr/bin/c\0c",
    "/usr/lib/c\0c",
    "",
  ]);
  index.replacePackage("a", undefined, "-");
  index.replacePackage("b", undefined, "-");
  index.replacePackage("c", undefined, "-");
  assert.deepEqual(new TextDecoder().decode(index.bytes()).split("\n").slice(1), [""]);
  assert.deepEqual(index.owners("/usr/"), []);
});

Deno.test("hasPathsUnder answers as a scan of every record would", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  const config = rootConfig(root);
  const next = random(7);
  const manifests = new Map<string, string[]>();
  for (let p = 0; p < 8; p++) {
    const lines = manifest(next, 30);
    manifests.set(`p${p}`, lines);
    install(root, `p${p}`, lines);
  }
  const index = OwnerIndex.load(config);
  const prefixes = new Set(["/", "/usr/", "/usr/b", "/nothing/", "/é/", "/z/z/z/z/"]);
  for (const lines of manifests.values()) {
    for (const line of lines) {
      for (let at = line.indexOf("/", 1); at > 0; at = line.indexOf("/", at + 1)) prefixes.add(line.slice(0, at + 1));
    }
  }
  for (const prefix of prefixes) {
    for (const except of [undefined, "p0", "p3", "nobody"]) {
      const want = [...manifests].some(([name, lines]) => name !== except && lines.some((l) => l.startsWith(prefix)));
      assert.equal(index.hasPathsUnder(prefix, except), want, `${prefix} except ${except}`);
    }
  }
  const empty = OwnerIndex.build(rootConfig(`${root}/nowhere`));
  assert.equal(empty.hasPathsUnder("/"), false);
});
