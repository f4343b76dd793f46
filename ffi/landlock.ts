/**
 * Bindings to the Landlock system calls (`landlock_create_ruleset`,
 * `landlock_add_rule`, `landlock_restrict_self`) and their constants, as in
 * `<linux/landlock.h>`. Mechanism only: which rights a build gets is decided
 * in `lib/sandbox/confine.ts`.
 *
 * @module
 */

import { call, ERRNO, SyscallError } from "./libc.ts";

/** Filesystem access rights, with the ABI version that introduced each. */
export const ACCESS_FS = {
  EXECUTE: 1n << 0n,
  WRITE_FILE: 1n << 1n,
  READ_FILE: 1n << 2n,
  READ_DIR: 1n << 3n,
  REMOVE_DIR: 1n << 4n,
  REMOVE_FILE: 1n << 5n,
  MAKE_CHAR: 1n << 6n,
  MAKE_DIR: 1n << 7n,
  MAKE_REG: 1n << 8n,
  MAKE_SOCK: 1n << 9n,
  MAKE_FIFO: 1n << 10n,
  MAKE_BLOCK: 1n << 11n,
  MAKE_SYM: 1n << 12n,
  /** ABI 2. */
  REFER: 1n << 13n,
  /** ABI 3. */
  TRUNCATE: 1n << 14n,
  /** ABI 5. */
  IOCTL_DEV: 1n << 15n,
} as const;

/** Network access rights (ABI 4). */
export const ACCESS_NET = {
  BIND_TCP: 1n << 0n,
  CONNECT_TCP: 1n << 1n,
} as const;

/** IPC scopes (ABI 6). */
export const SCOPE = {
  ABSTRACT_UNIX_SOCKET: 1n << 0n,
  SIGNAL: 1n << 1n,
} as const;

/** Every filesystem right each ABI version knows (index = version). */
const FS_BY_ABI = [0n, (1n << 13n) - 1n, (1n << 14n) - 1n, (1n << 15n) - 1n, (1n << 15n) - 1n, (1n << 16n) - 1n];
/** Every network right each ABI version knows. */
const NET_BY_ABI = [0n, 0n, 0n, 0n, 3n];
/** Every scope each ABI version knows. */
const SCOPE_BY_ABI = [0n, 0n, 0n, 0n, 0n, 0n, 3n];

/** The rights a kernel of Landlock ABI `abi` understands. */
export function supportedRights(abi: number): { fs: bigint; net: bigint; scoped: bigint } {
  const at = (table: bigint[]) => abi <= 0 ? 0n : table[Math.min(abi, table.length - 1)];
  return { fs: at(FS_BY_ABI), net: at(NET_BY_ABI), scoped: at(SCOPE_BY_ABI) };
}

const CREATE_RULESET_VERSION = 1;
const RULE_PATH_BENEATH = 1;

/**
 * The kernel's Landlock ABI version, or 0 when Landlock is not built in or
 * turned off (`ENOSYS`, `EOPNOTSUPP`).
 */
export function abiVersion(): number {
  try {
    return call("landlock_create_ruleset", [null, 0, CREATE_RULESET_VERSION]);
  } catch (err) {
    if (err instanceof SyscallError && (err.errno === ERRNO.ENOSYS || err.errno === ERRNO.EOPNOTSUPP)) return 0;
    throw err;
  }
}

/** What a ruleset handles (denies unless a rule allows). */
export interface RulesetAttr {
  fs: bigint;
  net: bigint;
  scoped: bigint;
}

/**
 * `landlock_create_ruleset`: returns the ruleset's file descriptor. The
 * structure is passed at the size of its last non-zero field, so that older
 * kernels accept it.
 */
export function createRuleset(attr: RulesetAttr): number {
  const buf = new BigUint64Array([attr.fs, attr.net, attr.scoped]);
  const size = attr.scoped !== 0n ? 24 : attr.net !== 0n ? 16 : 8;
  return call("landlock_create_ruleset", [buf, size, 0]);
}

/** `landlock_add_rule(ruleset, PATH_BENEATH, {allowed, parentFd})`. */
export function addPathRule(rulesetFd: number, parentFd: number, allowed: bigint): void {
  // struct landlock_path_beneath_attr is packed: u64 allowed_access; s32 parent_fd.
  const buf = new Uint8Array(12);
  const view = new DataView(buf.buffer);
  view.setBigUint64(0, allowed, true);
  view.setInt32(8, parentFd, true);
  call("landlock_add_rule", [rulesetFd, RULE_PATH_BENEATH, buf, 0]);
}

/** `landlock_restrict_self(ruleset)`: confine the calling thread (and what it executes). */
export function restrictSelf(rulesetFd: number): void {
  call("landlock_restrict_self", [rulesetFd, 0]);
}
