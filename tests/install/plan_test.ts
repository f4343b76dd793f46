/**
 * Planning an install: two names of a package that lead to one file in the
 * root — through a link of the root, or because an `/etc` file is kept
 * and the new one saved as `FILE.new` next to a `FILE.new` of the package —
 * are refused with the root untouched; directories that two names of the
 * package lead to still take files of distinct names.
 */
import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { readPackage, releasePackages } from "../../lib/install/package.ts";
import { planInstall } from "../../lib/install/plan.ts";
import { OwnerIndex } from "../../lib/db/owners.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  inconsistencies,
  isKilnFile,
  makeArchive,
  rootConfig,
  snapshot,
  testLog,
} from "../_helpers/packages.ts";

async function linkedRoot(dir: string): Promise<string> {
  const root = `${dir}/root`;
  Deno.mkdirSync(root);
  await installArchives(rootConfig(root), [
    await makeArchive({ name: "layout", files: { "usr/lib/": { dir: true }, "lib": { symlink: "usr/lib" } } }, dir),
  ], testLog());
  return root;
}

Deno.test("two names of a package that are one file through a link of the root are refused", async () => {
  await using tmp = await tempDir();
  const root = await linkedRoot(tmp.path);
  const before = snapshot(root);
  const archive = await makeArchive({
    name: "twin",
    files: { "usr/lib/libz.so": "one", "usr/lib/other.so": "x", "lib/libz.so": "two", "lib/third.so": "y" },
  }, `${tmp.path}/pkgs`);
  await assert.rejects(() => installArchives(rootConfig(root), [archive], testLog()), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.match(
      err.message,
      /: (\/usr)?\/lib\/libz\.so and (\/usr)?\/lib\/libz\.so are the same file \/usr\/lib\/libz\.so in the root/,
    );
    assert.ok(err.message.includes(" /lib/libz.so") && err.message.includes(" /usr/lib/libz.so"), err.message);
    return true;
  });
  assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
});

Deno.test("files of distinct names under two names of one directory are installed", async () => {
  await using tmp = await tempDir();
  const root = await linkedRoot(tmp.path);
  const archive = await makeArchive({
    name: "both",
    files: { "usr/lib/a.so": "a", "lib/b.so": "b", "usr/lib/c.so": "c" },
  }, `${tmp.path}/pkgs`);
  await installArchives(rootConfig(root), [archive], testLog());
  for (const name of ["a", "b", "c"]) assert.equal(Deno.readTextFileSync(`${root}/usr/lib/${name}.so`), name);
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("an /etc file saved as FILE.new where the package has its own FILE.new is refused", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(`${root}/etc`, { recursive: true });
  Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
  // The user's own file, which the package did not install: kept, and the package's saved as .new.
  Deno.writeTextFileSync(`${root}/etc/app.conf`, "mine\n");
  const before = snapshot(root, isKilnFile);
  const archive = await makeArchive({
    name: "app",
    files: { "etc/app.conf": "theirs\n", "etc/app.conf.new": "also theirs\n" },
  }, `${tmp.path}/pkgs`);
  await assert.rejects(() => installArchives(rootConfig(root), [archive], testLog()), (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /are the same file \/etc\/app\.conf\.new/);
    return true;
  });
  assert.deepEqual(diffSnapshots(before, snapshot(root, isKilnFile)), []);
});

Deno.test("the plan says where each directory's run of files starts, new directories' files first", async () => {
  await using tmp = await tempDir();
  const root = await linkedRoot(tmp.path);
  const archive = await makeArchive({
    name: "spread",
    files: {
      "usr/lib/a.so": "a",
      "usr/lib/b.so": "b",
      "usr/share/spread/x": "x",
      "usr/share/spread/y": "y",
      "usr/share/spread/doc/z": "z",
    },
  }, `${tmp.path}/pkgs`);
  const config = rootConfig(root);
  const pkg = await readPackage(archive);
  try {
    const plan = planInstall(pkg, { paths: config, index: OwnerIndex.load(config), choice: false, tag: "t" });
    const order = [...plan.direct.map((d) => d.target), ...plan.record.files];
    const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
    // Every file whose directory differs from the one before starts a run, and only those.
    const starts = order.flatMap((p, i) => (i === 0 || dirOf(order[i - 1]) !== dirOf(p) ? [i] : []));
    assert.deepEqual(plan.runs, starts);
    assert.deepEqual(order.slice(0, 3).map(dirOf).sort(), [
      "/usr/share/spread",
      "/usr/share/spread",
      "/usr/share/spread/doc",
    ]);
    assert.deepEqual(
      plan.record.files.map(dirOf),
      ["/usr/lib", "/usr/lib"],
      "files of an existing directory are renamed",
    );
  } finally {
    releasePackages([pkg]);
  }
});
