/**
 * Package scripts in a root other than `/` are confined to it (SPEC §8): a
 * `post-install` that attacks the host — through `/proc/$PPID/root`,
 * `/proc/1/root`, a `proc` the host mounted in the root for a chroot, a
 * second `chroot` and `..`, `mount`, a new user namespace, signals, ptrace,
 * device nodes, the network, kiln's environment — fails at every step and
 * leaves the host unchanged, while a benign script still changes the root
 * and its output is shown.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { runPackageScript } from "../../lib/install/scripts.ts";
import { runConfinedScript } from "../../lib/sandbox/script_run.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { compileC, ESCAPE_C, makeStandardRoot } from "../_helpers/sandbox.ts";

interface Fixture {
  dir: string;
  root: string;
  /** A host file outside the root, which the script must not read. */
  secret: string;
  /** Run `body` as the post-install of package `evil`; the log's lines and the result. */
  run(body: string, env?: Record<string, string>): { ok: boolean; info: string[]; warn: string[] };
}

async function withRoot(fn: (f: Fixture) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-scripts-" });
  try {
    const root = `${dir}/root`;
    Deno.mkdirSync(root);
    makeStandardRoot(root);
    for (const d of ["etc", "tmp", "dev", "proc", "mnt"]) Deno.mkdirSync(`${root}/${d}`, { recursive: true });
    await compileC(`${root}/usr/bin`, "escape", ESCAPE_C);
    const secret = `${dir}/host-secret`;
    Deno.writeTextFileSync(secret, "host secret\n");
    const db = `${root}/var/db/kiss/installed/evil`;
    Deno.mkdirSync(db, { recursive: true });
    await fn({
      dir,
      root,
      secret,
      run(body, env = {}) {
        Deno.writeTextFileSync(`${db}/post-install`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        const events = collectEvents();
        const config = loadConfig({ KISS_ROOT: root, HOME: dir, KISS_CACHE: `${dir}/cache`, ...env });
        const ok = runPackageScript(config, new Log(events), "evil", "post-install");
        return { ok, info: events.lines("info"), warn: events.lines("warn") };
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The script's output lines (after kiln's `running` line). */
function output(info: string[]): string[] {
  return info.filter((l) => !l.startsWith("evil: running ")).map((l) => l.replace(/^evil: /, ""));
}

function hostTree(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("a benign package script changes the root, sees a clean environment, and its output is shown", async () => {
  await withRoot((f) => {
    const r = f.run(
      "echo configured > /etc/configured; echo hello from post-install; echo x > /dev/null; echo /dev/*; env",
      {
        KILN_TEST_SECRET: "leaked",
      },
    );
    assert.ok(r.ok, r.warn.join("\n"));
    assert.equal(Deno.readTextFileSync(`${f.root}/etc/configured`), "configured\n");
    const lines = output(r.info);
    assert.equal(lines[0], "hello from post-install");
    assert.equal(
      lines[1],
      "/dev/fd /dev/full /dev/null /dev/random /dev/stderr /dev/stdin /dev/stdout /dev/tty /dev/urandom /dev/zero",
    );
    assert.deepEqual(lines.slice(2).sort(), [
      "HOME=/root",
      "KISS_ROOT=",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "PWD=/",
    ]);
    assert.equal(r.info[0], `evil: running post-install in ${f.root}`);
  });
});

Deno.test("a package script in another root cannot reach the host", async (t) => {
  await withRoot(async (f) => {
    const before = hostTree(f.dir);

    await t.step("through /proc/$PPID/root and /proc/1/root (there is no /proc)", () => {
      const r = f.run(
        `cat /proc/$PPID/root${f.secret}; echo pwned > /proc/$PPID/root${f.dir}/pwned; cd /proc/1/root && ls; ` +
          "ls /proc; true",
      );
      assert.ok(r.ok, r.warn.join("\n"));
      assert.deepEqual(output(r.info).map((l) => l.replace(/\/proc\/\d+\/root\//, "/proc/PID/root/")), [
        `cat: /proc/PID/root${f.secret}: No such file or directory`,
        `/var/db/kiss/installed/evil/post-install: 2: cannot create /proc/PID/root${f.dir}/pwned: Directory nonexistent`,
        "/var/db/kiss/installed/evil/post-install: 2: cd: can't cd to /proc/1/root",
      ]);
    });

    await t.step("through a proc the host mounted in the root for a chroot", async () => {
      const mounted = await new Deno.Command("mount", { args: ["-t", "proc", "proc", `${f.root}/proc`] }).output();
      assert.ok(mounted.success, "mounting proc in the root");
      try {
        const r = f.run(`ls /proc | head -3; cat /proc/1/root${f.secret}; true`);
        assert.deepEqual(output(r.info), [`cat: /proc/1/root${f.secret}: No such file or directory`]);
        // Still mounted on the host: kiln detached it in the script's namespace only.
        assert.ok(Deno.statSync(`${f.root}/proc/self`).isDirectory);
      } finally {
        await new Deno.Command("umount", { args: [`${f.root}/proc`] }).output();
      }
    });

    await t.step("through the host's /run (in memory, with its sockets) bound in the root for a chroot", async () => {
      const run = `${f.dir}/host-run`;
      Deno.mkdirSync(run);
      Deno.mkdirSync(`${f.root}/run`);
      const mounted = await new Deno.Command("mount", { args: ["-t", "tmpfs", "kiln-test-run", run] }).output();
      assert.ok(mounted.success, "mounting a tmpfs");
      try {
        Deno.writeTextFileSync(`${run}/engine.sock`, "stands for a host socket\n");
        const bound = await new Deno.Command("mount", { args: ["--bind", run, `${f.root}/run`] }).output();
        assert.ok(bound.success, "binding it into the root");
        try {
          const r = f.run("ls /run; cat /run/engine.sock; echo x > /run/mine; true");
          assert.deepEqual(output(r.info), ["cat: /run/engine.sock: No such file or directory"]);
          assert.deepEqual([...Deno.readDirSync(run)].map((e) => e.name), ["engine.sock"]);
        } finally {
          await new Deno.Command("umount", { args: [`${f.root}/run`] }).output();
        }
      } finally {
        await new Deno.Command("umount", { args: [run] }).output();
        Deno.removeSync(run);
      }
      // What the script wrote went into the root's own /run, under the mount.
      assert.equal(Deno.readTextFileSync(`${f.root}/run/mine`), "x\n");
      Deno.removeSync(`${f.root}/run`, { recursive: true });
    });

    await t.step("host files: not there; a second chroot and .. lead nowhere", () => {
      const r = f.run(`cat ${f.secret} /etc/shadow; cd /tmp && escape chroot ${f.secret}; true`);
      assert.deepEqual(output(r.info), [
        `cat: ${f.secret}: No such file or directory`,
        "cat: /etc/shadow: No such file or directory",
        "chroot: Operation not permitted",
        "escape: No such file or directory",
      ]);
    });

    await t.step("mount, remount, unmount, and mount from a new user namespace", () => {
      const r = f.run("escape mount /mnt; escape remount /; escape umount /; escape userns /mnt; true");
      assert.deepEqual(output(r.info), [
        "mount: Operation not permitted",
        "remount: Operation not permitted",
        "umount: Operation not permitted",
        "mount: Operation not permitted",
      ]);
    });

    await t.step("signal and ptrace a host process, make a device node, connect to the host", async () => {
      const victim = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" }).spawn();
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const port = (listener.addr as Deno.NetAddr).port;
        const r = f.run(
          `escape kill ${victim.pid}; escape ptrace ${victim.pid}; escape mknod /tmp/sda; ` +
            `escape connect 127.0.0.1 ${port}; escape udp 127.0.0.1 ${port}; true`,
        );
        // The script has its own PID namespace: no host process is there to be found.
        assert.deepEqual(output(r.info), [
          "kill: No such process",
          "ptrace: No such process",
          "mknod: Permission denied",
          "connect: Permission denied",
          "sendto: Network is unreachable",
        ]);
        assert.ok(!/^\d+ \([^)]*\) [ZX]/.test(Deno.readTextFileSync(`/proc/${victim.pid}/stat`)), "victim killed");
        assert.ok(!(await Deno.lstat(`${f.root}/tmp/sda`).then(() => true, () => false)), "device node made");
      } finally {
        listener.close();
        victim.kill("SIGKILL");
        await victim.status;
      }
    });

    assert.deepEqual(hostTree(f.dir), before, "something appeared next to the root on the host");
    assert.equal(Deno.readTextFileSync(f.secret), "host secret\n");
  });
});

Deno.test("a package script that fails, or cannot be started in the root, is a warning", async () => {
  await withRoot((f) => {
    const r = f.run("echo failing; exit 3");
    assert.equal(r.ok, false);
    assert.deepEqual(output(r.info), ["failing"]);
    assert.deepEqual(r.warn, ["evil: post-install exited with status 3"]);
    // A script whose interpreter the root lacks: the root's shell says so.
    Deno.writeTextFileSync(`${f.root}/var/db/kiss/installed/evil/post-install`, "#!/usr/bin/python9\n", {
      mode: 0o755,
    });
    const events = collectEvents();
    const config = loadConfig({ KISS_ROOT: f.root, HOME: f.dir, KISS_CACHE: `${f.dir}/cache` });
    assert.equal(runPackageScript(config, new Log(events), "evil", "post-install"), false);
    assert.deepEqual(output(events.lines("info")), [
      "/var/db/kiss/installed/evil/post-install: 1: /var/db/kiss/installed/evil/post-install: not found",
    ]);
    assert.deepEqual(events.lines("warn"), ["evil: post-install exited with status 127"]);
  });
});

/** Host processes whose command line is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const want = argv.join("\0") + "\0";
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/cmdline`) === want) found.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

Deno.test("what a package script leaves running in another root is gone when it ends", async () => {
  await withRoot((f) => {
    // Durations no other process on the machine uses, to find the leftovers by.
    const [a, b, c] = [1, 2, 3].map(() => String(600_000 + Math.floor(Math.random() * 1_000_000)));
    const r = f.run(
      `sleep ${a} > /dev/null 2>&1 & (sleep ${b}; echo late) & ` +
        `setsid sleep ${c} > /dev/null 2>&1 < /dev/null & echo started`,
    );
    assert.ok(r.ok, r.warn.join("\n"));
    assert.deepEqual(output(r.info), ["started"]);
    for (const n of [a, b, c]) assert.deepEqual(processesRunning(["sleep", n]), [], `sleep ${n} still runs`);
  });
});

Deno.test("a confined script whose root cannot be set up is the helper's failure, naming its step", async () => {
  await withRoot((f) => {
    const gone = runConfinedScript({ root: `${f.dir}/no-such-root`, script: "/x", env: {} });
    assert.equal(gone.code, 125);
    assert.match(gone.failure ?? "", /^mounting the root: mount .*\/no-such-root: No such file or directory$/);
    assert.deepEqual(gone.lines, []);
    const host = runConfinedScript({ root: "/", script: "/bin/true", env: {} });
    assert.equal(host.failure, "reading the plan: '/' is not a root to confine to");
    return Promise.resolve();
  });
});
