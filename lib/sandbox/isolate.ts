/**
 * The helper's last steps before `execve` (SPEC §7 step 7), for what
 * namespaces do not cover: the build gets its own session (no controlling
 * terminal, so it cannot reach the user's terminal through `/dev/tty`), its
 * own session keyring (so the kernel's key lookups on its behalf never see
 * the user's keys), and the seccomp filter of `seccomp.ts`.
 *
 * @module
 */

import { joinNewSessionKeyring, setsid } from "../../ffi/process.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";
import { applySeccomp, seccompPolicy } from "./seccomp.ts";
import type { ResolvedSandboxMode } from "./request.ts";

/**
 * New session, new session keyring, then the filter — in every mode but
 * `none`. `at` is told each step's name (for error messages). Runs after
 * Landlock and the capability drop: the filter refuses `keyctl`, so the
 * keyring comes first.
 */
export function isolateKernelState(mode: ResolvedSandboxMode, at: (step: string) => void): void {
  const policy = seccompPolicy(mode);
  if (!policy) return;
  at("starting a new session (setsid)");
  try {
    setsid();
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ERRNO.EPERM) {
      throw new Error("the helper leads a process group, so it cannot start a session of its own (setsid: EPERM)");
    }
    throw err;
  }
  at("joining a new session keyring");
  try {
    joinNewSessionKeyring();
  } catch (err) {
    // A kernel without keys (CONFIG_KEYS=n) has no keyring to share.
    if (!(err instanceof SyscallError && err.errno === ERRNO.ENOSYS)) throw err;
  }
  at("installing the seccomp filter");
  try {
    applySeccomp(policy);
  } catch (err) {
    const why = err instanceof SyscallError ? err.reason : (err as Error).message;
    throw new Error(
      `the kernel refused the build's filter (${why}): the sandbox needs seccomp filters ` +
        "(CONFIG_SECCOMP_FILTER); or set KISS_SANDBOX=none to build unconfined",
    );
  }
}
