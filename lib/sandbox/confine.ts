/**
 * The last layer before `execve` (SPEC §7 step 6): Landlock, no new
 * privileges, and the capabilities that could undo the sandbox dropped.
 *
 * Landlock rules use paths as the build sees them: read and execute
 * everywhere (in the Landlock-only mode, everywhere but the host's `/dev`,
 * which can only be listed); write only under the writable directories (build dir, package
 * dir, `/tmp`, `/dev/shm`) and to the bound device files and private
 * terminals (`/dev/ptmx`, `/dev/pts`); device nodes
 * (`mknod`) nowhere; TCP bind and connect denied; abstract Unix sockets and
 * signals scoped to the sandbox (ABI 6). Rights the kernel's ABI lacks are
 * dropped from the request, so an older kernel still gets what it can.
 *
 * Builds run as root, as in kiss: they keep CAP_CHOWN, CAP_DAC_OVERRIDE,
 * CAP_FOWNER and CAP_FSETID, so that `make install` can give package files
 * their owners and modes inside the package directory, overwrite read-only
 * files of the build, and keep set-id bits. Every other capability is
 * dropped from the bounding, effective, permitted, inheritable and ambient
 * sets — among them CAP_SYS_ADMIN (mount), CAP_SYS_CHROOT, CAP_MKNOD,
 * CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_KILL, CAP_NET_ADMIN, CAP_NET_RAW,
 * CAP_SETUID/SETGID, CAP_SETPCAP, CAP_DAC_READ_SEARCH (open_by_handle_at),
 * CAP_LINUX_IMMUTABLE, CAP_SYS_RAWIO, CAP_BPF and CAP_PERFMON.
 *
 * @module
 */

import {
  abiVersion,
  ACCESS_FS,
  ACCESS_NET,
  addPathRule,
  createRuleset,
  restrictSelf,
  SCOPE,
  supportedRights,
} from "../../ffi/landlock.ts";
import { AT_FDCWD, close, O, openat } from "../../ffi/fs.ts";
import { capget, capset, PR, prctl } from "../../ffi/process.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";

/** Capability numbers named here (`<linux/capability.h>`). */
const CAP = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, FSETID: 4, SETPCAP: 8 } as const;

/** Capabilities a build keeps (see the module documentation). */
export const KEPT_CAPABILITIES = [CAP.CHOWN, CAP.DAC_OVERRIDE, CAP.FOWNER, CAP.FSETID] as const;

const READ = ACCESS_FS.EXECUTE | ACCESS_FS.READ_FILE | ACCESS_FS.READ_DIR | ACCESS_FS.IOCTL_DEV;
const WRITE_DIR = READ | ACCESS_FS.WRITE_FILE | ACCESS_FS.REMOVE_DIR | ACCESS_FS.REMOVE_FILE | ACCESS_FS.MAKE_DIR |
  ACCESS_FS.MAKE_REG | ACCESS_FS.MAKE_SOCK | ACCESS_FS.MAKE_FIFO | ACCESS_FS.MAKE_SYM | ACCESS_FS.REFER |
  ACCESS_FS.TRUNCATE;
const DEVICE_FILE = ACCESS_FS.READ_FILE | ACCESS_FS.WRITE_FILE | ACCESS_FS.TRUNCATE | ACCESS_FS.IOCTL_DEV;

/** What Landlock should allow, as paths seen by the build. */
export interface LandlockPolicy {
  /** Directories the build may change. */
  readonly writableDirs: readonly string[];
  /** Files the build may open for writing and ioctl (device nodes, or directories of them such as `/dev/pts`). */
  readonly writableFiles: readonly string[];
  /**
   * Directories the build may read and execute from; absent: everything.
   * Everything else can only be listed, not opened.
   */
  readonly readableDirs?: readonly string[];
}

/** Outcome of {@linkcode applyLandlock}. */
export interface LandlockOutcome {
  /** The kernel's Landlock ABI version; 0 when Landlock is unavailable (nothing applied). */
  readonly abi: number;
}

function addRule(ruleset: number, path: string, rights: bigint): void {
  let fd: number;
  try {
    fd = openat(AT_FDCWD, path, O.PATH | O.CLOEXEC);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ERRNO.ENOENT) return;
    throw err;
  }
  try {
    addPathRule(ruleset, fd, rights);
  } finally {
    close(fd);
  }
}

/**
 * Set `no_new_privs` and restrict the calling thread with Landlock. Returns
 * ABI 0, having applied nothing but `no_new_privs`, when the kernel has no
 * Landlock.
 */
export function applyLandlock(policy: LandlockPolicy): LandlockOutcome {
  prctl(PR.SET_NO_NEW_PRIVS, 1);
  const abi = abiVersion();
  if (abi === 0) return { abi };
  const known = supportedRights(abi);
  const ruleset = createRuleset({
    fs: known.fs,
    net: known.net & (ACCESS_NET.BIND_TCP | ACCESS_NET.CONNECT_TCP),
    scoped: known.scoped & (SCOPE.ABSTRACT_UNIX_SOCKET | SCOPE.SIGNAL),
  });
  try {
    if (policy.readableDirs) {
      addRule(ruleset, "/", ACCESS_FS.READ_DIR & known.fs);
      for (const dir of policy.readableDirs) addRule(ruleset, dir, READ & known.fs);
    } else {
      addRule(ruleset, "/", READ & known.fs);
    }
    for (const dir of policy.writableDirs) addRule(ruleset, dir, WRITE_DIR & known.fs);
    for (const file of policy.writableFiles) addRule(ruleset, file, DEVICE_FILE & known.fs);
    restrictSelf(ruleset);
  } finally {
    close(ruleset);
  }
  return { abi };
}

/**
 * The host's top-level directories but `/dev`, for a build that sees the
 * host's `/dev` (the Landlock-only mode): there `/dev/pts` holds the user's
 * terminals, whose keystrokes the build must not read, so only the device
 * files it is given can be opened. Files at the top (a swap file) are left
 * out too.
 */
export function hostDirsButDev(): string[] {
  const dirs: string[] = [];
  for (const entry of Deno.readDirSync("/")) {
    if (entry.name === "dev") continue;
    try {
      if (Deno.statSync(`/${entry.name}`).isDirectory) dirs.push(`/${entry.name}`);
    } catch {
      // a dangling link: nothing to read
    }
  }
  return dirs;
}

/**
 * Drop every capability but {@linkcode KEPT_CAPABILITIES}: from the bounding
 * set (so that executing as root cannot bring them back), the ambient set, and
 * the effective, permitted and inheritable sets.
 */
export function dropCapabilities(): void {
  let keep = 0n;
  for (const cap of KEPT_CAPABILITIES) keep |= 1n << BigInt(cap);
  const current = capget();
  if (current.effective & (1n << BigInt(CAP.SETPCAP))) {
    for (let cap = 0; cap < 64; cap++) {
      if (keep & (1n << BigInt(cap))) continue;
      try {
        prctl(PR.CAPBSET_DROP, cap);
      } catch (err) {
        if (err instanceof SyscallError && err.errno === ERRNO.EINVAL) break; // past the kernel's last capability
        throw err;
      }
    }
  }
  prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL);
  const kept = current.permitted & keep;
  capset({ effective: kept, permitted: kept, inheritable: 0n });
}
