/**
 * The sandbox escape suite (SPEC §10): build scripts that try to get out of
 * the sandbox, each refused with an exact error, in the hermetic sandbox
 * (sysroot from a fake root made of the host's own programs), the host
 * sandbox and Landlock alone.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  compileC,
  ESCAPE_C,
  makeStandardRoot,
  runScript,
  type Scratch,
  type ScriptRun,
  withScratch,
} from "../_helpers/sandbox.ts";
import type { SandboxMode } from "../../lib/config.ts";
import { KilnError } from "../../lib/errors.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { runSandboxed } from "../../lib/sandbox/run.ts";
import { NOBODY } from "../_helpers/unprivileged.ts";

/**
 * A process outside the sandbox for the build to attack; alive until `stop`.
 * With `uid`, it runs as that user (the unprivileged build's own, so that only
 * the sandbox can keep it safe).
 */
function startVictim(uid?: number): { pid: number; alive(): boolean; stop(): Promise<void> } {
  const child = uid === undefined
    ? new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" }).spawn()
    : new Deno.Command("setpriv", {
      args: [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "sleep", "600"],
      stdout: "null",
      stderr: "null",
    }).spawn();
  return {
    pid: child.pid,
    alive() {
      const stat = Deno.readTextFileSync(`/proc/${child.pid}/stat`);
      return !/^\d+ \([^)]*\) [ZX]/.test(stat);
    },
    async stop() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

/** A TCP listener on 127.0.0.1 in the host's network namespace. */
function startListener(): { port: number; firstPeerPort(): Promise<number>; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Connects a probe, then accepts once: the probe is first unless the build connected. */
    async firstPeerPort() {
      const probe = await Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port });
      const conn = await listener.accept();
      const peer = (conn.remoteAddr as Deno.NetAddr).port;
      const mine = (probe.localAddr as Deno.NetAddr).port;
      conn.close();
      probe.close();
      return peer === mine ? 0 : peer;
    },
    close() {
      listener.close();
    },
  };
}

interface Fixture {
  scratch: Scratch;
  root: string;
  tools: string;
  escape: string;
  secret: string;
  run(script: string, mode?: SandboxMode): Promise<ScriptRun>;
}

function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  return withScratch(async (scratch) => {
    const root = `${scratch.dir}/root`;
    const tools = `${scratch.dir}/tools`;
    await Deno.mkdir(root);
    await Deno.mkdir(tools);
    makeStandardRoot(root);
    const escape = await compileC(tools, "escape", ESCAPE_C);
    const secret = `${scratch.dir}/secret`;
    await Deno.writeTextFile(secret, "host secret\n");
    await fn({
      scratch,
      root,
      tools,
      escape,
      secret,
      run: (script, mode = "hermetic") => runScript(scratch, script, { mode, root, readable: [tools] }),
    });
  });
}

function assertRefused(run: ScriptRun, code: number, lines: string[]): void {
  deepStrictEqual(run.lines, lines, `output of the build:\n${run.log}`);
  strictEqual(run.code, code, `exit status; output:\n${run.log}`);
}

/** A build in `mode` connecting to a listener on the host is refused, and the listener sees no connection. */
async function assertConnectRefused(f: Fixture, mode: SandboxMode): Promise<void> {
  const listener = startListener();
  try {
    const run = await f.run(`${f.escape} connect 127.0.0.1 ${listener.port}`, mode);
    assertRefused(run, 1, ["connect: Permission denied"]);
    strictEqual(await listener.firstPeerPort(), 0, "the build's connection reached the listener");
  } finally {
    listener.close();
  }
}

Deno.test("hermetic sandbox: every escape attempt is refused", async (t) => {
  await withFixture(async (f) => {
    const cat = await Deno.readFile(`${f.root}/usr/bin/cat`);
    const catInfo = await Deno.stat(`${f.root}/usr/bin/cat`);

    await t.step("write outside the writable directories: read-only root", async () => {
      const run = await f.run("echo pwned > /usr/kiln-escape");
      assertRefused(run, 2, ["/bin/sh: 1: cannot create /usr/kiln-escape: Read-only file system"]);
      await Deno.stat(`${f.root}/usr/kiln-escape`).then(
        () => ok(false, "file created in the root"),
        () => {},
      );
    });

    await t.step("write next to the build directory: lands in the private /tmp, not on the host", async () => {
      const run = await f.run("echo pwned > ../escape && cat ../escape");
      assertRefused(run, 0, ["pwned"]);
      await Deno.stat(`${f.scratch.dir}/escape`).then(() => ok(false, "file written on the host"), () => {});
    });

    await t.step("write through a hard link into the sysroot", async () => {
      const run = await f.run("echo pwned >> /usr/bin/cat");
      assertRefused(run, 2, ["/bin/sh: 1: cannot create /usr/bin/cat: Read-only file system"]);
      const link = await f.run("ln /usr/bin/cat ./cat-link");
      assertRefused(link, 1, [
        "ln: failed to create hard link './cat-link' => '/usr/bin/cat': Invalid cross-device link",
      ]);
      deepStrictEqual(await Deno.readFile(`${f.root}/usr/bin/cat`), cat);
    });

    await t.step("chmod and chown a sysroot file", async () => {
      const run = await f.run("chmod 4777 /usr/bin/cat");
      assertRefused(run, 1, ["chmod: changing permissions of '/usr/bin/cat': Read-only file system"]);
      const own = await f.run("chown 1:1 /usr/bin/cat");
      assertRefused(own, 1, ["chown: changing ownership of '/usr/bin/cat': Read-only file system"]);
      const after = await Deno.stat(`${f.root}/usr/bin/cat`);
      strictEqual(after.mode, catInfo.mode);
      strictEqual(after.uid, catInfo.uid);
    });

    await t.step("open a TCP connection to a listener on the host", async () => {
      await assertConnectRefused(f, "hermetic");
      const bind = await f.run(`${f.escape} bind 8080`);
      assertRefused(bind, 1, ["bind: Permission denied"]);
      const udp = await f.run(`${f.escape} udp 127.0.0.1 53`);
      assertRefused(udp, 1, ["sendto: Network is unreachable"]);
    });

    await t.step("mount, remount the root read-write, unmount it", async () => {
      const run = await f.run(`${f.escape} mount /tmp; ${f.escape} remount /; ${f.escape} umount /`);
      assertRefused(run, 1, [
        "mount: Operation not permitted",
        "remount: Operation not permitted",
        "umount: Operation not permitted",
      ]);
    });

    await t.step("mount from a new user namespace", async () => {
      const run = await f.run(`${f.escape} userns /tmp`);
      // The seccomp filter refuses the namespace itself.
      assertRefused(run, 1, ["unshare: Operation not permitted"]);
    });

    await t.step("escape the root with chroot and ..", async () => {
      const run = await f.run(`${f.escape} chroot ${f.secret}`);
      assertRefused(run, 1, ["chroot: Operation not permitted", "escape: No such file or directory"]);
    });

    await t.step("create device nodes", async () => {
      const run = await f.run(`${f.escape} mknod $PWD/sda; mknod /tmp/null c 1 3`);
      assertRefused(run, 1, ["mknod: Permission denied", "mknod: /tmp/null: Permission denied"]);
      await Deno.stat(`${f.scratch.build}/sda`).then(() => ok(false, "device node created"), () => {});
    });

    await t.step("signal and ptrace a process outside", async () => {
      const victim = startVictim();
      try {
        // The build's PID namespace has no number for a process outside it.
        const run = await f.run(
          `kill -9 ${victim.pid}; ${f.escape} kill ${victim.pid}; ${f.escape} ptrace ${victim.pid}`,
        );
        assertRefused(run, 1, [
          "/bin/sh: 1: kill: No such process",
          "", // dash's kill ends its error with an empty line
          "kill: No such process",
          "ptrace: Operation not permitted", // the seccomp filter answers first
        ]);
        ok(victim.alive(), "the process outside was killed");
      } finally {
        await victim.stop();
      }
    });

    await t.step("read host files: not in the sysroot, not through /proc", async () => {
      const victim = startVictim();
      try {
        const run = await f.run(`cat ${f.secret}; cat /proc/${victim.pid}/root${f.secret}; ls /usr/bin/cc`);
        assertRefused(run, 2, [
          `cat: ${f.secret}: No such file or directory`,
          `cat: /proc/${victim.pid}/root${f.secret}: No such file or directory`,
          "ls: cannot access '/usr/bin/cc': No such file or directory",
        ]);
      } finally {
        await victim.stop();
      }
    });

    await t.step("write kernel settings through /proc", async () => {
      const run = await f.run("echo 3 > /proc/sys/vm/drop_caches");
      assertRefused(run, 2, ["/bin/sh: 1: cannot create /proc/sys/vm/drop_caches: Read-only file system"]);
    });

    await t.step("load a kernel module", async () => {
      // The seccomp filter answers EPERM, also on a kernel without module support (ENOSYS outside).
      const run = await f.run(`${f.escape} init_module`);
      assertRefused(run, 1, ["init_module: Operation not permitted"]);
    });

    await t.step("capabilities, no_new_privs and inherited file descriptors", async () => {
      const run = await f.run("cat /proc/self/status; ls /proc/self/fd");
      strictEqual(run.code, 0, run.log);
      const field = (name: string) => run.lines.find((l) => l.startsWith(`${name}:`))?.split(/\s+/)[1];
      // CHOWN, DAC_OVERRIDE, FOWNER, FSETID and nothing else, in every set that counts.
      strictEqual(field("CapEff"), "000000000000001b");
      strictEqual(field("CapPrm"), "000000000000001b");
      strictEqual(field("CapBnd"), "000000000000001b");
      strictEqual(field("CapInh"), "0000000000000000");
      strictEqual(field("CapAmb"), "0000000000000000");
      strictEqual(field("NoNewPrivs"), "1");
      strictEqual(field("SigIgn"), "0000000000000000");
      strictEqual(field("SigBlk"), "0000000000000000");
      // ls's own directory fd is the 3: nothing of kiln's leaked.
      deepStrictEqual(run.lines.slice(-4), ["0", "1", "2", "3"]);
    });
  });
});

Deno.test("host sandbox: escapes are refused", async (t) => {
  await withFixture(async (f) => {
    await t.step("write to the host's /usr and /etc", async () => {
      const run = await f.run("touch /usr/kiln-escape; echo x >> /etc/hostname", "host");
      assertRefused(run, 2, [
        "touch: cannot touch '/usr/kiln-escape': Read-only file system",
        "/bin/sh: 1: cannot create /etc/hostname: Read-only file system",
      ]);
    });

    await t.step("open a TCP connection to a listener on the host", async () => {
      await assertConnectRefused(f, "host");
    });

    await t.step("signal a process outside", async () => {
      const victim = startVictim();
      try {
        const run = await f.run(`kill -TERM ${victim.pid}`, "host");
        assertRefused(run, 1, ["/bin/sh: 1: kill: No such process", ""]);
        ok(victim.alive());
      } finally {
        await victim.stop();
      }
    });

    await t.step("read a host file outside the shared directories", async () => {
      const run = await f.run(`cat ${f.secret}`, "host");
      assertRefused(run, 1, [`cat: ${f.secret}: No such file or directory`]);
    });
  });
});

Deno.test("landlock sandbox: writes, network and signals are refused", async (t) => {
  await withFixture(async (f) => {
    await t.step("write outside the writable directories", async () => {
      const run = await f.run(`echo pwned > ${f.scratch.dir}/escape; touch /usr/kiln-escape`, "landlock");
      assertRefused(run, 1, [
        `/bin/sh: 1: cannot create ${f.scratch.dir}/escape: Permission denied`,
        "touch: cannot touch '/usr/kiln-escape': Permission denied",
      ]);
      await Deno.stat(`${f.scratch.dir}/escape`).then(() => ok(false, "file written"), () => {});
    });

    await t.step("open a TCP connection in the host's network namespace", async () => {
      await assertConnectRefused(f, "landlock");
    });

    await t.step("signal a process outside (of the same user), make a device node, mount", async () => {
      const victim = startVictim(NOBODY);
      try {
        const run = await f.run(
          `${f.escape} kill ${victim.pid}; ${f.escape} mknod $PWD/sda; ${f.escape} mount $PWD`,
          "landlock",
        );
        assertRefused(run, 1, [
          "kill: Operation not permitted",
          "mknod: Permission denied",
          "mount: Operation not permitted",
        ]);
        ok(victim.alive());
      } finally {
        await victim.stop();
      }
    });

    await t.step("TMPDIR (and HOME=/tmp) is private and writable, and removed afterwards", async () => {
      const run = await runScript(f.scratch, 'echo "$TMPDIR"; echo "$HOME"; echo x > "$TMPDIR/t" && echo written', {
        mode: "landlock",
        env: { PATH: "/usr/bin:/bin", HOME: "/tmp", TMPDIR: "/tmp" },
      });
      strictEqual(run.code, 0, run.log);
      strictEqual(run.lines[2], "written");
      ok(run.lines[0].startsWith(`${f.scratch.work}/tmp-`), run.lines[0]);
      strictEqual(run.lines[1], run.lines[0]);
      await Deno.stat(run.lines[0]).then(() => ok(false, "private TMPDIR left behind"), () => {});
    });

    await t.step("it runs unprivileged: as root, Landlock alone is refused before anything runs", async () => {
      const run = await f.run("id -u", "landlock");
      deepStrictEqual(run.lines, ["65534"], run.log);
      const asRoot = await runSandboxed({
        mode: "landlock",
        root: "/",
        argv: ["/bin/sh", "-c", `touch ${f.scratch.dir}/ran`],
        env: { PATH: "/usr/bin:/bin" },
        cwd: f.scratch.build,
        writable: [f.scratch.build],
        packages: [],
        workDir: f.scratch.work,
        logFile: f.scratch.logFile,
      }, new Log(collectEvents())).then(() => undefined, (err: KilnError) => err);
      ok(asRoot instanceof KilnError);
      strictEqual(asRoot.message.startsWith("KISS_SANDBOX=landlock is refused as root"), true, asRoot.message);
      await Deno.stat(`${f.scratch.dir}/ran`).then(() => ok(false, "the build ran"), () => {});
    });
  });
});
