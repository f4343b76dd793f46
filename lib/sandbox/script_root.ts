/**
 * Package scripts confined to their root (SPEC §8): the helper that runs a
 * `post-install` or `pre-remove` when the root is not `/`, started by kiln
 * as `kiln __script-helper PLAN-JSON` (`script_run.ts`). Like the build's
 * helper, its main thread sets everything up with synchronous FFI calls and
 * then `execve`s the script.
 *
 * The script sees:
 * - `/`: the root, bind-mounted with the file systems mounted below it
 *   (a separate `/boot`, `/var`…), writable — the script is there to change
 *   the root, as under kiss — but without the kernel's pseudo file systems
 *   and the in-memory ones a host may have mounted there for a chroot
 *   (`proc`, `sysfs`, `devpts`, `devtmpfs`, cgroups, a `tmpfs` `/run`…),
 *   which reach outside ({@linkcode PSEUDO_FILE_SYSTEMS});
 * - `pivot_root` into it, the host's tree detached: no `..` and no second
 *   `chroot` leads out;
 * - no `/proc`: the host's would show every host process's root
 *   (`/proc/PID/root`), and a private one needs a PID namespace;
 * - `/dev` (when the root has that directory): a read-only tmpfs with
 *   `null zero full random urandom tty` bound from the host;
 * - new network, IPC and UTS namespaces (no network: package scripts do not
 *   fetch), Landlock scoping signals and abstract sockets to the script and
 *   forbidding device nodes, `no_new_privs`, and only CAP_CHOWN,
 *   CAP_DAC_OVERRIDE, CAP_FOWNER and CAP_FSETID (what changing the root's
 *   files needs: no mount, chroot, ptrace, kill, mknod, module, raw I/O);
 * - the environment kiln gives (`script_run.ts`), standard input from
 *   `/dev/null`, standard error joined to standard output;
 * - its own PID namespace, of which it is the init (`script_run.ts`): what
 *   it leaves running is killed by the kernel when it ends, whatever
 *   namespaces or sessions those processes entered.
 *
 * @module
 */

import { AT_FDCWD, CLOSE_RANGE_CLOEXEC, closeRange, dup2, F, fcntl, O, openat, writeAll } from "../../ffi/fs.ts";
import { defaultSignal, execve, MNT_DETACH, mount, MS, umount2, unblockAllSignals } from "../../ffi/process.ts";
import { cstring, SyscallError } from "../../ffi/libc.ts";
import { applyLandlock, dropCapabilities } from "./confine.ts";
import { DEVICES, enterNamespaces, pivotInto } from "./mounts.ts";
import { encodeMessage, HELPER_FAILED } from "./plan.ts";

const F_GETFL = 3;
const O_NONBLOCK = 0o4000;

/** The hidden sub-command main.ts hands to {@linkcode scriptHelperMain}. */
export const SCRIPT_HELPER_COMMAND = "__script-helper";

/** What kiln tells the script helper (as one JSON argument). */
export interface ScriptPlan {
  /** The root, an absolute host path without symbolic links (it becomes `/`). */
  readonly root: string;
  /** The script, as a path inside the root. */
  readonly script: string;
  /** The script's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * A host file kiln made for this run: the helper writes its failure and the
   * script its output there (no pipe, so that kiln can wait for the PID
   * namespace synchronously).
   */
  readonly output: string;
}

/**
 * File system types mounted below a root that are not the root's own and
 * reach outside it: the kernel's pseudo file systems, and those in memory
 * (a host's `/run` bound in for a chroot holds its sockets — a container
 * engine's, the system bus). Never shown to a script: it sees the directory
 * under them, in the root.
 */
export const PSEUDO_FILE_SYSTEMS: ReadonlySet<string> = new Set([
  "tmpfs",
  "ramfs",
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "securityfs",
  "debugfs",
  "tracefs",
  "bpf",
  "efivarfs",
  "fusectl",
  "configfs",
  "binfmt_misc",
  "pstore",
  "mqueue",
  "hugetlbfs",
  "nsfs",
  "autofs",
  "rpc_pipefs",
]);

/** One line of `/proc/self/mountinfo`: where, and which file system type. */
interface Mount {
  readonly target: string;
  readonly type: string;
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The mounts of the calling thread's namespace, in mount order. */
function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 0 || fields.length < dash + 2) continue;
    out.push({ target: unescape(fields[4]), type: fields[dash + 1] });
  }
  return out;
}

function isBelow(path: string, dir: string): boolean {
  return path.startsWith(dir === "/" ? "/" : `${dir}/`);
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The root bound over itself, pseudo file systems below it detached (deepest first). */
function bindRoot(root: string): void {
  mount(root, root, null, MS.BIND | MS.REC);
  const below = mounts().filter((m) => isBelow(m.target, root) && PSEUDO_FILE_SYSTEMS.has(m.type));
  for (const m of below.reverse()) {
    try {
      umount2(m.target, MNT_DETACH);
    } catch (err) {
      // Already gone with a mount above it.
      if (!(err instanceof SyscallError && err.code === "EINVAL")) throw err;
    }
  }
}

/** A read-only `/dev` with the safe devices, over the root's own `dev` directory (not a link) in this namespace. */
function bindDevices(root: string): void {
  const dev = `${root}/dev`;
  const info = lstat(dev);
  if (!info?.isDirectory) return;
  mount("kiln-dev", dev, "tmpfs", MS.NOSUID | MS.NOEXEC, "mode=0755,size=64k");
  for (const name of DEVICES) {
    if (!lstat(`/dev/${name}`)) continue;
    Deno.writeFileSync(`${dev}/${name}`, new Uint8Array(), { mode: 0o666 });
    mount(`/dev/${name}`, `${dev}/${name}`, null, MS.BIND);
  }
  Deno.symlinkSync("/proc/self/fd", `${dev}/fd`);
  ["stdin", "stdout", "stderr"].forEach((name, fd) => Deno.symlinkSync(`/proc/self/fd/${fd}`, `${dev}/${name}`));
  mount(null, dev, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NOEXEC);
}

let step = "reading the plan";

/** Everything up to `execve`. */
function setUp(plan: ScriptPlan): void {
  if (!plan.root.startsWith("/") || plan.root === "/") throw new Error(`'${plan.root}' is not a root to confine to`);
  step = "entering new namespaces";
  enterNamespaces();
  step = "mounting the root";
  bindRoot(plan.root);
  bindDevices(plan.root);
  step = "entering the root";
  pivotInto(plan.root, "/");
  step = "applying Landlock";
  applyLandlock({ writableDirs: ["/"], writableFiles: [] });
  step = "dropping capabilities";
  dropCapabilities();
}

/** Descriptors, signals and standard input made clean, then `execve` of the script. */
function start(plan: ScriptPlan): never {
  // Standard input is kiln's /dev/null already, standard output the output file; nothing else is passed on.
  closeRange(3, 0xffffffff, CLOSE_RANGE_CLOEXEC);
  for (const fd of [1, 2]) {
    const flags = fcntl(fd, F_GETFL, 0);
    if (flags & O_NONBLOCK) fcntl(fd, F.SETFL, flags & ~O_NONBLOCK);
  }
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === 9 || sig === 19) continue;
    try {
      defaultSignal(sig);
    } catch {
      // not a settable signal
    }
  }
  unblockAllSignals();
  // Standard error joins standard output, so that the script's lines keep their order in the log.
  dup2(1, 2);
  step = "starting the script";
  const env = Object.entries(plan.env).map(([k, v]) => `${k}=${v}`);
  // The root's shell runs it, as kiss's would (and says so when its interpreter is missing);
  // a root without a shell runs it directly.
  try {
    execve("/bin/sh", ["sh", "-c", '"$0"', plan.script], env);
  } catch {
    // no /bin/sh in the root
  }
  execve(plan.script, [plan.script], env);
}

/**
 * Entry point of `kiln __script-helper PLAN-JSON`. Returns only on failure
 * ({@linkcode HELPER_FAILED}, the error written to the output file as a
 * helper message); on success the process has become the script.
 */
export function scriptHelperMain(args: string[]): number {
  try {
    if (args.length !== 1) throw new Error("usage: kiln __script-helper PLAN-JSON");
    const plan = JSON.parse(args[0]) as ScriptPlan;
    step = "opening the output file";
    const out = openat(AT_FDCWD, plan.output, O.WRONLY | O.NOFOLLOW | O.CLOEXEC);
    dup2(out, 1);
    dup2(out, 2);
    step = "reading the plan";
    setUp(plan);
    start(plan);
  } catch (err) {
    const what = err instanceof SyscallError ? err.message : (err as Error).message;
    writeAll(2, cstring(encodeMessage({ type: "error", message: `${step}: ${what}` })).subarray(0, -1));
    return HELPER_FAILED;
  }
}
