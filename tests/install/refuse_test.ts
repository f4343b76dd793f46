/**
 * Malicious and broken archives: each is refused with an error that says
 * what is wrong, and the root is left byte for byte as it was (every path,
 * type, mode, content and link target compared).
 */
import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  makeArchive,
  packageItems,
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
  const before = snapshot(root);
  assert.ok(CASES.length >= 15);
  for (const c of CASES) {
    await t.step(c.name, async () => {
      const dir = `${tmp.path}/${c.name.replace(/\W+/g, "-")}`;
      Deno.mkdirSync(dir);
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
