/**
 * The seccomp filter as a program: the BPF assembler's encoding and its
 * refusals, and the filter run by a classic-BPF interpreter on system calls
 * of both architectures — including what this machine's kernel cannot show
 * (aarch64, an x32 table where the kernel has none).
 */

import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { BPF, BpfProgram } from "../../lib/sandbox/bpf.ts";
import {
  buildFilter,
  CLONE_NEW_FLAGS,
  DENIED_IOCTLS,
  DENIED_SYSCALLS,
  seccompPolicy,
} from "../../lib/sandbox/seccomp.ts";
import { AUDIT_ARCH, FILTER_SYSCALLS, type NativeArch, SECCOMP_RET } from "../../ffi/seccomp.ts";

const X86_64: NativeArch = { name: "x86_64", audit: AUDIT_ARCH.X86_64 };
const AARCH64: NativeArch = { name: "aarch64", audit: AUDIT_ARCH.AARCH64 };
const ALLOW = SECCOMP_RET.ALLOW;
const EPERM = SECCOMP_RET.ERRNO | 1;
const ENOSYS = SECCOMP_RET.ERRNO | 38;

/** Run classic BPF `program` on a `seccomp_data` as the kernel would; returns the action. */
function runFilter(program: Uint8Array, nr: number, arch: number, args: bigint[] = []): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const word = (offset: number): number => {
    if (offset === 0) return nr >>> 0;
    if (offset === 4) return arch >>> 0;
    const i = (offset - 16) >> 3;
    const value = args[i] ?? 0n;
    return Number((offset - 16) % 8 === 0 ? value & 0xffffffffn : (value >> 32n) & 0xffffffffn);
  };
  let a = 0;
  for (let pc = 0; pc < program.length / 8;) {
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    pc++;
    switch (code) {
      case BPF.LD_W_ABS:
        a = word(k);
        break;
      case BPF.ALU_AND_K:
        a = (a & k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += k;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF.JMP_JGT_K:
        pc += a > k ? jt : jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF.JMP_JSET_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case BPF.RET_K:
        return k;
      default:
        throw new Error(`unknown BPF instruction ${code}`);
    }
  }
  throw new Error("ran off the end of the program");
}

Deno.test("BPF assembler: offsets come from labels", () => {
  const p = new BpfProgram();
  p.load(0).jumpIf("eq", 7, "deny", null).jumpIf("set", 1, null, "deny").ret(ALLOW).label("deny").ret(EPERM);
  const bytes = p.assemble();
  const view = new DataView(bytes.buffer);
  deepStrictEqual([view.getUint8(10), view.getUint8(11)], [2, 0]);
  deepStrictEqual([view.getUint8(18), view.getUint8(19)], [0, 1]);
  strictEqual(runFilter(bytes, 7, 0), EPERM);
  strictEqual(runFilter(bytes, 3, 0), ALLOW);
  strictEqual(runFilter(bytes, 2, 0), EPERM);
});

Deno.test("BPF assembler: refuses what cannot be encoded", () => {
  throws(() => new BpfProgram().jumpIf("eq", 1, "nowhere").ret(0).assemble(), /label nowhere is not defined/);
  throws(() => new BpfProgram().label("top").load(0).jumpIf("eq", 1, "top").ret(0).assemble(), /only forward/);
  throws(() => new BpfProgram().label("x").label("x"), /defined twice/);
  throws(() => new BpfProgram().load(0).assemble(), /must end with a return/);
  throws(() => new BpfProgram().ret(-1), /not an unsigned 32-bit integer/);
  throws(() => new BpfProgram().assemble(), /empty/);
  const far = new BpfProgram().load(0).jumpIf("eq", 1, "end");
  for (let i = 0; i < 256; i++) far.ret(ALLOW);
  throws(() => far.label("end").ret(EPERM).assemble(), /too far \(256\)/);
});

for (const arch of [X86_64, AARCH64]) {
  const nr = (name: string) => FILTER_SYSCALLS[name][arch.name]!;
  const filter = buildFilter({ denyNetwork: false }, arch);
  const run = (n: number, args: bigint[] = []) => runFilter(filter, n, arch.audit, args);

  Deno.test(`seccomp filter (${arch.name}): the denied calls are EPERM, others allowed`, () => {
    for (const name of Object.keys(DENIED_SYSCALLS)) {
      const n = FILTER_SYSCALLS[name][arch.name];
      if (n !== undefined) strictEqual(run(n), EPERM, name);
    }
    // read, write, openat, execve, exit_group
    const common = arch.name === "x86_64" ? [0, 1, 257, 59, 231] : [63, 64, 56, 221, 94];
    for (const n of common) strictEqual(run(n), ALLOW, `system call ${n}`);
  });

  Deno.test(`seccomp filter (${arch.name}): clone, clone3, ioctl`, () => {
    const SIGCHLD = 17n;
    strictEqual(run(nr("clone"), [SIGCHLD]), ALLOW);
    strictEqual(run(nr("clone"), [0x003d0f00n]), ALLOW, "pthread_create's flags");
    for (let bit = 0; bit < 32; bit++) {
      if (CLONE_NEW_FLAGS & (1 << bit)) strictEqual(run(nr("clone"), [BigInt(1 << bit) | SIGCHLD]), EPERM);
    }
    strictEqual(run(nr("clone3")), ENOSYS);
    for (const request of Object.values(DENIED_IOCTLS)) {
      strictEqual(run(nr("ioctl"), [0n, BigInt(request)]), EPERM);
      // The kernel reads the request as an unsigned int: high bits do not hide it.
      strictEqual(run(nr("ioctl"), [0n, BigInt(request) | 0xffff_ffff_0000_0000n]), EPERM);
    }
    strictEqual(run(nr("ioctl"), [0n, 0x5401n]), ALLOW, "TCGETS");
  });

  Deno.test(`seccomp filter (${arch.name}): a foreign system call table is refused whole`, () => {
    const foreign = arch.name === "x86_64" ? AUDIT_ARCH.I386 : AUDIT_ARCH.ARM;
    for (const n of [0, 1, 3, 20, 39, 172]) strictEqual(runFilter(filter, n, foreign), EPERM);
    strictEqual(runFilter(filter, 0, arch.name === "x86_64" ? AUDIT_ARCH.AARCH64 : AUDIT_ARCH.X86_64), EPERM);
    const x32 = 0x40000000;
    strictEqual(run(x32 | 39), arch.name === "x86_64" ? EPERM : ALLOW);
    if (arch.name === "x86_64") strictEqual(run(x32 | nr("unshare")), EPERM);
  });

  Deno.test(`seccomp filter (${arch.name}): the Landlock-only network policy`, () => {
    const net = buildFilter(seccompPolicy("landlock")!, arch);
    const socket = (domain: number, type: number, protocol = 0) =>
      runFilter(net, nr("socket"), arch.audit, [BigInt(domain), BigInt(type), BigInt(protocol)]);
    const SOCK_CLOEXEC = 0x80000;
    strictEqual(socket(2, 1), ALLOW, "TCP");
    strictEqual(socket(10, 1 | SOCK_CLOEXEC, 6), ALLOW, "TCP over IPv6, close-on-exec");
    strictEqual(socket(16, 3, 0), ALLOW, "route netlink");
    strictEqual(socket(2, 2), EPERM, "UDP");
    strictEqual(socket(10, 2 | SOCK_CLOEXEC), EPERM, "UDP over IPv6");
    strictEqual(socket(2, 3, 1), EPERM, "raw");
    strictEqual(socket(2, 1, 132), EPERM, "SCTP");
    strictEqual(socket(2, 1, 262), EPERM, "MPTCP");
    strictEqual(socket(1, 1), EPERM, "Unix");
    strictEqual(socket(17, 3), EPERM, "packet");
    strictEqual(socket(16, 3, 9), EPERM, "audit netlink");
    const MSG_FASTOPEN = 0x20000000n;
    for (const [name, index] of [["sendto", 3], ["sendmsg", 2], ["sendmmsg", 3]] as const) {
      const args = [0n, 0n, 0n, 0n];
      strictEqual(runFilter(net, nr(name), arch.audit, args), ALLOW, name);
      args[index] = MSG_FASTOPEN;
      strictEqual(runFilter(net, nr(name), arch.audit, args), EPERM, `${name} with MSG_FASTOPEN`);
    }
    // Without the policy, sockets are the network namespace's business.
    strictEqual(runFilter(filter, nr("socket"), arch.audit, [2n, 2n, 0n]), ALLOW);
  });
}

Deno.test("seccomp policy: no filter for none, the network policy for landlock only", () => {
  strictEqual(seccompPolicy("none"), undefined);
  deepStrictEqual(seccompPolicy("hermetic"), { denyNetwork: false });
  deepStrictEqual(seccompPolicy("host"), { denyNetwork: false });
  deepStrictEqual(seccompPolicy("landlock"), { denyNetwork: true });
});
