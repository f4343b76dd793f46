/**
 * The build's seccomp filter (SPEC §7 step 7): system calls that reach
 * kernel state no namespace isolates fail with `EPERM` — an error, not a
 * kill, so that configure probes see "not permitted" and go on without the
 * feature. Installed by the helper last before `execve`, after Landlock and
 * the capability drop, with `no_new_privs` set.
 *
 * The filter:
 * - answers `EPERM` to every call of a foreign architecture (i386 through
 *   `int 0x80` on x86_64, 32-bit ARM on aarch64) and, on x86_64, to every
 *   x32 call, so the numbers below cannot be reached by another table;
 * - answers `EPERM` to the calls of {@linkcode DENIED_SYSCALLS};
 * - `clone`: `EPERM` when its flags hold a `CLONE_NEW*` bit;
 * - `clone3`: `ENOSYS`, since its flags are in memory a filter cannot read;
 *   the C libraries then fall back to `clone`, which is checked;
 * - `ioctl`: `EPERM` for `TIOCSTI` (typing into a terminal) and `TIOCLINUX`;
 * - with {@linkcode SeccompPolicy.denyNetwork} (Landlock-only mode, where the
 *   build shares the host's network): only TCP sockets (which Landlock
 *   confines) and route netlink may be made; UDP, raw, packet and Unix
 *   sockets are `EPERM`, as is TCP Fast Open (`MSG_FASTOPEN`, a connect
 *   inside `sendto`/`sendmsg`).
 *
 * @module
 */

import {
  filterSyscall,
  installFilter,
  type NativeArch,
  nativeArch,
  SECCOMP_DATA,
  SECCOMP_RET,
  X32_SYSCALL_BIT,
} from "../../ffi/seccomp.ts";
import { ERRNO } from "../../ffi/libc.ts";
import { BpfProgram } from "./bpf.ts";
import type { ResolvedSandboxMode } from "./request.ts";

/** System calls that always fail with `EPERM` in a build, each with why. */
export const DENIED_SYSCALLS: Readonly<Record<string, string>> = {
  add_key: "keyrings are shared with the host (root's user keyring)",
  keyctl: "keyrings are shared with the host",
  request_key: "keyrings are shared with the host, and it can start host helper programs",
  unshare: "new namespaces would hand a build capabilities back (user namespaces) and hide it from kiln",
  setns: "joining another namespace leaves the sandbox",
  mount: "the sandbox's mounts are its walls",
  umount2: "unmounting could uncover what the sandbox hides",
  pivot_root: "changes the root",
  chroot: "changes the root (the classic escape with ..)",
  open_tree: "new mount API: copies and moves mounts",
  move_mount: "new mount API",
  fsopen: "new mount API",
  fsconfig: "new mount API",
  fsmount: "new mount API",
  fspick: "new mount API: reconfigures an existing mount",
  mount_setattr: "new mount API: makes a read-only mount writable",
  open_tree_attr: "new mount API",
  ptrace: "reads and writes other processes",
  process_vm_readv: "reads another process's memory",
  process_vm_writev: "writes another process's memory",
  pidfd_getfd: "steals a file descriptor from another process",
  process_madvise: "acts on another process's memory",
  bpf: "kernel programs and maps are global",
  perf_event_open: "observes the whole machine and has a long history of kernel bugs",
  userfaultfd: "stalls kernel code at will: a tool of kernel exploits",
  io_uring_setup: "runs system calls the filter never sees",
  io_uring_enter: "runs system calls the filter never sees",
  io_uring_register: "runs system calls the filter never sees",
  kexec_load: "replaces the running kernel",
  kexec_file_load: "replaces the running kernel",
  init_module: "loads code into the kernel",
  finit_module: "loads code into the kernel",
  delete_module: "unloads kernel modules",
  open_by_handle_at: "opens files by handle, around every path check",
  name_to_handle_at: "makes the handles open_by_handle_at takes",
  fanotify_init: "watches (and can block) file access machine-wide",
  acct: "process accounting is machine-wide",
  swapon: "machine-wide swap",
  swapoff: "machine-wide swap",
  reboot: "reboots the machine",
  settimeofday: "the clock is machine-wide",
  clock_settime: "the clock is machine-wide",
  clock_adjtime: "the clock is machine-wide",
  adjtimex: "the clock is machine-wide",
  syslog: "the kernel's log holds host addresses and messages",
  quotactl: "disk quotas are machine-wide",
  quotactl_fd: "disk quotas are machine-wide",
  iopl: "raw hardware port access",
  ioperm: "raw hardware port access",
  lookup_dcookie: "profiling interface that names host files",
  vhangup: "hangs up the terminal",
  nfsservctl: "the kernel NFS server",
  uselib: "obsolete loader interface",
};

/** `CLONE_NEW*` bits of `clone`'s flags: mount, cgroup, UTS, IPC, user, PID, network. */
export const CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 |
  0x40000000;

/** Terminal ioctls refused: `TIOCSTI` (push input into a terminal), `TIOCLINUX` (console tricks, selection paste). */
export const DENIED_IOCTLS = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c } as const;

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_STREAM = 1;
const SOCK_TYPE_MASK = 0xf;
const IPPROTO_TCP = 6;
const NETLINK_ROUTE = 0;
const MSG_FASTOPEN = 0x20000000;

/** What the filter refuses beyond its fixed list. */
export interface SeccompPolicy {
  /**
   * Refuse sockets Landlock cannot confine — UDP, raw, packet, SCTP, Unix
   * (path names and abstract), netlink other than route — and TCP Fast Open.
   * For the Landlock-only mode, where the build shares the host's network.
   */
  readonly denyNetwork: boolean;
}

/** The filter's policy for a sandbox `mode`, or undefined for `none` (no filter). */
export function seccompPolicy(mode: ResolvedSandboxMode): SeccompPolicy | undefined {
  if (mode === "none") return undefined;
  return { denyNetwork: mode === "landlock" };
}

const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = SECCOMP_RET.ERRNO | ERRNO.EPERM;
const ENOSYS = SECCOMP_RET.ERRNO | ERRNO.ENOSYS;
const arg = (i: number) => SECCOMP_DATA.ARGS + 8 * i;

/** Calls whose flags argument may hold `MSG_FASTOPEN`: name → argument index. */
const SEND_CALLS = { sendto: 3, sendmsg: 2, sendmmsg: 3 } as const;

/** The filter for `policy` on `arch`, as `struct sock_filter` bytes. */
export function buildFilter(policy: SeccompPolicy, arch: NativeArch = nativeArch()): Uint8Array<ArrayBuffer> {
  const nr = (name: string) => filterSyscall(name, arch.name);
  const p = new BpfProgram();
  p.load(SECCOMP_DATA.ARCH).jumpIf("eq", arch.audit, null, "deny");
  p.load(SECCOMP_DATA.NR);
  if (arch.name === "x86_64") p.jumpIf("ge", X32_SYSCALL_BIT, "deny");
  p.jumpIf("eq", nr("ioctl")!, "ioctl");
  p.jumpIf("eq", nr("clone")!, "clone");
  p.jumpIf("eq", nr("clone3")!, "enosys");
  if (policy.denyNetwork) {
    p.jumpIf("eq", nr("socket")!, "socket");
    for (const name of Object.keys(SEND_CALLS)) p.jumpIf("eq", nr(name)!, name);
  }
  for (const name of Object.keys(DENIED_SYSCALLS)) {
    const n = nr(name);
    if (n !== undefined) p.jumpIf("eq", n, "deny");
  }
  p.ret(ALLOW);

  p.label("ioctl").load(arg(1));
  for (const request of Object.values(DENIED_IOCTLS)) p.jumpIf("eq", request, "deny");
  p.ret(ALLOW);

  p.label("clone").load(arg(0)).jumpIf("set", CLONE_NEW_FLAGS, "deny").ret(ALLOW);

  if (policy.denyNetwork) {
    p.label("socket").load(arg(0));
    p.jumpIf("eq", AF_INET, "inet").jumpIf("eq", AF_INET6, "inet").jumpIf("eq", AF_NETLINK, "netlink");
    p.jump("deny");
    p.label("inet").load(arg(1)).and(SOCK_TYPE_MASK).jumpIf("eq", SOCK_STREAM, null, "deny");
    p.load(arg(2)).jumpIf("eq", 0, "allow").jumpIf("eq", IPPROTO_TCP, "allow").jump("deny");
    p.label("netlink").load(arg(2)).jumpIf("eq", NETLINK_ROUTE, "allow").jump("deny");
    for (const [name, index] of Object.entries(SEND_CALLS)) {
      p.label(name).load(arg(index)).jumpIf("set", MSG_FASTOPEN, "deny").ret(ALLOW);
    }
    p.label("allow").ret(ALLOW);
  }

  p.label("enosys").ret(ENOSYS);
  p.label("deny").ret(EPERM);
  return p.assemble();
}

/**
 * Install the filter for `policy` on the calling thread (inherited by the
 * build through `execve`). Needs `no_new_privs` (set with Landlock).
 */
export function applySeccomp(policy: SeccompPolicy): void {
  installFilter(buildFilter(policy));
}
