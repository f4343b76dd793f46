/**
 * The sandbox against kernel state that namespaces do not cover (SPEC §7
 * step 7, §10): the user's terminal (TIOCSTI), keyrings, new namespaces,
 * mount, ptrace, bpf, perf, userfaultfd, io_uring, modules, foreign system
 * call tables — each refused with EPERM by the seccomp filter, not a kill —
 * and, in the Landlock-only mode, the sockets Landlock cannot confine. Each
 * probe gives another answer outside the sandbox (checked first), so every
 * assertion fails without the defence.
 */

import { deepStrictEqual, notStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  compileC,
  makeStandardRoot,
  runScript,
  type Scratch,
  type ScriptRun,
  which,
  withScratch,
} from "../_helpers/sandbox.ts";
import { PROBE_C, WITHPTY_C } from "../_helpers/kernel_probe.ts";
import type { SandboxMode } from "../../lib/config.ts";
import { call } from "../../ffi/libc.ts";

const EPERM = "Operation not permitted";
const x86 = Deno.build.arch === "x86_64";

interface Fixture {
  scratch: Scratch;
  root: string;
  tools: string;
  probe: string;
  withpty: string;
  run(script: string, mode: SandboxMode): Promise<ScriptRun>;
}

function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  return withScratch(async (scratch) => {
    const root = `${scratch.dir}/root`;
    const tools = `${scratch.dir}/tools`;
    await Deno.mkdir(root);
    await Deno.mkdir(tools);
    makeStandardRoot(root);
    const probe = await compileC(tools, "probe", PROBE_C);
    const withpty = await compileC(tools, "withpty", WITHPTY_C);
    await fn({
      scratch,
      root,
      tools,
      probe,
      withpty,
      run: (script, mode) => runScript(scratch, script, { mode, root, readable: [tools] }),
    });
  });
}

/** Run the probe outside any sandbox. */
async function probeOutside(probe: string, ops: string[]): Promise<string[]> {
  const out = await new Deno.Command(probe, { args: ops, stdin: "null", stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

/** This process's session id (field 6 of /proc/self/stat). */
function ownSession(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

/** Operations refused by the filter, and what each answers outside the sandbox (so the probe can tell). */
const REFUSED: Record<string, string> = {
  "clone-newuser": "ok",
  unshare: "ok",
  setns: "Bad file descriptor",
  mount: "No such file or directory",
  ptrace: "ok",
  bpf: "",
  perf_event_open: "Bad address",
  userfaultfd: "Invalid argument",
  io_uring_setup: "Bad address",
  init_module: "",
  open_by_handle_at: "Bad address",
  keyctl: "ok",
  tioclinux: "Inappropriate ioctl for device",
  ...(x86 ? { x32: "Function not implemented", int80: "ok" } : {}),
};

async function assertKernelCallsRefused(f: Fixture, mode: SandboxMode): Promise<void> {
  const ops = Object.keys(REFUSED);
  const outside = await probeOutside(f.probe, ops);
  ops.forEach((op, i) => {
    if (REFUSED[op] !== "") strictEqual(outside[i], `${op}: ${REFUSED[op]}`, "the probe outside the sandbox");
  });
  const run = await f.run(`${f.probe} ${ops.join(" ")} clone3 clone fork request_key`, mode);
  strictEqual(run.code, 0, run.log);
  deepStrictEqual(run.lines, [
    ...ops.map((op) => `${op}: ${EPERM}`),
    // clone3's flags cannot be read by a filter: it is "not implemented", and the C library falls back to clone.
    "clone3: Function not implemented",
    "clone: ok",
    "fork: ok",
    `request_key: ${EPERM}`,
  ]);
}

for (const mode of ["hermetic", "host", "landlock"] as const) {
  Deno.test(`${mode} sandbox: kernel calls outside the namespaces fail with EPERM, not a kill`, async () => {
    await withFixture((f) => assertKernelCallsRefused(f, mode));
  });
}

Deno.test("keyrings: a build cannot add a key the host reads back, and has a session keyring of its own", async () => {
  await withFixture(async (f) => {
    const KEYCTL_GET_KEYRING_ID = 0;
    const KEY_SPEC_SESSION_KEYRING = -3;
    const mine = call("keyctl", [KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0]);
    for (const mode of ["hermetic", "landlock"] as const) {
      const run = await f.run(`${f.probe} add_key; cat /proc/keys`, mode);
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines.slice(0, 2), [`add_key user: ${EPERM}`, `add_key session: ${EPERM}`]);
      const session = run.lines.find((l) => / keyring +_ses: /.test(l));
      ok(session, `no session keyring of its own in the build's /proc/keys:\n${run.log}`);
      notStrictEqual(parseInt(session.split(" ")[0], 16), mine, "the build shares the session keyring of kiln");
      ok(!Deno.readTextFileSync("/proc/keys").includes("kiln-test-key"), "the host reads the build's key");
    }
  });
});

Deno.test("terminal: a build cannot type into the user's terminal (TIOCSTI) nor read from it", async () => {
  await withFixture(async (f) => {
    // Outside, the attack works: the probe types into its controlling terminal and the screen shows it.
    const outside = await new Deno.Command(f.withpty, {
      args: [f.probe, "tiocsti", "/dev/tty"],
      stdout: "piped",
    }).output();
    const screen = new TextDecoder().decode(outside.stdout);
    ok(screen.includes("kiln-injected"), `the attack does not work outside the sandbox:\n${screen}`);

    for (const mode of ["hermetic", "host", "landlock"] as const) {
      const request = `${f.scratch.dir}/request.json`;
      const result = `${f.scratch.dir}/result.json`;
      const script = `${f.probe} tiocsti /dev/tty tiocsti-stdio tiocsti /proc/$PPID/fd/0 open-ro @TTY@ own-pty`;
      await Deno.writeTextFile(
        request,
        JSON.stringify({ scratch: f.scratch, script, options: { mode, root: f.root, readable: [f.tools] } }),
      );
      const driver = new URL("../_helpers/pty_driver.ts", import.meta.url).pathname;
      const out = await new Deno.Command(f.withpty, {
        args: [Deno.execPath(), "run", "-A", "--quiet", driver, request, result],
        stdout: "piped",
      }).output();
      const screen = new TextDecoder().decode(out.stdout);
      strictEqual(out.code, 0, `${mode}: the driver failed:\n${screen}`);
      ok(!screen.includes("kiln-injected"), `${mode}: the build typed into the user's terminal:\n${screen}`);
      const { lines, code } = JSON.parse(await Deno.readTextFile(result));
      strictEqual(code, 0, lines.join("\n"));
      deepStrictEqual(lines, [
        "/dev/tty: No such device or address",
        `tiocsti 0: ${EPERM}`,
        `tiocsti 1: ${EPERM}`,
        // kiln's terminal through its process: out of reach (a PID namespace shows no parent at all).
        lines[3].startsWith("/proc/")
          ? lines[3].replace(/: .*/, mode === "landlock" ? ": Permission denied" : ": No such file or directory")
          : "/proc/PPID/fd/0",
        // The user's terminal itself, to read keystrokes: not in the sandbox, or (Landlock alone) not to be opened.
        `${lines[4].replace(/: .*/, "")}: ${mode === "landlock" ? "Permission denied" : "No such file or directory"}`,
        // Its own terminal, made its controlling one: typing into it is refused all the same.
        ...(mode === "landlock" ? ["posix_openpt: Permission denied"] : [`own-pty tiocsti: ${EPERM}`]),
      ]);
      ok(lines[4].startsWith("/dev/pts/"), lines[4]);
    }
  });
});

for (const mode of ["hermetic", "host"] as const) {
  Deno.test(`${mode} sandbox: its own session, no terminal, and working ptys of its own`, async () => {
    await withFixture(async (f) => {
      const run = await f.run(`${f.probe} tty pty; ls -l /dev/ptmx; ls /dev/pts`, mode);
      strictEqual(run.code, 0, run.log);
      strictEqual(run.lines[0], "isatty: 0 0 0");
      strictEqual(run.lines[1], "/dev/tty: No such device or address");
      const sid = Number(run.lines[2].replace("sid: ", ""));
      ok(sid > 0 && sid !== ownSession(), `the build is in kiln's session (${sid})`);
      strictEqual(run.lines[3], "pty: /dev/pts ping");
      ok(run.lines[4].endsWith("/dev/ptmx -> pts/ptmx"), run.lines[4]);
      // A private devpts: none of the host's terminals, only its multiplexer.
      deepStrictEqual(run.lines.slice(5), ["ptmx"]);
    });
  });
}

Deno.test({
  name: "host sandbox: script(1) runs a command on a terminal of the build's own",
  ignore: which("script") === undefined,
}, async () => {
  await withFixture(async (f) => {
    // script makes a pty the controlling terminal of its child: /dev/tty then reaches that pty, not the user's.
    const run = await f.run("script -qec 'tty; test -t 0 && echo on-a-terminal' /dev/null < /dev/null", "host");
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, ["/dev/pts/0", "on-a-terminal"]);
  });
});

/** A UDP socket on the host's loopback; `received()` says whether any datagram but our own probe arrived. */
async function startUdp(): Promise<{ port: number; received(): Promise<boolean>; close(): void }> {
  const dgram = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  socket.on("message", (data: Uint8Array) => {
    messages.push(new TextDecoder().decode(data));
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  return {
    port,
    async received() {
      const arrived = new Promise<void>((resolve) => wake = resolve);
      const probe = dgram.createSocket("udp4");
      await new Promise<void>((resolve) => probe.send("probe", port, "127.0.0.1", () => resolve()));
      probe.close();
      if (!messages.includes("probe")) await arrived;
      return messages[0] !== "probe";
    },
    close() {
      socket.close();
    },
  };
}

Deno.test("landlock sandbox: sockets Landlock cannot confine are refused; TCP, route netlink and socketpair work", async () => {
  await withFixture(async (f) => {
    const outside = await probeOutside(f.probe, ["udp", "raw", "unix-connect", "/kiln-no-such-socket"]);
    deepStrictEqual(outside, ["udp: ok", "raw: ok", "unix-connect: No such file or directory"]);

    const udp = await startUdp();
    const unixPath = `${f.scratch.dir}/host.sock`;
    const unix = Deno.listen({ transport: "unix", path: unixPath });
    const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const tcpPort = (tcp.addr as Deno.NetAddr).port;
    try {
      const run = await f.run(
        `${f.probe} udp udp-send ${udp.port} sctp raw packet unix-connect ${unixPath} fastopen ${tcpPort} ` +
          "tcp netlink socketpair",
        "landlock",
      );
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, [
        `udp: ${EPERM}`,
        `udp-send: ${EPERM}`,
        `sctp: ${EPERM}`,
        `raw: ${EPERM}`,
        `packet: ${EPERM}`,
        `unix-connect: ${EPERM}`,
        `fastopen: ${EPERM}`,
        "tcp: ok",
        "netlink: ok",
        "socketpair: ok",
      ]);
      strictEqual(await udp.received(), false, "a datagram of the build reached the host");
      // Nothing connected to the Unix or TCP listener: a probe connection of ours is the first one accepted.
      const probe = await Deno.connect({ transport: "unix", path: unixPath });
      const first = await unix.accept();
      strictEqual((first.remoteAddr as Deno.UnixAddr).transport, "unix");
      first.close();
      probe.close();
      const tcpProbe = await Deno.connect({ hostname: "127.0.0.1", port: tcpPort });
      const tcpFirst = await tcp.accept();
      strictEqual((tcpFirst.remoteAddr as Deno.NetAddr).port, (tcpProbe.localAddr as Deno.NetAddr).port);
      tcpFirst.close();
      tcpProbe.close();
    } finally {
      udp.close();
      unix.close();
      tcp.close();
    }
  });
});

Deno.test("hermetic sandbox: UDP and Unix sockets stay usable (the network namespace is empty)", async () => {
  await withFixture(async (f) => {
    const run = await f.run(`${f.probe} udp tcp netlink socketpair`, "hermetic");
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, ["udp: ok", "tcp: ok", "netlink: ok", "socketpair: ok"]);
  });
});

Deno.test("Ctrl+C: kiln passes SIGINT on to the build, which no longer shares its terminal", async () => {
  await withScratch(async (s) => {
    const fifo = `${s.build}/ready`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const request = `${s.dir}/request.json`;
    const result = `${s.dir}/result.json`;
    const script = "trap 'echo interrupted; exit 3' INT; echo ready > ready; while :; do sleep 5; done";
    await Deno.writeTextFile(request, JSON.stringify({ scratch: s, script, options: { mode: "host" } }));
    const driver = new URL("../_helpers/pty_driver.ts", import.meta.url).pathname;
    const kiln = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", driver, request, result],
      stdin: "null",
    }).spawn();
    // The build says it is ready (and its trap set) through the FIFO; then the terminal's SIGINT goes to kiln.
    strictEqual(await Deno.readTextFile(fifo), "ready\n");
    kiln.kill("SIGINT");
    const status = await kiln.status;
    strictEqual(status.code, 0, "kiln died of the SIGINT instead of passing it on");
    deepStrictEqual(JSON.parse(await Deno.readTextFile(result)), { lines: ["interrupted"], code: 3 });
  });
});

Deno.test({
  name: "landlock sandbox without root: session, keyring and filter need no privilege",
  ignore: which("setpriv") === undefined,
}, async () => {
  await withFixture(async (f) => {
    const NOBODY = 65534;
    const denoDir = `${f.scratch.dir}/deno-dir`;
    await Deno.mkdir(denoDir);
    for (const path of [f.scratch.dir, f.scratch.build, f.scratch.pkg, denoDir]) await Deno.chown(path, NOBODY, NOBODY);
    const request = `${f.scratch.dir}/request.json`;
    const result = `${f.scratch.dir}/result.json`;
    const script = `id -u; ${f.probe} tty add_key unshare clone3 fork udp tcp tiocsti-stdio`;
    await Deno.writeTextFile(
      request,
      JSON.stringify({ scratch: f.scratch, script, options: { mode: "landlock", readable: [f.tools] } }),
    );
    await Deno.chmod(request, 0o644);
    const driver = new URL("../_helpers/pty_driver.ts", import.meta.url).pathname;
    const out = await new Deno.Command("setpriv", {
      args: [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        driver,
        request,
        result,
      ],
      env: { DENO_DIR: denoDir, HOME: f.scratch.dir },
      stdin: "null",
      stderr: "piped",
    }).output();
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    const { lines, code } = JSON.parse(await Deno.readTextFile(result));
    strictEqual(code, 0, lines.join("\n"));
    deepStrictEqual(lines.slice(0, 3), [String(NOBODY), "isatty: 0 0 0", "/dev/tty: No such device or address"]);
    ok(Number(lines[3].replace("sid: ", "")) !== ownSession(), lines[3]);
    deepStrictEqual(lines.slice(4), [
      `add_key user: ${EPERM}`,
      `add_key session: ${EPERM}`,
      `unshare: ${EPERM}`,
      "clone3: Function not implemented",
      "fork: ok",
      `udp: ${EPERM}`,
      "tcp: ok",
      `tiocsti 0: ${EPERM}`,
      `tiocsti 1: ${EPERM}`,
    ]);
  });
});

Deno.test({
  name: "a filter the kernel refuses stops the set-up with what to do",
  ignore: which("setpriv") === undefined,
}, async () => {
  await withScratch(async (s) => {
    // Without no_new_privs and without CAP_SYS_ADMIN, the kernel refuses a filter (EACCES).
    const NOBODY = 65534;
    await Deno.chown(s.dir, NOBODY, NOBODY);
    const isolate = new URL("../../lib/sandbox/isolate.ts", import.meta.url).href;
    const code = `import { isolateKernelState } from "${isolate}";
      let step = "";
      try { isolateKernelState("host", (s) => step = s); console.log("installed"); }
      catch (err) { console.log(step + ": " + err.message); }`;
    const out = await new Deno.Command("setpriv", {
      args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", Deno.execPath(), "eval", code],
      env: { DENO_DIR: s.dir, HOME: s.dir },
      stdin: "null",
      stdout: "piped",
    }).output();
    strictEqual(
      new TextDecoder().decode(out.stdout).trim(),
      "installing the seccomp filter: the kernel refused the build's filter (Permission denied): the sandbox needs " +
        "seccomp filters (CONFIG_SECCOMP_FILTER); or set KISS_SANDBOX=none to build unconfined",
    );
  });
});
