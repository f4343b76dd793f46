import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { OwnerIndex } from "../../lib/db/owners.ts";
import { readManifest } from "../../lib/db/manifest.ts";
import { listAlternatives, swapAlternative } from "../../lib/install/alternatives.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { inconsistencies, makeArchive, rootConfig, testLog } from "../_helpers/packages.ts";

Deno.test("KISS_CHOICE=1 keeps conflicting files as alternatives, which swap back and forth", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  Deno.mkdirSync(root);
  const pkgs = `${tmp.path}/pkgs`;
  const config = rootConfig(root);
  const choice = rootConfig(root, { KISS_CHOICE: "1" });
  await installArchives(config, [
    await makeArchive({ name: "layout", files: { "usr/bin/": { dir: true }, "bin": { symlink: "usr/bin" } } }, pkgs),
    await makeArchive({
      name: "busybox",
      files: { "usr/bin/ls": { content: "busybox ls", mode: 0o755 }, "usr/bin/sh": "bb sh" },
    }, pkgs),
  ], testLog());
  const coreutils = await makeArchive({
    name: "coreutils",
    files: { "bin/ls": { content: "gnu ls", mode: 0o755 }, "usr/bin/cat": "cat" },
  }, pkgs);

  // Without KISS_CHOICE: refused, naming the file and its owner (found through /bin -> usr/bin).
  await assert.rejects(
    () => installArchives(config, [coreutils], testLog()),
    (e) => e instanceof KilnError && /\/bin\/ls \(owned by busybox\)/.test(e.message) && /KISS_CHOICE=1/.test(e.hint!),
  );

  const log = testLog();
  await installArchives(choice, [coreutils], log);
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/ls`), "busybox ls", "the installed owner keeps the file");
  const kept = `${root}/var/db/kiss/choices/coreutils>bin>ls`;
  assert.equal(Deno.readTextFileSync(kept), "gnu ls");
  assert.equal((Deno.statSync(kept).mode ?? 0) & 0o777, 0o755);
  const m = readManifest(config.installedDir, "coreutils");
  assert.ok(m.includes("/var/db/kiss/choices/coreutils>bin>ls") && m.includes("/var/db/kiss/choices/"));
  assert.ok(!m.includes("/bin/ls"));
  assert.deepEqual(listAlternatives(config), [{ pkg: "coreutils", path: "/bin/ls" }]);
  assert.deepEqual(inconsistencies(root), []);

  // --dry-run only says what it would do.
  const { loadConfig } = await import("../../lib/config.ts");
  const dry = testLog();
  await swapAlternative(
    loadConfig({ HOME: root, KISS_ROOT: root }, { dryRun: true }, root),
    "coreutils",
    "/bin/ls",
    dry,
  );
  assert.deepEqual(dry.events.lines(), ["would swap /bin/ls to coreutils"]);
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/ls`), "busybox ls");

  // Swap coreutils' ls in (named by where it leads, /usr/bin/ls, or by /bin/ls).
  await swapAlternative(config, "coreutils", "/usr/bin/ls", testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/ls`), "gnu ls");
  assert.equal(Deno.readTextFileSync(`${root}/var/db/kiss/choices/busybox>usr>bin>ls`), "busybox ls");
  assert.deepEqual(listAlternatives(config), [{ pkg: "busybox", path: "/usr/bin/ls" }]);
  assert.ok(readManifest(config.installedDir, "busybox").includes("/var/db/kiss/choices/busybox>usr>bin>ls"));
  assert.ok(readManifest(config.installedDir, "coreutils").includes("/bin/ls"));
  assert.deepEqual(OwnerIndex.load(config).owners("/usr/bin/ls"), ["coreutils"]);
  assert.deepEqual(inconsistencies(root), []);

  // Removing busybox would leave coreutils without... no: removing coreutils would orphan busybox's ls.
  await assert.rejects(
    () => removePackages(config, ["coreutils"], testLog()),
    (e) => e instanceof KilnError && /kept as alternatives by busybox/.test(e.message),
  );

  // And back.
  await swapAlternative(config, "busybox", "/usr/bin/ls", testLog());
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/ls`), "busybox ls");
  assert.deepEqual(listAlternatives(config), [{ pkg: "coreutils", path: "/bin/ls" }]);

  // Removing the package removes its alternatives.
  await removePackages(config, ["coreutils"], testLog());
  assert.deepEqual(listAlternatives(config), []);
  assert.deepEqual(inconsistencies(root), []);

  await assert.rejects(
    () => swapAlternative(config, "busybox", "/usr/bin/nope", testLog()),
    (e) => e instanceof KilnError && /there is no alternative 'busybox \/usr\/bin\/nope'/.test(e.message),
  );
});
