import assert from "node:assert/strict";
import { generateManifest, parseManifest, readManifest } from "../../lib/db/manifest.ts";
import { byteOrder, reverseByteOrder } from "../../lib/db/order.ts";
import { KilnError } from "../../lib/errors.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { writeKissDatabase, writePackageDir } from "../_helpers/packages.ts";

Deno.test("generateManifest lists what kiss's own find | sort -ur pipeline lists, in the same order", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.path}/pkg`;
  writePackageDir({
    name: "zlib",
    files: {
      "usr/lib/libz.so.1.3": "ELF",
      "usr/lib/libz.so": { symlink: "libz.so.1.3" },
      "usr/lib/libz.la": "libtool",
      "usr/lib/charset.alias": "alias",
      "usr/share/doc/zlib/Ünïcode-ß.txt": "u",
      "usr/share/doc/zlib/emoji-😀.txt": "e",
      "usr/share/doc/zlib/z-\uE000.txt": "private use",
      "usr/include/zlib.h": "h",
      "usr/include/sub dir/with space.h": "s",
      "etc/zlib.conf": "c",
      "etc/empty/": { dir: true },
      "usr/lib64": { symlink: "lib" },
    },
    depends: ["musl"],
  }, dir);
  const ours = generateManifest(dir, "zlib");
  await writeKissDatabase(dir, "zlib");
  const theirs = parseManifest(Deno.readTextFileSync(`${dir}/var/db/kiss/installed/zlib/manifest`));
  assert.deepEqual(ours, theirs);
  assert.ok(ours.includes("/var/db/kiss/installed/zlib/etcsums"), "a package with /etc lists its etcsums");
  assert.ok(ours.includes("/usr/lib64"), "a link to a directory is listed as a file");
  assert.ok(!ours.some((l) => l.endsWith(".la") || l.endsWith("charset.alias")));
  assert.ok(ours.indexOf("/usr/lib/libz.so") < ours.indexOf("/usr/lib/"), "children come before parents");
});

Deno.test("generateManifest leaves etcsums out when the package has no /etc", async () => {
  await using tmp = await tempDir();
  writePackageDir({ name: "a", files: { "usr/bin/a": "a" } }, `${tmp.path}/a`);
  const m = generateManifest(`${tmp.path}/a`, "a");
  assert.ok(m.includes("/var/db/kiss/installed/a/manifest"));
  assert.ok(!m.some((l) => l.endsWith("/etcsums")));
});

Deno.test("generateManifest: an unreadable package directory is a KilnError naming it", () => {
  assert.throws(
    () => generateManifest("/nonexistent/pkgdir", "x"),
    (e) => e instanceof KilnError && /\/nonexistent\/pkgdir/.test(e.message),
  );
});

Deno.test("readManifest: lines of an installed package; not installed and damaged entries are errors", async () => {
  await using tmp = await tempDir();
  const installed = `${tmp.path}/installed`;
  Deno.mkdirSync(`${installed}/a`, { recursive: true });
  Deno.writeTextFileSync(`${installed}/a/manifest`, "/usr/bin/a\n/usr/bin/\n\n/usr/\n");
  assert.deepEqual(readManifest(installed, "a"), ["/usr/bin/a", "/usr/bin/", "/usr/"]);
  assert.throws(
    () => readManifest(installed, "b"),
    (e) => e instanceof KilnError && /b is not installed/.test(e.message),
  );
  Deno.mkdirSync(`${installed}/c`);
  assert.throws(
    () => readManifest(installed, "c"),
    (e) => e instanceof KilnError && /c has no manifest/.test(e.message),
  );
});

Deno.test("byteOrder sorts as UTF-8 bytes do (LC_ALL=C sort), including characters beyond U+FFFF", async () => {
  const words = ["b", "a", "é", "😀", "\uE000", "Z", "a/", "a\t", "ab"];
  const sorted = [...words].sort(byteOrder);
  const out = await new Deno.Command("sort", {
    env: { LC_ALL: "C" },
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = out.stdin.getWriter();
  await w.write(new TextEncoder().encode(words.join("\n") + "\n"));
  await w.close();
  const sortOut = new TextDecoder().decode((await out.output()).stdout).split("\n").filter((l) => l !== "");
  assert.deepEqual(sorted, sortOut);
  assert.deepEqual([...words].sort(reverseByteOrder), [...sortOut].reverse());
});
