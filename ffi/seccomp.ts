/**
 * Binding to `seccomp(SECCOMP_SET_MODE_FILTER)` and the numbers a filter
 * needs: the audit architecture of this machine and the system call numbers
 * of x86_64 and aarch64, as in `<linux/audit.h>`, `<asm/unistd.h>` and
 * `<linux/seccomp.h>`. Mechanism only: what the filter says is decided in
 * `lib/sandbox/seccomp.ts`.
 *
 * @module
 */

import { call } from "./libc.ts";

/** `seccomp_data` field offsets, for `BPF_LD|BPF_W|BPF_ABS`. */
export const SECCOMP_DATA = {
  /** `int nr`: the system call number. */
  NR: 0,
  /** `__u32 arch`: an `AUDIT_ARCH_*` value. */
  ARCH: 4,
  /** Low 32 bits of `args[i]` (little-endian machines): `ARGS + 8 * i`. */
  ARGS: 16,
} as const;

/** Filter return values (`SECCOMP_RET_*`); `ERRNO` is or-ed with the errno value. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  ALLOW: 0x7fff0000,
} as const;

/** `AUDIT_ARCH_*` values of the architectures kiln runs on and their compatibility modes. */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e,
  I386: 0x40000003,
  AARCH64: 0xc00000b7,
  ARM: 0x40000028,
} as const;

/** On x86_64, the bit that marks an x32 system call number (`__X32_SYSCALL_BIT`). */
export const X32_SYSCALL_BIT = 0x40000000;

/** The system calls a filter may name, with their numbers on each architecture (absent: no such call there). */
export const FILTER_SYSCALLS: Readonly<Record<string, { readonly x86_64?: number; readonly aarch64?: number }>> = {
  ioctl: { x86_64: 16, aarch64: 29 },
  socket: { x86_64: 41, aarch64: 198 },
  sendto: { x86_64: 44, aarch64: 206 },
  sendmsg: { x86_64: 46, aarch64: 211 },
  clone: { x86_64: 56, aarch64: 220 },
  ptrace: { x86_64: 101, aarch64: 117 },
  syslog: { x86_64: 103, aarch64: 116 },
  uselib: { x86_64: 134 },
  vhangup: { x86_64: 153, aarch64: 58 },
  pivot_root: { x86_64: 155, aarch64: 41 },
  adjtimex: { x86_64: 159, aarch64: 171 },
  chroot: { x86_64: 161, aarch64: 51 },
  acct: { x86_64: 163, aarch64: 89 },
  settimeofday: { x86_64: 164, aarch64: 170 },
  mount: { x86_64: 165, aarch64: 40 },
  umount2: { x86_64: 166, aarch64: 39 },
  swapon: { x86_64: 167, aarch64: 224 },
  swapoff: { x86_64: 168, aarch64: 225 },
  reboot: { x86_64: 169, aarch64: 142 },
  iopl: { x86_64: 172 },
  ioperm: { x86_64: 173 },
  init_module: { x86_64: 175, aarch64: 105 },
  delete_module: { x86_64: 176, aarch64: 106 },
  quotactl: { x86_64: 179, aarch64: 60 },
  nfsservctl: { x86_64: 180, aarch64: 42 },
  lookup_dcookie: { x86_64: 212, aarch64: 18 },
  clock_settime: { x86_64: 227, aarch64: 112 },
  kexec_load: { x86_64: 246, aarch64: 104 },
  add_key: { x86_64: 248, aarch64: 217 },
  request_key: { x86_64: 249, aarch64: 218 },
  keyctl: { x86_64: 250, aarch64: 219 },
  unshare: { x86_64: 272, aarch64: 97 },
  perf_event_open: { x86_64: 298, aarch64: 241 },
  fanotify_init: { x86_64: 300, aarch64: 262 },
  name_to_handle_at: { x86_64: 303, aarch64: 264 },
  open_by_handle_at: { x86_64: 304, aarch64: 265 },
  clock_adjtime: { x86_64: 305, aarch64: 266 },
  sendmmsg: { x86_64: 307, aarch64: 269 },
  setns: { x86_64: 308, aarch64: 268 },
  process_vm_readv: { x86_64: 310, aarch64: 270 },
  process_vm_writev: { x86_64: 311, aarch64: 271 },
  finit_module: { x86_64: 313, aarch64: 273 },
  kexec_file_load: { x86_64: 320, aarch64: 294 },
  bpf: { x86_64: 321, aarch64: 280 },
  userfaultfd: { x86_64: 323, aarch64: 282 },
  io_uring_setup: { x86_64: 425, aarch64: 425 },
  io_uring_enter: { x86_64: 426, aarch64: 426 },
  io_uring_register: { x86_64: 427, aarch64: 427 },
  open_tree: { x86_64: 428, aarch64: 428 },
  move_mount: { x86_64: 429, aarch64: 429 },
  fsopen: { x86_64: 430, aarch64: 430 },
  fsconfig: { x86_64: 431, aarch64: 431 },
  fsmount: { x86_64: 432, aarch64: 432 },
  fspick: { x86_64: 433, aarch64: 433 },
  clone3: { x86_64: 435, aarch64: 435 },
  pidfd_getfd: { x86_64: 438, aarch64: 438 },
  process_madvise: { x86_64: 440, aarch64: 440 },
  mount_setattr: { x86_64: 442, aarch64: 442 },
  quotactl_fd: { x86_64: 443, aarch64: 443 },
  open_tree_attr: { x86_64: 467, aarch64: 467 },
};

/** The machine kiln runs on, as a filter sees it. */
export interface NativeArch {
  /** `Deno.build.arch`. */
  readonly name: "x86_64" | "aarch64";
  /** Its `AUDIT_ARCH_*` value (what `seccomp_data.arch` holds for native calls). */
  readonly audit: number;
}

/** This machine's architecture; throws on one kiln has no numbers for. */
export function nativeArch(): NativeArch {
  const name = Deno.build.arch;
  if (name === "x86_64") return { name, audit: AUDIT_ARCH.X86_64 };
  if (name === "aarch64") return { name, audit: AUDIT_ARCH.AARCH64 };
  throw new Error(`no seccomp numbers for the ${name} architecture`);
}

/** The number of system call `name` on `arch`, or undefined when it has none there. */
export function filterSyscall(name: string, arch: NativeArch["name"]): number | undefined {
  const entry = FILTER_SYSCALLS[name];
  if (!entry) throw new Error(`no system call named ${name} in the filter's table`);
  return entry[arch];
}

const SECCOMP_SET_MODE_FILTER = 1;

/**
 * `seccomp(SECCOMP_SET_MODE_FILTER, 0, prog)`: install classic BPF `program`
 * (8 bytes per instruction: u16 code, u8 jt, u8 jf, u32 k) on the calling
 * thread; inherited by its children and kept across `execve`. Needs
 * `no_new_privs` or `CAP_SYS_ADMIN`.
 */
export function installFilter(program: Uint8Array<ArrayBuffer>): void {
  if (program.length === 0 || program.length % 8 !== 0) {
    throw new Error(`a seccomp program is a whole number of 8-byte instructions, not ${program.length} bytes`);
  }
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer at offset 8.
  const fprog = new BigUint64Array(2);
  fprog[0] = BigInt(program.length / 8);
  fprog[1] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(program)));
  call("seccomp", [SECCOMP_SET_MODE_FILTER, 0, fprog]);
}
