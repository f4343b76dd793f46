/**
 * Start the sandbox helper as PID 1 of a new PID namespace (SPEC §7 step 7).
 *
 * `unshare(CLONE_NEWPID)` moves only the calling thread's future children
 * into a new namespace. kiln's main thread makes one, spawns the helper (the
 * runtime forks from the calling thread, in the same synchronous turn: no
 * other code runs in between), then joins its own namespace again with
 * `setns`. The helper is the namespace's init; it `execve`s the build, which
 * stays PID 1. When the build ends the kernel kills every process left in the
 * namespace, whatever other namespaces they entered since: a PID namespace
 * cannot be left. Orphans are re-parented to the build, not to the host's
 * init.
 *
 * @module
 */

import { AT_FDCWD, close, O, openat } from "../../ffi/fs.ts";
import { CLONE, setns, unshare } from "../../ffi/process.ts";

/**
 * Run `start` (which must spawn exactly the one process meant to be init,
 * synchronously) with the calling thread's children in a new PID namespace.
 * Needs CAP_SYS_ADMIN; the caller's own namespace is restored before this
 * returns, also on failure.
 */
export function inNewPidNamespace<T>(start: () => T): T {
  const own = openat(AT_FDCWD, "/proc/thread-self/ns/pid", O.RDONLY | O.CLOEXEC);
  try {
    unshare(CLONE.NEWPID);
    try {
      return start();
    } finally {
      setns(own, CLONE.NEWPID);
    }
  } finally {
    close(own);
  }
}

/** Spawn `command` as PID 1 of a new PID namespace ({@linkcode inNewPidNamespace}). */
export function spawnInNewPidNamespace(command: Deno.Command): Deno.ChildProcess {
  return inNewPidNamespace(() => command.spawn());
}
