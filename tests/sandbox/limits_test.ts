/**
 * The build's bounds: KISS_PIDS_MAX, KISS_MEMORY_MAX and KISS_TMPFS_SIZE
 * parsed with clear errors, and a build's control group made, bounded,
 * emptied and removed on this machine.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { loadConfig, parseSandboxLimits, sizeInBytes } from "../../lib/config.ts";
import { UsageError } from "../../lib/errors.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { createBuildCgroup, endCgroup, formatBytes, limitsReached } from "../../lib/sandbox/cgroup.ts";
import { kiln, withTempDir, writeRecipe } from "../_helpers/build.ts";

Deno.test("limits: defaults, and the values each variable takes", () => {
  deepStrictEqual(parseSandboxLimits({}), { pids: 4096, memory: undefined, tmpfsSize: "25%" });
  deepStrictEqual(parseSandboxLimits({ KISS_PIDS_MAX: "", KISS_MEMORY_MAX: "", KISS_TMPFS_SIZE: "" }), {
    pids: 4096,
    memory: undefined,
    tmpfsSize: "25%",
  });
  deepStrictEqual(parseSandboxLimits({ KISS_PIDS_MAX: "100", KISS_MEMORY_MAX: "8g", KISS_TMPFS_SIZE: "512m" }), {
    pids: 100,
    memory: "8g",
    tmpfsSize: "512m",
  });
  strictEqual(parseSandboxLimits({ KISS_MEMORY_MAX: "max" }).memory, undefined);
  strictEqual(parseSandboxLimits({ KISS_MEMORY_MAX: "0" }).memory, undefined);
  strictEqual(parseSandboxLimits({ KISS_MEMORY_MAX: "50%" }).memory, "50%");
  deepStrictEqual(loadConfig({ KISS_TMPFS_SIZE: "1g" }).sandboxLimits.tmpfsSize, "1g");
});

Deno.test("limits: a value that is not one is refused, naming the variable and what it takes", () => {
  const refused = (env: Record<string, string>, message: string, hint: RegExp) =>
    throws(() => loadConfig(env), (err: unknown) => {
      ok(err instanceof UsageError, String(err));
      strictEqual(err.message, message);
      ok(hint.test(err.hint ?? ""), err.hint);
      return true;
    });
  refused({ KISS_PIDS_MAX: "lots" }, "KISS_PIDS_MAX=lots is not a number of processes", /16 to 4194304/);
  refused({ KISS_PIDS_MAX: "3" }, "KISS_PIDS_MAX=3 is not a number of processes", /16 to 4194304/);
  refused({ KISS_PIDS_MAX: "-5" }, "KISS_PIDS_MAX=-5 is not a number of processes", /whole number/);
  refused({ KISS_MEMORY_MAX: "8 GB" }, "KISS_MEMORY_MAX=8 GB is not a size", /k, m, g or t/);
  refused({ KISS_TMPFS_SIZE: "150%" }, "KISS_TMPFS_SIZE=150% is not a size", /1% to 100%/);
  refused({ KISS_TMPFS_SIZE: "0" }, "KISS_TMPFS_SIZE=0 is not a size", /e\.g\. 4g/);
  // tmpfs would read these its own way: they never reach a mount.
  refused({ KISS_TMPFS_SIZE: "1m,nr_inodes=1" }, "KISS_TMPFS_SIZE=1m,nr_inodes=1 is not a size", /k, m, g or t/);
});

Deno.test("limits: sizes in bytes, and as kiln says them", () => {
  strictEqual(sizeInBytes("512", 0), 512);
  strictEqual(sizeInBytes("4k", 0), 4096);
  strictEqual(sizeInBytes("64M", 0), 64 * 2 ** 20);
  strictEqual(sizeInBytes("2g", 0), 2 * 2 ** 30);
  strictEqual(sizeInBytes("25%", 1000), 250);
  strictEqual(formatBytes(64 * 2 ** 20), "64 MiB");
  strictEqual(formatBytes(1536), "1536 bytes");
  strictEqual(formatBytes(3 * 2 ** 30), "3 GiB");
});

Deno.test("a build's control group bounds its processes, is emptied and removed", async () => {
  const events = collectEvents();
  const group = createBuildCgroup({ pids: 50 }, new Log(events));
  if (!group) {
    // No cgroup for the build here (not root, or no pids controller): nothing was made.
    strictEqual(events.lines().some((l) => l.includes("control group")), false);
    return;
  }
  try {
    strictEqual(Deno.readTextFileSync(`${group.path}/pids.max`).trim(), "50");
    deepStrictEqual(limitsReached(group), []);
    // A process moved in is killed when the group ends, and the group goes.
    const sleeper = new Deno.Command("sleep", { args: ["600"] }).spawn();
    Deno.writeTextFileSync(`${group.path}/cgroup.procs`, String(sleeper.pid));
    await endCgroup(group);
    strictEqual((await sleeper.status).signal, "SIGKILL");
    strictEqual(await Deno.stat(group.path).then(() => true, () => false), false, "the group is still there");
  } finally {
    await endCgroup(group);
  }
});

Deno.test("kiln build: a build that fills its /tmp fails saying so; a bad size is refused before anything runs", async () => {
  await withTempDir(async (dir) => {
    const repo = `${dir}/repo`;
    await writeRecipe(repo, "fills", {
      version: "1 1\n",
      build: "#!/bin/sh -e\nhead -c 2097152 /dev/zero > /tmp/big\n",
    });
    const env = {
      KISS_PATH: repo,
      KISS_ROOT: `${dir}/root`,
      KISS_CACHE: `${dir}/cache`,
      KISS_SANDBOX: "host",
      KISS_TMPFS_SIZE: "1m",
    };
    await Deno.mkdir(`${dir}/root`);
    const r = await kiln(["build", "-y", "fills"], env);
    strictEqual(r.code, 1, r.stderr);
    ok(
      r.stderr.includes("[WARN] sandbox: the build filled its /tmp: each holds at most 1m (KISS_TMPFS_SIZE)"),
      r.stderr,
    );
    ok(
      r.stderr.includes(
        "build of fills failed (exit status 1); the build filled its /tmp: each holds at most 1m (KISS_TMPFS_SIZE)",
      ),
      r.stderr,
    );
    const bad = await kiln(["build", "-y", "fills"], { ...env, KISS_TMPFS_SIZE: "lots" });
    strictEqual(bad.code, 2, bad.stderr);
    ok(bad.stderr.includes("KISS_TMPFS_SIZE=lots is not a size"), bad.stderr);
    ok(!bad.stderr.includes("building fills"), bad.stderr);
  });
});
