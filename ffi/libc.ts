/**
 * The core of kiln's bindings to the C library (SPEC §7): one `Deno.dlopen`
 * with two symbols, raw system calls by name through `syscall(2)`, and
 * {@linkcode SyscallError} with `errno` read right after a failed call
 * (through `__errno_location`). Mechanism only: what to call, and in which
 * order, is decided in `lib/sandbox/`. The calls themselves are in `fs.ts`
 * (files and descriptors), `process.ts` (namespaces, mounts, capabilities,
 * exec) and `landlock.ts`.
 *
 * All calls are synchronous and act on the calling thread, which is what the
 * sandbox helper needs: namespaces, the root directory, Landlock domains and
 * capabilities are per thread until `execve` makes them the new program's.
 *
 * The library is opened on first use, so importing this module costs nothing.
 *
 * @module
 */

/** errno values the sandbox tests for. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  EMLINK: 31,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EROFS: 30,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  EOPNOTSUPP: 95,
} as const;

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ERRNO).map(([name, value]) => [value, name]),
);

/** A failed library or system call: the call's name, errno, and the C library's text for it. */
export class SyscallError extends Error {
  /** The call that failed, e.g. `mount`. */
  readonly call: string;
  /** `errno` right after the call. */
  readonly errno: number;
  /** Symbolic name of `errno` (`EPERM`), or `errno N`. */
  readonly code: string;
  /** `strerror(errno)`: `Operation not permitted`. */
  readonly reason: string;

  constructor(call: string, errno: number, reason: string, what?: string) {
    super(`${call}${what ? ` ${what}` : ""}: ${reason}`);
    this.name = "SyscallError";
    this.call = call;
    this.errno = errno;
    this.code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    this.reason = reason;
  }
}

/** System call numbers, per architecture. */
const SYSCALLS: Record<string, Record<string, number>> = {
  x86_64: {
    read: 0,
    write: 1,
    close: 3,
    rt_sigaction: 13,
    rt_sigprocmask: 14,
    execve: 59,
    fcntl: 72,
    chdir: 80,
    geteuid: 107,
    capget: 125,
    capset: 126,
    statfs: 137,
    flock: 73,
    pivot_root: 155,
    prctl: 157,
    mount: 165,
    umount2: 166,
    sethostname: 170,
    openat: 257,
    newfstatat: 262,
    mkdirat: 258,
    linkat: 265,
    symlinkat: 266,
    unshare: 272,
    dup3: 292,
    getppid: 110,
    setns: 308,
    syncfs: 306,
    pread64: 17,
    ftruncate: 77,
    getdents64: 217,
    unlinkat: 263,
    readlinkat: 267,
    statx: 332,
    fdatasync: 75,
    renameat2: 316,
    setsid: 112,
    keyctl: 250,
    seccomp: 317,
  },
  aarch64: {
    dup3: 24,
    fcntl: 25,
    statfs: 43,
    flock: 32,
    mkdirat: 34,
    symlinkat: 36,
    linkat: 37,
    umount2: 39,
    mount: 40,
    pivot_root: 41,
    chdir: 49,
    openat: 56,
    newfstatat: 79,
    close: 57,
    read: 63,
    write: 64,
    capget: 90,
    capset: 91,
    unshare: 97,
    getppid: 173,
    setns: 268,
    rt_sigaction: 134,
    rt_sigprocmask: 135,
    sethostname: 161,
    prctl: 167,
    geteuid: 175,
    execve: 221,
    syncfs: 267,
    pread64: 67,
    ftruncate: 46,
    getdents64: 61,
    unlinkat: 35,
    readlinkat: 78,
    statx: 291,
    fdatasync: 83,
    renameat2: 276,
    setsid: 157,
    keyctl: 219,
    seccomp: 277,
  },
};
/** Numbers shared by every architecture (allocated after the tables were unified). */
const COMMON_SYSCALLS: Record<string, number> = {
  close_range: 436,
  openat2: 437,
  landlock_create_ruleset: 444,
  landlock_add_rule: 445,
  landlock_restrict_self: 446,
};

// Two symbols only: every binding below is a raw system call through the C
// library's `syscall`, which keeps `Deno.dlopen` (about 0.1 ms per symbol)
// off the helper's start-up path.
const SYMBOLS = {
  __errno_location: { parameters: [], result: "pointer" },
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const LIBRARY_NAMES = ["libc.so.6", "libc.so", "/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1"];
let lib: Lib | undefined;
let strerrorFn: ((n: number) => Deno.PointerValue) | undefined;

/** Open the C library with `symbols` (for the few calls that need their own symbol). */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(symbols: S): Deno.DynamicLibrary<S>["symbols"] {
  let last: unknown;
  for (const name of LIBRARY_NAMES) {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`cannot open the C library (tried ${LIBRARY_NAMES.join(", ")}): ${(last as Error).message}`);
}

function libc(): Lib {
  return lib ??= openLibrary(SYMBOLS);
}

/** Whether the C library can be called here (foreign calls allowed, a C library found). */
export function haveLibrary(): boolean {
  try {
    libc();
    return true;
  } catch {
    return false;
  }
}

/** Shared UTF-8 encoder. */
export const encoder = new TextEncoder();

/** A NUL-terminated copy of `s` for passing as `const char *`. */
export function cstring(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The calling thread's `errno`. Only meaningful right after a failed call. */
export function errno(): number {
  return new Deno.UnsafePointerView(libc().__errno_location()!).getInt32();
}

/** `strerror(n)`: the C library's text for an errno value. */
export function strerror(n: number): string {
  strerrorFn ??= openLibrary({ strerror: { parameters: ["i32"], result: "pointer" } }).strerror;
  const p = strerrorFn(n);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${n}`;
}

function syscallNumber(name: string): number {
  const n = COMMON_SYSCALLS[name] ?? SYSCALLS[Deno.build.arch]?.[name];
  if (n === undefined) throw new Error(`no system call number for ${name} on ${Deno.build.arch}`);
  return n;
}

/** The address of a buffer, as a system call argument (0 for null). */
export function addressOf(buf: BufferSource | Uint8Array<ArrayBufferLike> | null): bigint {
  if (buf === null) return 0n;
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}

type Arg = number | bigint | Uint8Array<ArrayBuffer> | BigUint64Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | null;

function raw(name: string, args: Arg[]): bigint {
  const a = [0n, 0n, 0n, 0n, 0n];
  args.forEach((v, i) => a[i] = typeof v === "number" ? BigInt(v) : typeof v === "bigint" ? v : addressOf(v));
  // The buffers in `args` stay reachable until this returns.
  return libc().syscall(BigInt(syscallNumber(name)), a[0], a[1], a[2], a[3], a[4]);
}

/**
 * `syscall(name, ...args)`: a raw system call by name (buffers are passed by
 * address); returns the result, or throws {@linkcode SyscallError} with
 * `errno` read right after the call. `what` (a path) goes into the message.
 */
export function call(name: string, args: Arg[], what?: string): number {
  const ret = raw(name, args);
  if (ret === -1n) {
    const n = errno();
    throw new SyscallError(name, n, strerror(n), what);
  }
  return Number(ret);
}

/**
 * `syscall(name, ...args)` without throwing, for calls whose failure is an
 * expected answer: the result, or -1 (then {@linkcode errno} says why).
 */
export function tryCall(name: string, args: Arg[]): number {
  return Number(raw(name, args));
}

/** `syscall(name, ...args)` with number arguments (addresses from {@linkcode addressOf}). */
export function syscall(name: string, ...args: (number | bigint)[]): number {
  return call(name, args);
}
