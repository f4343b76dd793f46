import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { diffSnapshots, inconsistencies, makeArchive, rootConfig, snapshot, testLog } from "../_helpers/packages.ts";

async function setup(root: string, pkgs: string) {
  Deno.mkdirSync(root);
  await installArchives(rootConfig(root), [
    await makeArchive({
      name: "layout",
      files: { "usr/bin/": { dir: true }, "usr/share/": { dir: true }, "bin": { symlink: "usr/bin" } },
    }, pkgs),
    await makeArchive({ name: "lib", files: { "usr/lib/liblib.so": "l", "usr/share/lib/data": "d" } }, pkgs),
    await makeArchive(
      { name: "app", depends: ["lib", "cc make"], files: { "bin/app": "a", "usr/share/app/x": "x" } },
      pkgs,
    ),
    await makeArchive({ name: "tool", depends: ["lib make"], files: { "usr/bin/tool": "t" } }, pkgs),
  ], testLog());
}

Deno.test("remove: refused while another package needs it at runtime; --force removes anyway", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  await setup(root, `${tmp.path}/pkgs`);
  const before = snapshot(root);
  await assert.rejects(
    () => removePackages(rootConfig(root), ["lib"], testLog()),
    (e) => e instanceof KilnError && /cannot remove lib: app depends on it/.test(e.message) && /--force/.test(e.hint!),
  );
  assert.deepEqual(diffSnapshots(before, snapshot(root)), [], "nothing was removed");
  await assert.rejects(
    () => removePackages(rootConfig(root), ["nope"], testLog()),
    (e) => e instanceof KilnError && /nope is not installed/.test(e.message),
  );
  await removePackages(rootConfig(root, { KISS_FORCE: "1" }), ["lib"], testLog());
  assert.throws(() => Deno.lstatSync(`${root}/usr/lib/liblib.so`));
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("remove: dependents named in the same command go first; files, then empty directories", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  await setup(root, `${tmp.path}/pkgs`);
  const log = testLog();
  await removePackages(rootConfig(root), ["lib", "app"], log);
  assert.deepEqual(log.events.lines("info").filter((l) => l.startsWith("removed")), ["removed app", "removed lib"]);
  for (const gone of ["usr/bin/app", "usr/share/app", "usr/share/lib", "usr/lib", "var/db/kiss/installed/app"]) {
    assert.throws(() => Deno.lstatSync(`${root}/${gone}`), gone);
  }
  assert.ok(Deno.statSync(`${root}/usr/share`).isDirectory, "a directory layout lists stays");
  assert.ok(Deno.statSync(`${root}/usr/bin/tool`).isFile);
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("remove: a link to a directory stays while other packages' files are behind it", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  await setup(root, `${tmp.path}/pkgs`);
  const config = rootConfig(root, { KISS_FORCE: "1" });
  await removePackages(config, ["layout"], testLog());
  assert.equal(Deno.readLinkSync(`${root}/bin`), "usr/bin", "kept: /usr/bin still holds files");
  assert.ok(Deno.statSync(`${root}/usr/bin/app`).isFile);
  await removePackages(config, ["app", "tool", "lib"], testLog());
  assert.ok(Deno.lstatSync(`${root}/bin`).isSymlink, "the link is unowned now, as kiss leaves it");
});

Deno.test("remove --dry-run changes nothing", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  await setup(root, `${tmp.path}/pkgs`);
  const { loadConfig } = await import("../../lib/config.ts");
  const config = loadConfig({ HOME: root, KISS_ROOT: root }, { dryRun: true }, root);
  const before = snapshot(root);
  const log = testLog();
  await removePackages(config, ["app"], log);
  assert.deepEqual(diffSnapshots(before, snapshot(root)), []);
  assert.ok(log.events.lines("info").includes("  remove /usr/bin/app"));
});

Deno.test({
  name: "remove: a deletion the system refuses stops with what to do; the next command completes the removal",
  ignore: Deno.uid() !== 0,
}, async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  await setup(root, `${tmp.path}/pkgs`);
  const locked = `${root}/usr/share/app`;
  const mount = (args: string[]) => new Deno.Command("mount", { args, stdout: "null", stderr: "null" }).outputSync();
  assert.ok(mount(["--bind", locked, locked]).success, "bind mount (root can mount, as the sandbox tests need)");
  try {
    assert.ok(mount(["-o", "remount,ro,bind", locked]).success, "remount read-only");
    await assert.rejects(
      () => removePackages(rootConfig(root), ["app"], testLog()),
      (e) =>
        e instanceof KilnError && e.message.startsWith("removing app was interrupted:") &&
        e.message.includes(`${locked}/x`) && /completes the removal/.test(e.hint!),
    );
  } finally {
    new Deno.Command("umount", { args: [locked] }).outputSync();
  }
  await removePackages(rootConfig(root, { KISS_FORCE: "1" }), ["tool"], testLog());
  for (const gone of ["usr/share/app", "bin/app", "var/db/kiss/installed/app", "usr/bin/tool"]) {
    assert.throws(() => Deno.lstatSync(`${root}/${gone}`), gone);
  }
  assert.deepEqual(inconsistencies(root), []);
});

Deno.test("remove: links to a file beside them go; a link to a directory beside it stays while it holds files", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const pkgs = `${tmp.path}/pkgs`;
  const config = rootConfig(root);
  await installArchives(config, [
    await makeArchive({
      name: "libz",
      files: {
        "usr/lib/libz.so.1": "z",
        "usr/lib/libz.so": { symlink: "libz.so.1" },
        "usr/lib/libz.so.0": { symlink: "gone" },
        "usr/lib/v2/": { dir: true },
        "usr/lib/current": { symlink: "v2" },
      },
    }, pkgs),
    await makeArchive({ name: "plugin", files: { "usr/lib/v2/plugin.so": "p" } }, pkgs),
  ], testLog());
  await removePackages(config, ["libz"], testLog());
  for (const gone of ["libz.so.1", "libz.so", "libz.so.0"]) {
    assert.throws(() => Deno.lstatSync(`${root}/usr/lib/${gone}`), Deno.errors.NotFound, gone);
  }
  assert.equal(Deno.readLinkSync(`${root}/usr/lib/current`), "v2", "kept: v2 still holds a file");
  assert.ok(Deno.statSync(`${root}/usr/lib/v2/plugin.so`).isFile);
});
