/**
 * Run one build command in the sandbox (SPEC §7): decide the mode, make the
 * sysroot, start the helper (`launch.ts`), stream the build's output into
 * its log file and to the caller, and clean up.
 *
 * ```ts
 * const { code, mode } = await runSandboxed({
 *   mode: config.sandbox, root: config.root,
 *   argv: [`${work}/script`, pkgDir, version], env, cwd: buildDir,
 *   writable: [buildDir, pkgDir], packages: closure, workDir: work,
 *   logFile, onLine: (line) => lastLine = line,
 * }, log);
 * ```
 *
 * @module
 */

import { parseSandboxLimits, sizeInBytes } from "../config.ts";
import { KilnError } from "../errors.ts";
import { SyscallError } from "../../ffi/libc.ts";
import type { Log } from "../log.ts";
import { forwardInterrupts } from "./interrupt.ts";
import { type BuildCgroup, createBuildCgroup, endCgroup, enterCgroup, limitsReached } from "./cgroup.ts";
import { helperCommand } from "./launch.ts";
import { resolveMode } from "./mode.ts";
import { isWithin, readMounts } from "./paths.ts";
import { decodeMessage, type HelperPlan } from "./plan.ts";
import type { ResolvedSandboxMode, SandboxRequest, SandboxResult } from "./request.ts";
import { sysrootPackages } from "./closure.ts";
import { buildSysroot } from "./sysroot.ts";
import { spawnInNewPidNamespace } from "./pidns.ts";
import { holdScratch, NO_SPACE, releaseScratch, type ScratchSpace } from "./space.ts";

export type { ResolvedSandboxMode, SandboxRequest, SandboxResult } from "./request.ts";
export { resolveSandboxMode } from "./mode.ts";
export { buildSysroot } from "./sysroot.ts";

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function checkRequest(request: SandboxRequest): void {
  const paths = [
    request.root,
    request.cwd,
    request.workDir,
    request.logFile,
    ...request.writable,
    ...(request.readable ?? []),
  ];
  const bad = paths.find((p) => !p.startsWith("/"));
  if (bad !== undefined) throw new KilnError(`sandbox: '${bad}' is not an absolute path`);
  if (request.argv.length === 0 || request.argv[0] === "") throw new KilnError("sandbox: no command to run");
}

/** Refuse writable directories that would expose the sysroot (its hard links are the root's own files). */
function checkWritable(writable: readonly string[], newRoot: string): void {
  for (const dir of writable) {
    if (isWithin(newRoot, dir)) {
      throw new KilnError(`sandbox: the writable directory ${dir} contains the sandbox root ${newRoot}`, {
        hint: "give the build its own build and package directories, not the whole work directory",
      });
    }
  }
}

/** Lines of output, split as they arrive; also appended to the log file. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  logFile: string,
  onLine?: (line: string) => void,
): Promise<void> {
  const dir = logFile.slice(0, logFile.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.open(logFile, { create: true, append: true });
  const decoder = new TextDecoder();
  let partial = "";
  try {
    for await (const chunk of stream) {
      for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
      if (!onLine) continue;
      partial += decoder.decode(chunk, { stream: true });
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) onLine(line.replace(/\r$/, ""));
    }
    if (onLine) {
      partial += decoder.decode();
      if (partial !== "") onLine(partial.replace(/\r$/, ""));
    }
  } finally {
    file.close();
  }
}

/** The lines of a stream, as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    partial += decoder.decode(chunk, { stream: true });
    const parts = partial.split("\n");
    partial = parts.pop()!;
    yield* parts;
  }
  partial += decoder.decode();
  if (partial !== "") yield partial;
}

async function removeTree(path: string, log: Log): Promise<void> {
  // A mount left below would make a recursive removal reach into it: never remove through one.
  const live = readMounts().filter((m) => isWithin(m.target, path));
  if (live.length > 0) {
    log.warn(`sandbox: ${path} is still mounted at ${live[0].target}; leaving it in place`);
    return;
  }
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/**
 * Run `request.argv` in the sandbox and wait for it. Announces the mode used
 * (`[INFO] sandbox: hermetic`; `none` as a warning). The result carries the
 * exit status; a sandbox that could not be set up, or a command that could
 * not be started, is a {@linkcode KilnError}.
 */
export async function runSandboxed(request: SandboxRequest, log: Log): Promise<SandboxResult> {
  checkRequest(request);
  const mode: ResolvedSandboxMode = resolveMode(request.mode, request.root);
  if (mode === "none") log.warn("sandbox: none (KISS_SANDBOX=none): the build runs unconfined");
  else log.info(`sandbox: ${mode}`);

  await Deno.mkdir(request.workDir, { recursive: true });
  const limits = request.limits ?? parseSandboxLimits({});
  const cleanup: string[] = [];
  let cgroup: BuildCgroup | undefined;
  try {
    const env: Record<string, string> = { ...request.env };
    const writable = [...request.writable];
    let newRoot: string | undefined;
    if (mode === "hermetic" || mode === "host") {
      newRoot = await Deno.makeTempDir({ dir: request.workDir, prefix: mode === "hermetic" ? "sysroot-" : "root-" });
      cleanup.push(newRoot);
      await Deno.chmod(newRoot, 0o755);
      checkWritable(writable, newRoot);
    }
    if (mode === "hermetic") {
      const started = performance.now();
      const stats = buildSysroot(request.root, sysrootPackages(request.root, request.packages, log), newRoot!, log);
      log.debug(
        `sandbox: sysroot of ${stats.packages.length} packages (${stats.linked} hard links, ${stats.copied} copies, ` +
          `${stats.dirs} directories, ${stats.missing} missing) in ${(performance.now() - started).toFixed(1)} ms`,
      );
    }
    if (mode === "landlock") {
      // No private /tmp without namespaces: the build gets its own temporary directory,
      // as TMPDIR, and as HOME where the caller meant the private /tmp.
      const tmp = await Deno.makeTempDir({ dir: request.workDir, prefix: "tmp-" });
      cleanup.push(tmp);
      writable.push(tmp);
      env.TMPDIR = tmp;
      if (env.HOME === "/tmp") env.HOME = tmp;
    }
    const namespaced = mode === "hermetic" || mode === "host";
    cgroup = createBuildCgroup({
      pids: limits.pids,
      memory: limits.memory === undefined ? undefined : sizeInBytes(limits.memory, Deno.systemMemoryInfo().total),
    }, log);
    const plan: HelperPlan = {
      mode,
      root: request.root,
      newRoot,
      argv: [...request.argv],
      env,
      cwd: request.cwd,
      writable,
      readable: [...(request.readable ?? [])],
      tmpfsSize: limits.tmpfsSize,
      // Without a control group, the namespace's own pid_max bounds the build's processes (a group's
      // bound is exact and says when it was reached, so it alone is used where there is one).
      pidMax: namespaced && !cgroup && pidMaxPerNamespace()
        ? Math.min(Math.max(limits.pids + 1, 301), 4194304)
        : undefined,
    };
    const planFile = await Deno.makeTempFile({ dir: request.workDir, prefix: "sandbox-", suffix: ".json" });
    cleanup.push(planFile);
    await Deno.writeTextFile(planFile, JSON.stringify(plan), { mode: 0o600 });
    const result = await spawnHelper(planFile, mode, request, log, cgroup, limits.tmpfsSize);
    // A failed build says which bound it ran into (a build that succeeded anyway needs no word).
    if (result.code !== 0) result.limitsReached.forEach((sentence) => log.warn(`sandbox: ${sentence}`));
    return result;
  } finally {
    if (cgroup) await endCgroup(cgroup);
    for (const path of cleanup.reverse()) await removeTree(path, log);
  }
}

async function spawnHelper(
  planFile: string,
  mode: ResolvedSandboxMode,
  request: SandboxRequest,
  log: Log,
  cgroup: BuildCgroup | undefined,
  tmpfsSize: string,
): Promise<SandboxResult> {
  const launch = helperCommand();
  log.debug(`sandbox: starting ${launch.command} ${launch.args.join(" ")} ${planFile}`);
  const command = new Deno.Command(launch.command, {
    args: [...launch.args, planFile],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  });
  // hermetic and host: the helper is PID 1 of a new PID namespace, and so is the build after it.
  const child = mode === "hermetic" || mode === "host" ? spawnInPidNamespace(command, mode) : command.spawn();
  // Into the build's group while the helper's runtime starts (moving a process with threads can cost some
  // milliseconds); the helper waits for the answer to its first message before it goes on.
  const stopForwarding = forwardInterrupts(child.pid);
  let placed: Error | undefined;
  if (cgroup) {
    try {
      enterCgroup(cgroup, child.pid);
    } catch (err) {
      placed = err as Error;
    }
  }
  let sawNoSpace = false;
  const output = pump(child.stdout, request.logFile, (line) => {
    if (line.includes(NO_SPACE)) sawNoSpace = true;
    request.onLine?.(line);
  });
  let space: ScratchSpace | undefined;
  const answer = child.stdin.getWriter();

  let timing: SandboxResult["timing"];
  let failure: { message: string; hint?: string } | undefined;
  const other: string[] = [];
  // The helper's messages end at execve (or when it gives up).
  for await (const line of lines(child.stderr)) {
    const message = decodeMessage(line);
    if (!message) {
      if (line.trim() !== "") other.push(line);
    } else if (message.type === "namespaced") {
      if (placed) {
        // No answer: the helper ends, the build never starts outside its bounds.
        failure = {
          message: `sandbox: cannot move the build into its control group: ${placed.message}`,
          hint: "check that the cgroup file system is mounted read-write and that kiln's processes may be moved there",
        };
        await answer.close().catch(() => {});
        continue;
      }
      await answer.write(new Uint8Array([1])).catch(() => {});
    } else if (message.type === "warn") log.warn(`sandbox: ${message.message}`);
    else if (message.type === "ready") {
      timing = { startup: message.startup, setup: message.setup };
      if (mode === "hermetic" || mode === "host") space = holdScratch(child.pid, tmpfsSize);
    } else failure ??= message;
  }
  await answer.close().catch(() => {});
  // In a PID namespace the build's end is every process's end; the control group ends the rest:
  // nothing left can hold the output open.
  let status: Deno.CommandStatus;
  const reached: string[] = [];
  try {
    status = await child.status;
    stopForwarding();
    if (cgroup) reached.push(...limitsReached(cgroup));
    if (cgroup) await endCgroup(cgroup);
    await output;
  } finally {
    if (space) reached.push(...releaseScratch(space, sawNoSpace));
  }
  if (failure) throw new KilnError(failure.message, { hint: failure.hint });
  if (!timing) {
    throw new KilnError(
      `sandbox: the helper exited with status ${status.code} before starting the build` +
        (other.length > 0 ? `: ${other.slice(-5).join(" | ")}` : ""),
      { hint: "run again with KISS_DEBUG=1 to see how the helper was started" },
    );
  }
  const code = status.signal ? 128 + (SIGNALS[status.signal] ?? 0) : status.code;
  return { code, mode, timing, limitsReached: reached };
}

/** {@linkcode spawnInNewPidNamespace}, its failure said as kiln's. */
function spawnInPidNamespace(command: Deno.Command, mode: ResolvedSandboxMode): Deno.ChildProcess {
  try {
    return spawnInNewPidNamespace(command);
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    throw new KilnError(`sandbox: cannot start the build in a PID namespace of its own: ${err.message}`, {
      hint: `KISS_SANDBOX=${mode} needs root with CAP_SYS_ADMIN and a kernel that allows namespaces; ` +
        "inside a restricted container set KISS_SANDBOX=landlock",
    });
  }
}

/** Whether `pid_max` is per PID namespace here (Linux 6.14 and later); before, it is the machine's. */
function pidMaxPerNamespace(release: string = Deno.osRelease()): boolean {
  const [major, minor] = release.split(".").map((n) => parseInt(n, 10));
  return major > 6 || (major === 6 && minor >= 14);
}
