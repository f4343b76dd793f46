/**
 * Malicious and broken archives: each is refused with an error that says
 * what is wrong, and the root is left byte for byte as it was (every path,
 * type, mode, content and link target compared).
 */
import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  makeArchive,
  packageItems,
  type PackageSpec,
  rawArchive,
  type RawItem,
  rootConfig,
  snapshot,
  testLog,
  withManifest,
} from "../_helpers/packages.ts";

interface Case {
  name: string;
  /** Makes the archive in `dir`; returns its path. */
  make: (dir: string) => Promise<string>;
  /** What the error message must say. */
  error: RegExp;
}

const ok = (extra: RawItem[] = [], spec: Parameters<typeof packageItems>[0] = { name: "evil" }) =>
  withManifest(spec.name, [...packageItems(spec), ...extra]);

const CASES: Case[] = [
  {
    name: "path traversal with ..",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./usr/../../../etc/passwd", content: "root::0:0\n" }])),
    error: /unsafe entry/,
  },
  {
    name: "absolute entry name",
    make: (d) => rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "/etc/shadow", content: "x" }])),
    error: /unsafe entry/,
  },
  {
    name: "symlink then a file through it",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([
          { path: "./usr/", type: "directory" },
          { path: "./usr/lib", type: "symlink", linkName: "/etc" },
          { path: "./usr/lib/passwd", content: "pwned" },
        ]),
      ),
    error: /\/usr\/lib is a symbolic link of the archive, yet the archive has entries below it/,
  },
  {
    name: "writing through a link of the root into a directory no package owns",
    make: (d) => makeArchive({ name: "evil", files: { "opt/data/file": "x" } }, d),
    error: /written through a symbolic link in the root: \/opt\/data leads to \/srv\/secret/,
  },
  {
    name: "a file below a symbolic link that comes later in the archive",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([
          { path: "./usr/", type: "directory" },
          { path: "./usr/lib/", type: "directory" },
          { path: "./usr/lib/passwd", content: "pwned" },
          { path: "./usr/lib", type: "symlink", linkName: "/etc" },
        ]),
      ),
    error: /in the archive twice|\/usr\/lib is a symbolic link of the archive, yet the archive has entries below it/,
  },
  {
    name: "hard link out of the root",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./usr/shadow", type: "hardlink", linkName: "../etc/shadow" }])),
    error: /unsafe hard link/,
  },
  {
    name: "hard link to a file outside the package",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./usr/shadow", type: "hardlink", linkName: "etc/shadow" }])),
    error: /hard link to etc\/shadow, which is not an earlier file of the package/,
  },
  {
    name: "character device node",
    make: (d) => rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./dev/mem", type: "char" }])),
    error: /dev\/mem is a device node/,
  },
  {
    name: "fifo",
    make: (d) => rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./tmp/pipe", type: "fifo" }])),
    error: /tmp\/pipe is a fifo/,
  },
  {
    name: "manifest lists a file the archive lacks",
    make: (d) =>
      makeArchive({ name: "evil", files: { "usr/bin/a": "a" } }, d, {
        tamper: (p) => Deno.removeSync(`${p}/usr/bin/a`),
      }),
    error: /in the manifest but not in the archive: \/usr\/bin\/a/,
  },
  {
    name: "archive holds a file the manifest does not list",
    make: (d) =>
      makeArchive({ name: "evil", files: { "usr/bin/a": "a" } }, d, {
        tamper: (p) => Deno.writeTextFileSync(`${p}/usr/bin/hidden`, "x"),
      }),
    error: /in the archive but not in its manifest: \/usr\/bin\/hidden/,
  },
  {
    name: "truncated archive",
    make: async (d) => {
      const file = await makeArchive({ name: "evil", files: { "usr/bin/a": "a".repeat(100000) } }, d);
      const bytes = Deno.readFileSync(file);
      Deno.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
      return file;
    },
    error: /evil@1\.0-1\.tar\.gz/,
  },
  {
    name: "zstd archive cut short (read while the zstd program decompresses it)",
    make: async (d) => {
      const file = await makeArchive({ name: "evil", files: { "usr/bin/a": "a".repeat(300000) } }, d, {
        compress: "zst",
      });
      const bytes = Deno.readFileSync(file);
      Deno.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
      return file;
    },
    error: /evil@1\.0-1\.tar\.zst: cannot decompress: .*damaged zstd data/,
  },
  {
    name: "zstd archive with a corrupt byte",
    make: async (d) => {
      const big = Array.from({ length: 30000 }, (_, i) => `${i * 7919 % 10007}`).join(" ");
      const file = await makeArchive({ name: "evil", files: { "usr/bin/a": big } }, d, { compress: "zst" });
      const bytes = Deno.readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      Deno.writeFileSync(file, bytes);
      return file;
    },
    error: /cannot decompress: .*damaged zstd data|bad tar archive/,
  },
  {
    name: "zstd archive with a device node early on (refused while the rest is still decompressed)",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.zst`,
        ok([
          { path: "./dev/", type: "directory" },
          { path: "./dev/sda", type: "block" },
          { path: "./usr/", type: "directory" },
          { path: "./usr/big", content: "b".repeat(8 << 20) },
        ]),
      ),
    error: /dev\/sda is a device node/,
  },
  {
    name: "wrong compression (not an archive at all)",
    make: (d) => {
      const file = `${d}/evil@1.0-1.tar.zst`;
      Deno.writeFileSync(file, new TextEncoder().encode("this is not a package\n".repeat(100)));
      return Promise.resolve(file);
    },
    error: /bad tar archive|cannot decompress/,
  },
  {
    name: "no database entry",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, [{ path: "./usr/", type: "directory" }, { path: "./usr/x", content: "x" }]),
    error: /no database entry/,
  },
  {
    name: "database entry of another package inside",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./var/db/kiss/installed/base/manifest", content: "/\n" }]),
      ),
    error: /database entries of several packages/,
  },
  {
    name: "file name and database entry disagree",
    make: (d) =>
      makeArchive({ name: "evil" }, d).then((f) => {
        const renamed = `${d}/base@1.0-1.tar.gz`;
        Deno.renameSync(f, renamed);
        return renamed;
      }),
    error: /named for package base but holds the database entry of evil/,
  },
  {
    name: "a file in kiss's choices directory",
    make: (d) => rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./var/db/kiss/choices/x>bin>y", content: "y" }])),
    error: /inside kiss's database but not in a package's entry/,
  },
  {
    name: "conflicting file owned by an installed package",
    make: (d) => makeArchive({ name: "evil", files: { "etc/passwd": "evil:x:0:0\n" } }, d),
    error: /conflicts with installed packages \(1 file\):\n {2}\/etc\/passwd \(owned by base\)/,
  },
  {
    name: "conflict through a linked directory of the root",
    make: (d) => makeArchive({ name: "evil", files: { "bin/sh": "evil" } }, d),
    error: /\/bin\/sh \(owned by base\)/,
  },
  {
    name: "missing runtime dependency",
    make: (d) => makeArchive({ name: "evil", depends: ["gcc make", "libfoo"] }, d),
    error: /evil needs libfoo/,
  },
  {
    name: "a file where an installed package has a directory",
    make: (d) => makeArchive({ name: "evil", files: { "usr/share/thing": "file" } }, d),
    error: /\/usr\/share\/thing \(owned by base\)/,
  },
  {
    name: "a file where the root has a directory of the user's",
    make: (d) => makeArchive({ name: "evil", files: { "usr/share/userdir": "file" } }, d),
    error: /\/usr\/share\/userdir is a file in the package, but \/usr\/share\/userdir is a directory in the root/,
  },
  {
    name: "a directory where the root has a file of the user's",
    make: (d) => makeArchive({ name: "evil", files: { "usr/share/userfile/x": "x" } }, d),
    error: /\/usr\/share\/userfile\/ is a directory in the package, but \/usr\/share\/userfile is a file in the root/,
  },
  {
    name: "a manifest line with ..",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, [
        ...packageItems({ name: "evil" }).filter((i) => !i.path.endsWith("/manifest")),
        {
          path: "./var/db/kiss/installed/evil/manifest",
          content: "/var/db/kiss/installed/evil/manifest\n/../etc/passwd\n",
        },
      ]),
    error: /manifest line 2 is not a clean absolute path/,
  },
  {
    name: "the same file twice",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./usr/", type: "directory" }, { path: "./usr/x", content: "1" }, {
          path: "usr/x",
          content: "2",
        }]),
      ),
    error: /\/usr\/x is in the archive twice/,
  },
  {
    name: "no version file",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        withManifest("evil", packageItems({ name: "evil" }).filter((i) => !i.path.endsWith("/version"))),
      ),
    error: /no version file/,
  },
  {
    name: "a broken depends file",
    make: (d) => makeArchive({ name: "evil", depends: ["ok", "bad name here"] }, d),
    error: /depends:2/,
  },
  // kiss's database belongs to kiln.
  {
    name: "a file written through a link of the root into another package's database entry",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./usr/share/dblink/installed/base/pre-remove", content: "rm -rf /\n", mode: 0o755 }]),
      ),
    error:
      /\/usr\/share\/dblink\/installed\/base\/pre-remove would be written into kiss's database \(it resolves to \/var\/db\/kiss\/installed\/base\/pre-remove/,
  },
  {
    name: "kiln's lock written through a link of the root",
    make: (d) => makeArchive({ name: "evil", files: { "usr/share/dblink/.kiln-lock": { symlink: "/etc/shadow" } } }, d),
    error: /\/usr\/share\/dblink\/\.kiln-lock would be written into kiss's database/,
  },
  {
    name: "a directory made through a link of the root into kiss's database",
    make: (d) => makeArchive({ name: "evil", files: { "usr/share/dblink/installed/zzz/": { dir: true } } }, d),
    error:
      /\/usr\/share\/dblink\/installed\/ would be written into kiss's database \(it resolves to \/var\/db\/kiss\/installed through/,
  },
  {
    name: "a relative symbolic link into kiss's database",
    make: (d) => makeArchive({ name: "evil", files: { "usr/x": { symlink: "../var/db/kiss" } } }, d),
    error: /\/usr\/x is a symbolic link into kiss's database \(\.\.\/var\/db\/kiss leads to \/var\/db\/kiss\)/,
  },
  {
    name: "an absolute symbolic link to another package's database entry",
    make: (d) =>
      makeArchive({ name: "evil", files: { "usr/lib/evil": { symlink: "/var/db/kiss/installed/base" } } }, d),
    error: /\/usr\/lib\/evil is a symbolic link into kiss's database/,
  },
  {
    name: "a symbolic link into the database through another link of the archive",
    make: (d) =>
      makeArchive({
        name: "evil",
        files: { "usr/a": { symlink: "b/db/kiss/choices" }, "usr/b": { symlink: "../var" } },
      }, d),
    error:
      /\/usr\/a is a symbolic link into kiss's database \(b\/db\/kiss\/choices leads to \/var\/db\/kiss\/choices\)/,
  },
  {
    name: "a symbolic link into the database through a link of the root",
    make: (d) => makeArchive({ name: "evil", files: { "usr/lib/x": { symlink: "../../bin/../../var/db/kiss/" } } }, d),
    error: /\/usr\/lib\/x is a symbolic link into kiss's database/,
  },
  {
    name: "a symbolic link planted as kiss's choices directory",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, ok([{ path: "./var/db/kiss/choices", type: "symlink", linkName: "/etc" }])),
    error: /\/var\/db\/kiss\/choices is inside kiss's database but not in a package's entry/,
  },
  {
    name: "kiln's journal shipped in the archive",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./var/db/kiss/.kiln-journal", content: '{"kind":"remove"}\n' }]),
      ),
    error: /\/var\/db\/kiss\/\.kiln-journal is inside kiss's database but not in a package's entry/,
  },
  {
    name: "a file in another package's database entry",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./var/db/kiss/installed/base/pre-remove", content: "#!/bin/sh\n", mode: 0o755 }]),
      ),
    error: /database entries of several packages inside \(base, evil\)/,
  },
  {
    name: "the root's var planted as a symbolic link",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, [
        { path: "./var", type: "symlink", linkName: "/tmp" },
        ...ok().filter((i) => i.path !== "./var/"),
      ]),
    error: /\/var is a symbolic link of the archive, yet the archive has entries below it/,
  },
  {
    name: "the root's var/db planted as a symbolic link",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, [
        { path: "./var/", type: "directory" },
        { path: "./var/db", type: "symlink", linkName: "../tmp" },
        ...ok().filter((i) => i.path !== "./var/" && i.path !== "./var/db/"),
      ]),
    error: /\/var\/db is a symbolic link of the archive, yet the archive has entries below it/,
  },
  {
    name: "a hard link to another package's database file",
    make: (d) =>
      rawArchive(
        `${d}/evil@1.0-1.tar.gz`,
        ok([{ path: "./usr/manifest", type: "hardlink", linkName: "var/db/kiss/installed/base/manifest" }]),
      ),
    error: /\/usr\/manifest is a hard link to var\/db\/kiss\/installed\/base\/manifest, which is not an earlier file/,
  },
  {
    name: "a symbolic link inside the package's own database entry",
    make: (d) =>
      makeArchive({ name: "evil", files: { "var/db/kiss/installed/evil/pre-remove": { symlink: "/bin/sh" } } }, d),
    error: /\/var\/db\/kiss\/installed\/evil\/pre-remove is a symbolic link in the package's database entry/,
  },
  {
    name: "the manifest lists files its entry does not have",
    make: (d) =>
      rawArchive(`${d}/evil@1.0-1.tar.gz`, [
        ...ok().filter((i) => !i.path.endsWith("/manifest")),
        {
          path: "./var/db/kiss/installed/evil/manifest",
          content: "/var/db/kiss/installed/evil/version\n/var/db/kiss/installed/evil/manifest\n" +
            "/var/db/kiss/installed/evil/build\n/var/db/kiss/installed/base/manifest\n",
        },
      ]),
    error: /in the manifest but not in the archive: \/var\/db\/kiss\/installed\/base\/manifest/,
  },
  // Names and text.
  {
    name: "a manifest line with a carriage return",
    make: (d) => makeArchive({ name: "evil", files: { "usr/bin/ls\r": "x" } }, d),
    error: /manifest line \d+ has a control character: \/usr\/bin\/ls\\r/,
  },
  {
    name: "a manifest line with a terminal escape",
    make: (d) => makeArchive({ name: "evil", files: { "usr/bin/\x1b[2Kls": "x" } }, d),
    error: /manifest line \d+ has a control character: \/usr\/bin\/\\x1b\[2Kls/,
  },
  ...["-rf", "evil pkg", "evil\u202egpj", "evil\x1b[2K", "..x", "+x"].map((name): Case => ({
    name: `a database entry named ${JSON.stringify(name)}`,
    make: (d) => rawArchive(`${d}/pkg.tar.gz`, ok([], { name })),
    error: /the database entry \/var\/db\/kiss\/installed\/.* is not named for a package \(a package name is made of/,
  })),
  ...["..", "."].map((name): Case => ({
    name: `a database entry named ${name}`,
    make: (d) => rawArchive(`${d}/pkg.tar.gz`, ok([], { name })),
    error: /unsafe entry|database entries of several packages inside|not named for a package/,
  })),
  {
    name: "a database entry named with a slash",
    make: (d) => rawArchive(`${d}/pkg.tar.gz`, ok([], { name: "a/b" })),
    error: /no manifest \(\/var\/db\/kiss\/installed\/a\/manifest\)/,
  },
  {
    name: "a version with a terminal escape",
    make: (d) => makeArchive({ name: "evil", version: "1.0\x1b[2J" }, d),
    error: /\/var\/db\/kiss\/installed\/evil\/version has a control character in its first line: 1\.0\\x1b\[2J 1/,
  },
  {
    name: "a version with a carriage return",
    make: (d) => makeArchive({ name: "evil", release: "1\r" }, d),
    error: /version has a control character in its first line: 1\.0 1\\r/,
  },
  {
    name: "a version broken by a newline",
    make: (d) => makeArchive({ name: "evil", version: "1.0\n", release: "1" }, d),
    error: /no release field after version '1\.0'/,
  },
];

Deno.test("refused archives leave the root byte for byte unchanged", async (t) => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = rootConfig(root);
  const log = testLog();
  // A root with a base package, a link of the user's to an unowned directory, and a directory in the way.
  const base = await makeArchive({
    name: "base",
    files: {
      "usr/bin/sh": { content: "#!\n", mode: 0o755 },
      "bin": { symlink: "usr/bin" },
      "etc/passwd": "root:x:0:0\n",
      "opt/": { dir: true },
      "usr/share/thing/": { dir: true },
    },
  }, `${tmp.path}/base`);
  await installArchives(config, [base], log);
  Deno.mkdirSync(`${root}/srv/secret`, { recursive: true });
  Deno.writeTextFileSync(`${root}/srv/secret/keep`, "secret\n");
  Deno.symlinkSync("/srv/secret", `${root}/opt/data`);
  Deno.mkdirSync(`${root}/usr/share/userdir`);
  Deno.writeTextFileSync(`${root}/usr/share/userfile`, "mine\n");
  // A link of the user's into kiss's database (every package owns /var/db/kiss/, so nothing else stops a write).
  Deno.symlinkSync("../../var/db/kiss", `${root}/usr/share/dblink`);
  const before = snapshot(root);
  assert.ok(CASES.length >= 15);
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const dir = Deno.makeTempDirSync({ dir: tmp.path, prefix: c.name.replace(/\W+/g, "-") });
      const file = await c.make(dir);
      await assert.rejects(() => installArchives(config, [file], log), (err) => {
        assert.ok(err instanceof KilnError, `a KilnError, not ${err}`);
        assert.match(err.message, c.error);
        assert.ok(err.hint, "the error says what to do");
        return true;
      });
      assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
    });
  }
});

Deno.test("two packages: a link left by one is never a way into kiss's database for another", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const outside = `${tmp.path}/outside`;
  Deno.mkdirSync(outside);
  Deno.writeTextFileSync(`${outside}/keep`, "host file\n");
  const config = rootConfig(root);
  const log = testLog();
  await installArchives(config, [
    await makeArchive({ name: "base", files: { "usr/bin/sh": "#!\n" }, preRemove: "#!/bin/sh\n" }, `${tmp.path}/base`),
  ], log);
  // A links one of its directories to /var (not into the database itself): allowed.
  await installArchives(config, [
    await makeArchive({ name: "a", files: { "usr/share/v": { symlink: "../../var" } } }, `${tmp.path}/a`),
  ], log);
  const before = snapshot(root);
  const host = snapshot(outside);
  const attacks: [string, PackageSpec, RegExp][] = [
    [
      "another package's pre-remove",
      { name: "b", files: { "usr/share/v/db/kiss/installed/base/pre-remove": "#!/bin/sh\nrm -rf /\n" } },
      /\/usr\/share\/v\/db\/kiss\/ would be written into kiss's database \(it resolves to \/var\/db\/kiss through/,
    ],
    [
      "a link named as the owner index's temporary file",
      { name: "b", files: { "usr/share/v/db/kiss/.kiln-owners.1.tmp": { symlink: `${outside}/keep` } } },
      /would be written into kiss's database/,
    ],
    [
      "a link into the database through the other package's link",
      { name: "b", files: { "usr/lib/db": { symlink: "../share/v/db/kiss/installed" } } },
      /\/usr\/lib\/db is a symbolic link into kiss's database \(\.\.\/share\/v\/db\/kiss\/installed leads to \/var\/db\/kiss\/installed\)/,
    ],
  ];
  for (const [what, spec, error] of attacks) {
    const file = await makeArchive(spec, Deno.makeTempDirSync({ dir: tmp.path }));
    await assert.rejects(() => installArchives(config, [file], log), (err) => {
      assert.ok(err instanceof KilnError, `${what}: a KilnError, not ${err}`);
      assert.match(err.message, error, `${what}: ${err.message}`);
      assert.ok(err.message.startsWith(file), `${what}: the archive is named`);
      return true;
    });
    assert.deepEqual(diffSnapshots(before, snapshot(root)), [], what);
    assert.deepEqual(diffSnapshots(host, snapshot(outside)), [], what);
  }

  // Both in one run: the link comes in with the first package, the second is refused before it writes anything.
  const w = await makeArchive({ name: "w", files: { "usr/share/w": { symlink: "../../var/db" } } }, `${tmp.path}/w`);
  const x = await makeArchive(
    { name: "x", depends: ["w"], files: { "usr/share/w/kiss/installed/base/post-install": "#!/bin/sh\n" } },
    `${tmp.path}/x`,
  );
  await assert.rejects(
    () => installArchives(config, [x, w], log),
    /x@1\.0-1\.tar\.gz: \/usr\/share\/w\/kiss\/ would be written into kiss's database \(it resolves to \/var\/db\/kiss through/,
  );
  assert.equal(Deno.readLinkSync(`${root}/usr/share/w`), "../../var/db", "the first package is installed");
  assert.throws(() => Deno.lstatSync(`${root}/var/db/kiss/installed/base/post-install`), Deno.errors.NotFound);
  assert.throws(() => Deno.lstatSync(`${root}/var/db/kiss/installed/x`), Deno.errors.NotFound);
  assert.deepEqual(diffSnapshots(host, snapshot(outside)), []);

  // A manifest an older kiln may have accepted lists a path reaching into the database through A's link:
  // removing the package deletes nothing there.
  const manifest = `${root}/var/db/kiss/installed/a/manifest`;
  Deno.writeTextFileSync(
    manifest,
    "/usr/share/v/db/kiss/installed/base/pre-remove\n/usr/share/v/db/kiss/.kiln-lock\n" +
      Deno.readTextFileSync(manifest),
  );
  await removePackages(config, ["a"], log);
  assert.ok(Deno.lstatSync(`${root}/var/db/kiss/.kiln-lock`).isFile, "kiln's lock is not deleted through the link");
  assert.equal(Deno.readTextFileSync(`${root}/var/db/kiss/installed/base/pre-remove`), "#!/bin/sh\n");
  assert.ok(Deno.statSync(`${root}/var/db/kiss/installed/base/manifest`).isFile);
  assert.throws(() => Deno.lstatSync(`${root}/var/db/kiss/installed/a`), Deno.errors.NotFound);
  assert.deepEqual(diffSnapshots(host, snapshot(outside)), []);
});

Deno.test("pre-remove runs only from the package's own entry: a link there (left by an older kiln) is not run", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = rootConfig(root);
  await installArchives(config, [
    await makeArchive({ name: "base", files: { "usr/bin/a": "a" }, preRemove: "#!/bin/sh\necho base\n" }, tmp.path),
    await makeArchive({ name: "victim", files: { "usr/bin/v": "v" } }, tmp.path),
  ], testLog());
  // victim's pre-remove is a link to base's: removing victim must not run base's script (as root).
  Deno.symlinkSync("../base/pre-remove", `${root}/var/db/kiss/installed/victim/pre-remove`);
  const log = testLog();
  await removePackages(config, ["victim"], log);
  assert.deepEqual(log.events.lines("warn"), [
    `victim: skipping pre-remove: ${root}/var/db/kiss/installed/victim/pre-remove is reached through a symbolic link, ` +
    "not a file of the package's own entry",
  ]);
  assert.ok(!log.events.lines().some((l) => l.includes("running pre-remove")));
  assert.equal(Deno.readTextFileSync(`${root}/var/db/kiss/installed/base/pre-remove`), "#!/bin/sh\necho base\n");
});

Deno.test("a database entry that is a link (left by an older kiln) is never read to delete or upgrade", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const config = rootConfig(root);
  await installArchives(
    config,
    [await makeArchive({ name: "base", files: { "usr/bin/a": "a" } }, tmp.path)],
    testLog(),
  );
  // A user's file, and an "entry" elsewhere whose manifest lists it.
  Deno.mkdirSync(`${root}/home/user`, { recursive: true });
  Deno.writeTextFileSync(`${root}/home/user/thesis`, "years of work\n");
  Deno.mkdirSync(`${root}/tmp/fake`, { recursive: true });
  Deno.writeTextFileSync(`${root}/tmp/fake/manifest`, "/home/user/thesis\n/var/db/kiss/installed/evil/manifest\n");
  Deno.writeTextFileSync(`${root}/tmp/fake/version`, "1 1\n");
  Deno.symlinkSync("../../../../tmp/fake", `${root}/var/db/kiss/installed/evil`);
  // The owner index is derived data, rebuilt as it likes.
  const derived = (p: string) => p.endsWith("/.kiln-owners");
  const before = snapshot(root, derived);
  const refused =
    /the database entry .*\/var\/db\/kiss\/installed\/evil is a symbolic link; kiln does not follow links/;
  await assert.rejects(() => removePackages(config, ["evil"], testLog()), refused);
  await assert.rejects(
    async () =>
      installArchives(
        config,
        [await makeArchive({ name: "evil", files: { "usr/bin/e": "e" } }, `${tmp.path}/e`)],
        testLog(),
      ),
    refused,
  );
  assert.deepEqual(diffSnapshots(before, snapshot(root, derived)), []);
});
