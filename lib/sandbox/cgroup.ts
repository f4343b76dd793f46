/**
 * A control group per build (SPEC §7 step 7, §10): a bound on its processes
 * (`pids.max`) and, with cgroup v2, on its memory (`memory.max`); a way to
 * end everything it started (`cgroup.kill`); and, after it failed, which
 * bound it reached (`pids.events`, `memory.events`).
 *
 * Where the group goes:
 * - cgroup v2 with the `pids` controller (and `memory` when a memory bound is
 *   asked): `kiln/build-PID-N` at the top of the hierarchy. A group holding
 *   processes cannot hand controllers to its children (the "no internal
 *   processes" rule), so kiln's own group cannot be the parent; the top is
 *   exempt, and `kiln/` itself never holds a process.
 * - otherwise cgroup v1's `pids` hierarchy: `kiln/build-PID-N` below kiln's
 *   own group there. cgroup v1 gives no memory bound.
 * - neither (no root, no cgroup file system, controllers taken): no group.
 *
 * kiln makes the group before starting the helper and moves the helper in
 * (`cgroup.procs`) while its runtime starts; the helper waits for kiln's word
 * before it goes on, so every process of the build is born inside. Groups left by a kiln that was killed are removed by the next
 * build.
 *
 * @module
 */

import type { Log } from "../log.ts";

/** What to bound. */
export interface CgroupLimits {
  /** Processes and threads at once (`pids.max`). */
  readonly pids: number;
  /** Bytes of memory (`memory.max`); undefined: no bound. */
  readonly memory?: number;
}

/** One build's control group. */
export interface BuildCgroup {
  /** The group's directory. */
  readonly path: string;
  /** The cgroup version of its hierarchy. */
  readonly version: 1 | 2;
  /** Whether `memory.max` was set. */
  readonly memoryBound: boolean;
  /** The bounds asked for. */
  readonly limits: CgroupLimits;
}

interface CgroupMount {
  readonly version: 1 | 2;
  /** Mount point. */
  readonly target: string;
  /** The hierarchy's directory shown at the mount point (`/` unless a cgroup namespace or a bind). */
  readonly root: string;
  /** v1: the controllers of the hierarchy (from the super options). */
  readonly controllers: readonly string[];
}

const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const fields = left.split(" ");
    const [fstype, , superOptions] = right.split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    mounts.push({
      version: fstype === "cgroup2" ? 2 : 1,
      target: unescape(fields[4]),
      root: unescape(fields[3]),
      controllers: fstype === "cgroup" ? (superOptions ?? "").split(",") : [],
    });
  }
  return mounts;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The calling process's group in cgroup v1's hierarchy of `controller`. */
function ownGroup(controller: string): string | undefined {
  for (const line of (readText("/proc/self/cgroup") ?? "").split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    if (line.slice(first + 1, second).split(",").includes(controller)) return line.slice(second + 1);
  }
  return undefined;
}

/** Write `value` to a control file; throws with the file's path. */
function writeControl(path: string, value: string): void {
  try {
    Deno.writeTextFileSync(path, value, { create: false });
  } catch (err) {
    throw new Error(`cannot write '${value}' to ${path}: ${(err as Error).message}`);
  }
}

let sequence = 0;

/**
 * End the groups of builds whose kiln is gone (killed before it could clean
 * up): whatever still runs there (a Landlock-only build's children, which
 * no PID namespace took down) is killed, and the group removed.
 */
function removeStale(parent: string, version: 1 | 2): void {
  try {
    for (const entry of Deno.readDirSync(parent)) {
      const m = entry.name.match(/^build-(\d+)-\d+$/);
      if (!m || Number(m[1]) === Deno.pid || readText(`/proc/${m[1]}/stat`) !== undefined) continue;
      const path = `${parent}/${entry.name}`;
      killAll({ path, version });
      removeGroup(path);
    }
  } catch {
    // no parent yet
  }
}

function makeGroup(parent: string, version: 1 | 2): string {
  Deno.mkdirSync(parent, { recursive: true });
  removeStale(parent, version);
  const path = `${parent}/build-${Deno.pid}-${++sequence}`;
  Deno.mkdirSync(path);
  return path;
}

/** The v2 group, when the hierarchy has `pids` (and `memory` when asked). */
function makeV2(mount: CgroupMount, limits: CgroupLimits): BuildCgroup | undefined {
  if (mount.root !== "/") return undefined;
  const wanted = limits.memory === undefined ? ["pids"] : ["pids", "memory"];
  const available = (readText(`${mount.target}/cgroup.controllers`) ?? "").trim().split(/\s+/);
  if (!wanted.every((c) => available.includes(c))) return undefined;
  const enabled = (readText(`${mount.target}/cgroup.subtree_control`) ?? "").trim().split(/\s+/);
  const missing = wanted.filter((c) => !enabled.includes(c));
  if (missing.length > 0) writeControl(`${mount.target}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(" "));
  const parent = `${mount.target}/kiln`;
  Deno.mkdirSync(parent, { recursive: true });
  writeControl(`${parent}/cgroup.subtree_control`, wanted.map((c) => `+${c}`).join(" "));
  const path = makeGroup(parent, 2);
  try {
    writeControl(`${path}/pids.max`, String(limits.pids));
    if (limits.memory !== undefined) {
      writeControl(`${path}/memory.max`, String(limits.memory));
      // Past the bound the build is stopped, not swapped out.
      if (readText(`${path}/memory.swap.max`) !== undefined) writeControl(`${path}/memory.swap.max`, "0");
    }
  } catch (err) {
    removeGroup(path);
    throw err;
  }
  return { path, version: 2, memoryBound: limits.memory !== undefined, limits };
}

/** The v1 `pids` group below kiln's own. */
function makeV1(mount: CgroupMount, limits: CgroupLimits): BuildCgroup | undefined {
  const own = ownGroup("pids");
  if (own === undefined || !isBelow(own, mount.root)) return undefined;
  const below = own.slice(mount.root === "/" ? 0 : mount.root.length).replace(/\/+$/, "");
  const path = makeGroup(`${mount.target}${below}/kiln`, 1);
  try {
    writeControl(`${path}/pids.max`, String(limits.pids));
  } catch (err) {
    removeGroup(path);
    throw err;
  }
  return { path, version: 1, memoryBound: false, limits };
}

function isBelow(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir}/`);
}

function removeGroup(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // left for the next build's clean-up
  }
}

/**
 * Make a group for one build with `limits`, or undefined when this machine
 * gives none (not root, no writable cgroup file system, or its controllers
 * are bound elsewhere). Says at debug level which it made; warns when a
 * memory bound was asked and cannot be had.
 */
export function createBuildCgroup(limits: CgroupLimits, log: Log): BuildCgroup | undefined {
  if (Deno.uid() !== 0) return undefined;
  const mounts = cgroupMounts();
  let group: BuildCgroup | undefined;
  try {
    const v2 = mounts.find((m) => m.version === 2 && m.root === "/");
    if (v2) group = makeV2(v2, limits);
    const v1 = mounts.find((m) => m.version === 1 && m.controllers.includes("pids"));
    if (!group && v1) group = makeV1(v1, limits);
  } catch (err) {
    log.warn(`sandbox: no control group for the build (${(err as Error).message}); its processes are not bounded`);
    return undefined;
  }
  if (limits.memory !== undefined && !group?.memoryBound) {
    log.warn(
      "sandbox: KISS_MEMORY_MAX needs cgroup v2 with the memory controller, which this machine does not give; " +
        "the build's memory is not bounded",
    );
  }
  if (group) log.debug(`sandbox: control group ${group.path} (cgroup v${group.version})`);
  return group;
}

/** Move process `pid` (all its threads) into the group; throws naming the group's file. */
export function enterCgroup(group: BuildCgroup, pid: number): void {
  writeControl(`${group.path}/cgroup.procs`, String(pid));
}

/** A counter of a flat-keyed events file (`max 3`), 0 when absent. */
function counter(file: string, key: string): number {
  const m = (readText(file) ?? "").match(new RegExp(`^${key} (\\d+)$`, "m"));
  return m ? Number(m[1]) : 0;
}

/**
 * The bounds the build reached, as sentences naming the variable that sets
 * each: empty when none was.
 */
export function limitsReached(group: BuildCgroup): string[] {
  const reached: string[] = [];
  if (counter(`${group.path}/pids.events`, "max") > 0) {
    reached.push(`the build reached its limit of ${group.limits.pids} processes (KISS_PIDS_MAX)`);
  }
  if (group.memoryBound && counter(`${group.path}/memory.events`, "oom_kill") > 0) {
    reached.push(`the build ran out of its ${formatBytes(group.limits.memory!)} of memory (KISS_MEMORY_MAX)`);
  }
  return reached;
}

/** `1073741824` → `1 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

/**
 * Kill every process still in the group and remove it. Waits (yielding) for
 * the processes to be gone; gives up after a few seconds and leaves the
 * group to the next build's clean-up.
 */
export async function endCgroup(group: BuildCgroup): Promise<void> {
  for (let round = 0; round < 5000; round++) {
    const procs = (readText(`${group.path}/cgroup.procs`) ?? "").split("\n").filter((l) => l !== "");
    if (procs.length === 0) {
      removeGroup(group.path);
      return;
    }
    killAll(group, procs);
    await new Promise((resolve) => setTimeout(resolve, round < 10 ? 0 : 1));
  }
}

/** Kill every process of a group: `cgroup.kill` (v2, Linux 5.14), else one by one. */
function killAll(group: Pick<BuildCgroup, "path" | "version">, procs?: string[]): void {
  if (group.version === 2) {
    try {
      writeControl(`${group.path}/cgroup.kill`, "1");
      return;
    } catch {
      // an older kernel
    }
  }
  killEach(procs ?? (readText(`${group.path}/cgroup.procs`) ?? "").split("\n").filter((l) => l !== ""));
}

function killEach(pids: string[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already
    }
  }
}
