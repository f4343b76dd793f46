/**
 * No process outlives the build, and its resources are bounded (SPEC §7
 * step 7): daemons, daemons in new user and mount namespaces, a killed kiln,
 * a fork bomb, many short processes, a full /tmp and a memory hog.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { SandboxMode } from "../../lib/config.ts";
import { DEFAULT_PIDS_MAX, parseSandboxLimits } from "../../lib/config.ts";
import type { SandboxRequest } from "../../lib/sandbox/request.ts";
import {
  compileC,
  makeStandardRoot,
  type RunOptions,
  runScript,
  type Scratch,
  type ScriptRun,
  withScratch,
} from "../_helpers/sandbox.ts";

/** The C source of `procs`: daemons, a bounded fork bomb and a memory hog. */
const PROCS_C = `
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Double-fork a daemon that keeps standard output open, writes FILE once it
   runs, then becomes "sleep MARKER". With "userns", it first moves into new
   user and mount namespaces (refused under a seccomp filter: either way it
   must die with the build). */
static int daemonize(const char *marker, const char *file, int userns) {
  int ready[2];
  if (pipe(ready) < 0) return 1;
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    setsid();
    if (userns) {
      if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) printf("unshare: %s\\n", strerror(errno));
      else printf("unshare: succeeded\\n");
      fflush(stdout);
    }
    if (fork() != 0) _exit(0);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
    write(ready[1], "x", 1);
    execlp("sleep", "sleep", marker, (char *)0);
    _exit(127);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return 1;
  waitpid(child, 0, 0);
  printf("daemon started\\n");
  return 0;
}

/* Fork up to N children that wait to be killed; stop at the first failure. */
static int bomb(long n) {
  long forked = 0;
  for (; forked < n; forked++) {
    pid_t pid = fork();
    if (pid == 0) { pause(); _exit(0); }
    if (pid < 0) {
      printf("fork failed after %ld: %s\\n", forked, strerror(errno));
      return 1;
    }
  }
  printf("forked %ld\\n", forked);
  return 0;
}

/* Touch MB mebibytes of memory, one at a time. */
static int hog(long mb) {
  for (long i = 0; i < mb; i++) {
    char *p = malloc(1 << 20);
    if (!p) { printf("malloc failed after %ld MiB\\n", i); return 1; }
    memset(p, 1, 1 << 20);
  }
  printf("touched %ld MiB\\n", mb);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "daemon")) return daemonize(argv[2], argv[3], 0);
  if (!strcmp(argv[1], "userns-daemon")) return daemonize(argv[2], argv[3], 1);
  if (!strcmp(argv[1], "bomb")) return bomb(atol(argv[2]));
  if (!strcmp(argv[1], "hog")) return hog(atol(argv[2]));
  return 2;
}
`;

/** A marker no other process has: `sleep` is given it as its time. */
function marker(): string {
  return `86400.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

/** Host pids of live processes running `sleep MARKER`. */
function sleepers(mark: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      const state = Deno.readTextFileSync(`/proc/${entry.name}/stat`).replace(/^\d+ \(.*\) /s, "")[0];
      if (argv[0].endsWith("sleep") && argv[1] === mark && state !== "Z") found.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Wait (yielding, bounded) until `sleep MARKER` runs in `count` processes. */
async function running(mark: string, count: number): Promise<boolean> {
  for (let round = 0; round < 5000; round++) {
    if (sleepers(mark).length === count) return true;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return false;
}

/** Wait until no process runs `sleep MARKER`: one killed by the kernel may take a moment to be reaped. */
function gone(mark: string): Promise<boolean> {
  return running(mark, 0);
}

interface Fixture {
  scratch: Scratch;
  root: string;
  procs: string;
  run(script: string, mode: SandboxMode, options?: Partial<RunOptions>): Promise<ScriptRun>;
}

function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  return withScratch(async (scratch) => {
    const root = `${scratch.dir}/root`;
    const tools = `${scratch.dir}/tools`;
    await Deno.mkdir(root);
    await Deno.mkdir(tools);
    makeStandardRoot(root);
    const procs = await compileC(tools, "procs", PROCS_C);
    await fn({
      scratch,
      root,
      procs,
      run: (script, mode, options = {}) =>
        runScript(scratch, script, { mode, root: mode === "hermetic" ? root : "/", readable: [tools], ...options }),
    });
  });
}

// Landlock alone is never used for root, and without root it has no PID namespace (README, Sandbox): the
// process tests run in the namespaced modes.
Deno.test("a daemon that keeps the build's output open dies with the build, and kiln does not wait for it", async () => {
  await withFixture(async (f) => {
    for (const mode of ["hermetic", "host"] as const) {
      const mark = marker();
      const started = `${f.scratch.build}/daemon-started`;
      await Deno.remove(started).catch(() => {});
      const run = await f.run(`${f.procs} daemon ${mark} ${started}; echo build done`, mode);
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, ["daemon started", "build done"], run.log);
      ok(await Deno.stat(started).then(() => true, () => false), `${mode}: the daemon never ran`);
      ok(await gone(mark), `${mode}: the daemon still runs: ${sleepers(mark)}`);
    }
  });
});

Deno.test("a daemon in new user and mount namespaces dies with the build", async () => {
  await withFixture(async (f) => {
    for (const mode of ["hermetic", "host"] as const) {
      const mark = marker();
      const started = `${f.scratch.build}/daemon-started`;
      await Deno.remove(started).catch(() => {});
      const run = await f.run(`${f.procs} userns-daemon ${mark} ${started}`, mode);
      strictEqual(run.code, 0, run.log);
      // Refused or not (a seccomp filter refuses new namespaces), the daemon runs and must die.
      ok(/^unshare: (succeeded|Operation not permitted|Invalid argument)$/.test(run.lines[0]), run.log);
      ok(await Deno.stat(started).then(() => true, () => false), `${mode}: the daemon never ran`);
      ok(await gone(mark), `${mode}: the daemon still runs: ${sleepers(mark)}`);
    }
  });
});

Deno.test("when kiln is killed during a build, every process of the build dies", async () => {
  await withFixture(async (f) => {
    for (const mode of ["hermetic", "host"] as const) {
      const daemonMark = marker();
      const buildMark = marker();
      const fifo = `${f.scratch.build}/started`;
      await Deno.remove(fifo).catch(() => {});
      await new Deno.Command("mkfifo", { args: [fifo] }).output();
      const request: SandboxRequest = {
        mode,
        root: mode === "hermetic" ? f.root : "/",
        argv: [
          "/bin/sh",
          "-c",
          `${f.procs} daemon ${daemonMark} ${f.scratch.build}/d; echo go > ${fifo}; sleep ${buildMark}`,
        ],
        env: { PATH: "/usr/bin:/bin" },
        cwd: f.scratch.build,
        writable: [f.scratch.build, f.scratch.pkg],
        readable: [f.procs.slice(0, f.procs.lastIndexOf("/"))],
        packages: [],
        workDir: f.scratch.work,
        logFile: f.scratch.logFile,
      };
      const kiln = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-check",
          new URL("../_helpers/sandbox_child.ts", import.meta.url).pathname,
          JSON.stringify(request),
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      // The build says it runs (the daemon started before) by writing to the FIFO.
      const reader = await Deno.open(fifo, { read: true });
      const said = new Uint8Array(3);
      strictEqual(await reader.read(said), 3);
      reader.close();
      // The daemon and the build's last command start their sleep just after.
      ok(await running(daemonMark, 1), "the daemon is not running");
      ok(await running(buildMark, 1), "the build is not running");
      kiln.kill("SIGKILL");
      strictEqual((await kiln.status).signal, "SIGKILL");
      await kiln.stderr.cancel();
      ok(await gone(buildMark), `${mode}: the build still runs after kiln was killed`);
      ok(await gone(daemonMark), `${mode}: the build's daemon still runs after kiln was killed`);
      // The next build removes the control group the killed kiln left.
      const next = await f.run("true", mode);
      const group = next.messages.map((m) => m.match(/control group (\S+) /)?.[1]).find((g) => g !== undefined);
      if (group !== undefined) {
        const parent = group.slice(0, group.lastIndexOf("/"));
        const left = [...Deno.readDirSync(parent)].filter((e) => e.name.startsWith(`build-${kiln.pid}-`));
        deepStrictEqual(left, [], `${mode}: the killed kiln's control group is still there`);
      }
    }
  });
});

Deno.test("a fork bomb is stopped at the process limit, which kiln names", async () => {
  await withFixture(async (f) => {
    const limits = { ...parseSandboxLimits({}), pids: 300 };
    for (const mode of ["hermetic", "host"] as const) {
      // At most 2,000 forks whatever happens: the test cannot take the machine down.
      const run = await f.run(`${f.procs} bomb 2000`, mode, { limits });
      strictEqual(run.code, 1, run.log);
      const m = run.lines[0]?.match(/^fork failed after (\d+): Resource temporarily unavailable$/);
      ok(m && Number(m[1]) < 300, `${mode}: the bomb was not stopped: ${run.log}`);
      if (run.messages.some((l) => l.includes("control group"))) {
        deepStrictEqual(run.limitsReached, ["the build reached its limit of 300 processes (KISS_PIDS_MAX)"]);
        ok(run.messages.includes("sandbox: the build reached its limit of 300 processes (KISS_PIDS_MAX)"));
      }
      // The host can still start processes.
      strictEqual((await new Deno.Command("true").output()).code, 0);
    }
  });
});

Deno.test("a build can run 2,000 short processes under the default limit", async () => {
  await withFixture(async (f) => {
    const script = "i=0; while [ $i -lt 2000 ]; do /bin/true || exit 1; i=$((i+1)); done; echo $i";
    for (const mode of ["hermetic", "host"] as const) {
      const run = await f.run(script, mode);
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, ["2000"]);
      deepStrictEqual(run.limitsReached, []);
    }
    strictEqual(parseSandboxLimits({}).pids, DEFAULT_PIDS_MAX);
  });
});

Deno.test("the build sees only its own processes in /proc", async () => {
  await withFixture(async (f) => {
    const run = await f.run("echo $$; ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '", "host");
    strictEqual(run.code, 0, run.log);
    strictEqual(run.lines[0], "1");
    // The shell, ls and grep (and cat's pipeline partner at most).
    ok(Number(run.lines[1]) <= 4, run.log);
    ok(run.lines[2].startsWith("/bin/sh -c"), run.log);
  });
});

Deno.test("/tmp and /dev/shm have the size given; a build that fills one is told ENOSPC and kiln names the limit", async () => {
  await withFixture(async (f) => {
    const limits = { ...parseSandboxLimits({}), tmpfsSize: "1m" };
    for (const dir of ["/tmp", "/dev/shm"]) {
      const run = await f.run(`head -c 2097152 /dev/zero > ${dir}/big`, "hermetic", { limits });
      strictEqual(run.code, 1, run.log);
      deepStrictEqual(run.lines, [`head: error writing 'standard output': No space left on device`]);
      deepStrictEqual(run.limitsReached, [
        `the build filled its ${dir}: each holds at most 1m (KISS_TMPFS_SIZE)`,
      ]);
      ok(run.messages.includes(`sandbox: the build filled its ${dir}: each holds at most 1m (KISS_TMPFS_SIZE)`));
    }
    // Filled, then cleaned up: the message still says what ran out, from what the build printed.
    const cleaned = await f.run("head -c 2097152 /dev/zero > /tmp/big; rm /tmp/big; exit 1", "hermetic", { limits });
    deepStrictEqual(cleaned.limitsReached, [
      `the build ran out of space ("No space left on device"); if it was writing to /tmp or /dev/shm, each holds ` +
      "at most 1m (KISS_TMPFS_SIZE)",
    ]);
    // Within the size, all is well and nothing is reported.
    const fits = await f.run("head -c 500000 /dev/zero > /tmp/fits && wc -c < /tmp/fits", "hermetic", { limits });
    deepStrictEqual(fits.lines, ["500000"]);
    deepStrictEqual(fits.limitsReached, []);
  });
});

Deno.test("a memory bound is set where cgroup v2 gives one, and kiln names it when the build hits it", async () => {
  await withFixture(async (f) => {
    const limits = { ...parseSandboxLimits({}), memory: "64m" };
    const run = await f.run(`${f.procs} hog 512`, "host", { limits });
    const unsupported = run.messages.find((m) => m.includes("KISS_MEMORY_MAX needs cgroup v2"));
    if (unsupported) {
      // This machine gives no memory bound: kiln says so, and the build runs unbounded.
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, ["touched 512 MiB"]);
      return;
    }
    strictEqual(run.code, 137, run.log);
    deepStrictEqual(run.limitsReached, ["the build ran out of its 64 MiB of memory (KISS_MEMORY_MAX)"]);
  });
});

Deno.test("a build cannot move itself out of its control group, and what it starts still dies", async () => {
  await withFixture(async (f) => {
    const files = [
      "/sys/fs/cgroup/cgroup.procs",
      "/sys/fs/cgroup/pids/cgroup.procs",
      "/sys/fs/cgroup/unified/cgroup.procs",
    ]
      .filter((path) => Deno.statSync(path.slice(0, path.lastIndexOf("/"))).isDirectory && exists(path));
    if (files.length === 0) return; // no cgroup file system here to escape to
    for (const mode of ["host", "hermetic"] as const) {
      const mark = marker();
      const started = `${f.scratch.build}/daemon-started`;
      await Deno.remove(started).catch(() => {});
      // Inside, /sys is not there (host, hermetic) or read-only to the build (Landlock).
      const moves = files.map((path) => `{ echo $$ > ${path}; } 2>/dev/null || echo refused`).join("; ");
      const run = await f.run(`${moves}; ${f.procs} daemon ${mark} ${started}`, mode);
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, [...files.map(() => "refused"), "daemon started"], `${mode}: ${run.log}`);
      ok(await gone(mark), `${mode}: the daemon still runs: ${sleepers(mark)}`);
    }
  });
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
