/**
 * Process calls for the sandbox: namespaces (`unshare`), mounts (`mount`,
 * `umount2`, `pivot_root`), `prctl`, capabilities (`capget`, `capset`),
 * signals, `sethostname`, `geteuid` and `execve`. Each throws
 * {@linkcode SyscallError} on failure.
 *
 * @module
 */

import { addressOf, call, cstring, encoder } from "./libc.ts";

/** `unshare` flags. */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

/** `mount` flags. */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
  PRIVATE: 1 << 18,
} as const;

/** `umount2` flag: detach now, clean up when no longer busy. */
export const MNT_DETACH = 2;

/** `prctl` options used by the sandbox. */
export const PR = {
  CAPBSET_DROP: 24,
  SET_NO_NEW_PRIVS: 38,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_CLEAR_ALL: 4,
  SET_PDEATHSIG: 1,
} as const;

/** `unshare(flags)`: new namespaces for the calling thread. */
export function unshare(flags: number): void {
  call("unshare", [flags]);
}

/** `mount(source, target, fstype, flags, data)`. */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): void {
  const c = (s: string | null) => s === null ? null : cstring(s);
  call("mount", [c(source), cstring(target), c(fstype), flags, c(data)], target);
}

/** `umount2(target, flags)`. */
export function umount2(target: string, flags: number): void {
  call("umount2", [cstring(target), flags], target);
}

/** `pivot_root(newRoot, putOld)` (the C library has no wrapper). */
export function pivotRoot(newRoot: string, putOld: string): void {
  call("pivot_root", [cstring(newRoot), cstring(putOld)], newRoot);
}

/** `prctl(option, a, b, c, d)`; returns the call's result. */
export function prctl(option: number, a = 0, b = 0, c = 0, d = 0): number {
  return call("prctl", [option, a, b, c, d]);
}

/** Capability sets as 64-bit masks (bit N = capability N). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

const CAPABILITY_VERSION_3 = 0x20080522;

/** `capget(0)`: the calling thread's capability sets. */
export function capget(): CapabilitySets {
  const header = new Uint32Array([CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array(6);
  call("capget", [header, data]);
  const join = (lo: number, hi: number) => BigInt(lo) | (BigInt(hi) << 32n);
  return { effective: join(data[0], data[3]), permitted: join(data[1], data[4]), inheritable: join(data[2], data[5]) };
}

/** `capset(0, sets)`: replace the calling thread's capability sets. */
export function capset(sets: CapabilitySets): void {
  const header = new Uint32Array([CAPABILITY_VERSION_3, 0]);
  const lo = (v: bigint) => Number(v & 0xffffffffn);
  const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
  const data = new Uint32Array([
    lo(sets.effective),
    lo(sets.permitted),
    lo(sets.inheritable),
    hi(sets.effective),
    hi(sets.permitted),
    hi(sets.inheritable),
  ]);
  call("capset", [header, data]);
}

/** `execve(path, argv, envp)`: only returns by throwing. */
export function execve(path: string, argv: readonly string[], env: readonly string[]): never {
  const strings = [...argv, ...env].map(cstring);
  const table = (list: Uint8Array<ArrayBuffer>[]) => {
    const t = new BigUint64Array(list.length + 1);
    list.forEach((s, i) => t[i] = addressOf(s));
    return t;
  };
  const argvTable = table(strings.slice(0, argv.length));
  const envTable = table(strings.slice(argv.length));
  try {
    call("execve", [cstring(path), argvTable, envTable], path);
  } finally {
    // The strings must stay reachable until the call has returned.
    strings.length = 0;
  }
  throw new Error("execve returned");
}

/** `sethostname(name)`. */
export function sethostname(name: string): void {
  const bytes = encoder.encode(name) as Uint8Array<ArrayBuffer>;
  call("sethostname", [bytes, bytes.length]);
}

/** `geteuid()`. */
export function geteuid(): number {
  return call("geteuid", []);
}

/**
 * `rt_sigaction(sig, SIG_DFL)`: restore a signal's default action (the C
 * library's `signal` refuses the signals it keeps for itself).
 */
export function defaultSignal(sig: number): void {
  // struct sigaction all zero: handler SIG_DFL, no flags, empty mask.
  call("rt_sigaction", [sig, new BigUint64Array(4), null, 8]);
}

/** `rt_sigprocmask(SIG_SETMASK, {})`: unblock every signal for the calling thread. */
export function unblockAllSignals(): void {
  const SIG_SETMASK = 2;
  call("rt_sigprocmask", [SIG_SETMASK, new BigUint64Array(1), null, 8]);
}

/** `setsid()`: a new session and process group led by the caller, with no controlling terminal; returns its id. */
export function setsid(): number {
  return call("setsid", []);
}

/**
 * `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: give the calling thread a new
 * anonymous session keyring (inherited across `fork` and `execve`); returns
 * its serial number.
 */
export function joinNewSessionKeyring(): number {
  const KEYCTL_JOIN_SESSION_KEYRING = 1;
  return call("keyctl", [KEYCTL_JOIN_SESSION_KEYRING, 0]);
}

/** `setns(fd, nstype)`: join the namespace `fd` refers to (for a PID namespace: the calling thread's future children). */
export function setns(fd: number, nstype: number): void {
  call("setns", [fd, nstype]);
}

/** `getppid()`: the parent's pid (0 when the parent is outside the caller's PID namespace). */
export function getppid(): number {
  return call("getppid", []);
}
