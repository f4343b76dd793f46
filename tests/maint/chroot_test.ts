/**
 * `kiln chroot` as root into a real root made of host programs: what is
 * mounted inside, that nothing stays mounted after a normal exit or after
 * SIGKILL of the command inside, and the unhappy paths.
 */

import assert from "node:assert/strict";
import { PROJECT_DIR, runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { makeStandardRoot } from "../_helpers/sandbox.ts";

const ROOT = Deno.uid() === 0;

/** Host mounts at or below `dir`. */
function mountsUnder(dir: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").map((l) => l.split(" ")[4] ?? "")
    .filter((target) => target === dir || target.startsWith(`${dir}/`));
}

function makeRoot(dir: string): string {
  const root = `${dir}/root`;
  Deno.mkdirSync(root);
  makeStandardRoot(root);
  for (const d of ["proc", "sys", "dev", "run", "tmp", "etc", "root"]) {
    Deno.mkdirSync(`${root}/${d}`, { recursive: true });
  }
  Deno.writeTextFileSync(`${root}/etc/resolv.conf`, "# the root's own\n");
  return root;
}

Deno.test({
  name: "chroot: the command runs inside with /proc /sys /dev /tmp mounted; nothing is left mounted",
  ignore: !ROOT,
  async fn() {
    await using t = await tempDir();
    const root = makeRoot(t.path);
    const script = "test -e /proc/self/status && test -d /sys/kernel && test -c /dev/null && test -d /dev/pts && " +
      'touch /tmp/x && echo "home=$HOME path=$PATH" && cat /etc/resolv.conf >/dev/null && ' +
      "echo /*; exit 7";
    const res = await runKiln(["chroot", root, "--", "/bin/sh", "-c", script], { env: { SECRET_TOKEN: "x" } });
    assert.equal(res.code, 7, res.stderr);
    assert.match(res.stdout, /home=\/root path=\/usr\/local\/bin:\/usr\/bin:/);
    assert.match(res.stdout, /\bproc\b.*\bsys\b/);
    assert.deepEqual(mountsUnder(root), []);
    // The root's own resolv.conf and /tmp are as they were: the session's files were on its own mounts.
    assert.equal(Deno.readTextFileSync(`${root}/etc/resolv.conf`), "# the root's own\n");
    assert.deepEqual([...Deno.readDirSync(`${root}/tmp`)], []);
    const env = await runKiln(["chroot", root, "--", "/bin/sh", "-c", "env"], { env: { SECRET_TOKEN: "x" } });
    assert(!env.stdout.includes("SECRET_TOKEN"), env.stdout);
  },
});

Deno.test({
  name: "chroot: SIGKILL of the command inside leaves no mount behind",
  ignore: !ROOT,
  async fn() {
    await using t = await tempDir();
    const root = makeRoot(t.path);
    const fifo = `${root}/root/ready`;
    new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    const kiln = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        `--config=${PROJECT_DIR}/deno.json`,
        `${PROJECT_DIR}/main.ts`,
        "chroot",
        root,
        "--",
        "/bin/sh",
        "-c",
        "echo $$ > /root/ready; exec sleep 1000",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The pid is written once the command is inside; if kiln ends first, the FIFO is opened here to unblock the read.
    const reading = Deno.readTextFile(fifo);
    const early = await Promise.race([reading.then(() => false), kiln.status.then(() => true)]);
    if (early) {
      Deno.writeTextFileSync(fifo, "");
      await reading;
      const err = new TextDecoder().decode((await kiln.output()).stderr);
      throw new Error(`kiln chroot ended before the command started: ${err}`);
    }
    const pid = Number((await reading).trim());
    assert(pid > 0);
    assert(mountsUnder(root).length === 0, "the host sees none of the session's mounts, even while it runs");
    Deno.kill(pid, "SIGKILL");
    const status = await kiln.status;
    await kiln.stderr.cancel();
    assert.equal(status.code, 137);
    assert.deepEqual(mountsUnder(root), []);
  },
});

Deno.test({
  name: "chroot: a root without a shell, a missing directory, and no directory at all",
  ignore: !ROOT,
  async fn() {
    await using t = await tempDir();
    const empty = `${t.path}/empty`;
    Deno.mkdirSync(empty);
    const noShell = await runKiln(["chroot", empty]);
    assert.equal(noShell.code, 127);
    assert.match(noShell.stderr, /has no \/bin\/sh: nothing to run inside/);
    assert.deepEqual(mountsUnder(empty), []);
    const missing = await runKiln(["chroot", `${t.path}/nope`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot enter .*nope/);
    const usage = await runKiln(["chroot"]);
    assert.equal(usage.code, 2);
  },
});

Deno.test({
  name: "chroot: a root whose mount points are links to host paths gets no mount there",
  ignore: !ROOT,
  async fn() {
    await using t = await tempDir();
    const root = makeRoot(t.path);
    const outside = `${t.path}/outside`;
    Deno.mkdirSync(outside);
    Deno.writeTextFileSync(`${outside}/keep`, "host file\n");
    Deno.removeSync(`${root}/tmp`);
    Deno.symlinkSync(outside, `${root}/tmp`);
    Deno.removeSync(`${root}/etc/resolv.conf`);
    Deno.symlinkSync(`${outside}/keep`, `${root}/etc/resolv.conf`);
    const res = await runKiln(["chroot", root, "--", "/bin/sh", "-c", "true"]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /not mounted .*\/tmp .*\/etc\/resolv\.conf/);
    assert.equal(Deno.readTextFileSync(`${outside}/keep`), "host file\n");
    assert.deepEqual(mountsUnder(t.path), []);
  },
});
