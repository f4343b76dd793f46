/**
 * The sandbox helper: the process kiln starts as `kiln __sandbox-helper PLAN`
 * (see `launch.ts`). Its main thread sets the sandbox up with synchronous FFI
 * calls and then `execve`s the build, which replaces the helper and all of
 * its threads (SPEC §7).
 *
 * It talks to kiln on standard error before `execve` only (`plan.ts`); the
 * build's standard error is joined to its standard output.
 *
 * @module
 */

import {
  AT_FDCWD,
  close,
  CLOSE_RANGE_CLOEXEC,
  closeRange,
  dup2,
  F,
  fcntl,
  O,
  openat,
  read,
  writeAll,
} from "../../ffi/fs.ts";
import { defaultSignal, execve, geteuid, PR, prctl, unblockAllSignals } from "../../ffi/process.ts";
import { cstring, SyscallError } from "../../ffi/libc.ts";
import { applyLandlock, dropCapabilities, hostDirsButDev } from "./confine.ts";
import { isolateKernelState } from "./isolate.ts";
import { DEVICES, enterNamespaces, pivotInto, prepareRoot, PTY_PATHS } from "./mounts.ts";
import { encodeMessage, HELPER_FAILED, type HelperMessage, type HelperPlan } from "./plan.ts";

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

function send(fd: number, message: HelperMessage): void {
  writeAll(fd, cstring(encodeMessage(message)).subarray(0, -1));
}

/** The step being done, for error messages. */
let step = "reading the plan";

function findExecutable(name: string, path: string | undefined): string {
  if (name.includes("/")) return name;
  for (const dir of (path ?? "/usr/bin:/bin").split(":")) {
    const candidate = `${dir === "" ? "." : dir}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`cannot run ${name}: not found in PATH=${path ?? ""} inside the sandbox`);
}

/**
 * Die with kiln: the build (this process after `execve`, kept as PID 1 of
 * its namespace) gets SIGKILL when the kiln thread that started it ends.
 * Then wait for kiln's answer: it shows kiln was still there once this was
 * asked (the parent of a namespace's PID 1 is out of `getppid`'s sight), and
 * kiln gives it once it has moved this process into the build's control
 * group, so that every process of the build is born there.
 */
function tieToKiln(): void {
  step = "tying the build to kiln";
  prctl(PR.SET_PDEATHSIG, 9);
  send(2, { type: "namespaced" });
  if (read(0, new Uint8Array(1)) !== 1) throw new Error("kiln went away");
}

/** Everything up to `execve`, in the order of SPEC §7. */
function setUp(plan: HelperPlan, warn: (message: string) => void): void {
  const root = geteuid() === 0;
  const devices = DEVICES.map((name) => `/dev/${name}`);
  if (plan.mode === "hermetic" || plan.mode === "host") {
    step = "entering new namespaces";
    enterNamespaces();
    tieToKiln();
    step = "mounting the sandbox's root";
    const newRoot = prepareRoot(plan, warn);
    step = "entering the sandbox's root";
    pivotInto(newRoot, plan.cwd);
  } else {
    tieToKiln();
    step = "entering the working directory";
    Deno.chdir(plan.cwd);
  }
  if (plan.mode === "none") return;
  step = "applying Landlock";
  const namespaced = plan.mode !== "landlock";
  const outcome = applyLandlock({
    writableDirs: namespaced ? [...plan.writable, "/tmp", "/dev/shm"] : plan.writable,
    writableFiles: namespaced ? [...devices, ...PTY_PATHS] : devices,
    readableDirs: namespaced ? undefined : hostDirsButDev(),
  });
  if (outcome.abi === 0) {
    if (!namespaced) {
      throw new Error("Landlock is not available in this kernel (CONFIG_SECURITY_LANDLOCK, lsm=landlock)");
    }
    warn("Landlock is not available in this kernel; the build is confined by namespaces and mounts only");
  }
  // Landlock-only mode runs unprivileged only (mode.ts): its seccomp filter belongs here.
  if (root) {
    step = "dropping capabilities";
    dropCapabilities();
  }
  isolateKernelState(plan.mode, (what) => step = what);
}

/** Hand the process over to the build: fds, signals and stdio made clean, then `execve`. */
function startBuild(plan: HelperPlan, path: string): never {
  // No input (kiln's answer pipe is replaced); standard error joins standard output;
  // the status channel closes on exec.
  const devNull = openat(AT_FDCWD, "/dev/null", O.RDONLY | O.CLOEXEC);
  dup2(devNull, 0);
  close(devNull);
  dup2(1, 2);
  closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  for (const fd of [0, 1, 2]) {
    const flags = fcntl(fd, F_GETFL, 0);
    if (flags & O_NONBLOCK) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  // Dispositions set to "ignore" (the runtime ignores SIGPIPE) and the signal mask survive execve.
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue;
    try {
      defaultSignal(sig);
    } catch {
      // not a settable signal
    }
  }
  unblockAllSignals();
  const env = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`);
  try {
    execve(path, plan.argv, env);
  } catch (err) {
    throw new Error(`cannot run ${path}: ${err instanceof SyscallError ? err.reason : (err as Error).message}`);
  }
}

function hintFor(err: unknown, plan: HelperPlan | undefined): string | undefined {
  if (step === "starting the build") {
    return "check that the build script exists inside the sandbox, is executable, and that its #! interpreter " +
      "is there too (declare the package that provides it)";
  }
  if (err instanceof SyscallError && (err.code === "EPERM" || err.code === "EACCES")) {
    return `KISS_SANDBOX=${plan?.mode ?? "auto"} needs root with CAP_SYS_ADMIN and a kernel that allows namespaces; ` +
      "inside a restricted container, run kiln as an unprivileged user (it then builds with Landlock alone)";
  }
  return undefined;
}

/**
 * Entry point of `kiln __sandbox-helper PLAN`. Returns only on failure
 * ({@linkcode HELPER_FAILED}, with an error message sent to kiln); on success
 * the process has become the build.
 */
export function helperMain(args: string[]): number {
  const startup = performance.now();
  let plan: HelperPlan | undefined;
  let channel = 2;
  try {
    if (args.length !== 1) throw new Error("usage: kiln __sandbox-helper PLAN-FILE");
    plan = JSON.parse(Deno.readTextFileSync(args[0])) as HelperPlan;
    setUp(plan, (message) => send(2, { type: "warn", message }));
    step = "finding the build command";
    const path = findExecutable(plan.argv[0], plan.env.PATH);
    step = "starting the build";
    channel = fcntl(2, F.DUPFD_CLOEXEC, 3);
    send(channel, { type: "ready", startup, setup: performance.now() - startup });
    startBuild(plan, path);
  } catch (err) {
    const what = err instanceof Error ? err.message : String(err);
    send(channel, { type: "error", message: `sandbox: ${step}: ${what}`, hint: hintFor(err, plan) });
    return HELPER_FAILED;
  }
}
