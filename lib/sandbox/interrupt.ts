/**
 * Ctrl+C reaches the build through kiln: the build runs in a session of its
 * own (no controlling terminal, see `isolate.ts`), so the terminal's SIGINT
 * goes to kiln alone, which passes it on to the build's process group (the
 * helper's pid, once it has called `setsid`; the helper itself before).
 *
 * @module
 */

/**
 * Forward every SIGINT kiln gets to the process group of `pid` while the
 * build runs; returns the function that stops forwarding.
 */
export function forwardInterrupts(pid: number): () => void {
  const forward = () => {
    for (const target of [-pid, pid]) {
      try {
        Deno.kill(target, "SIGINT");
        return;
      } catch {
        // no such group yet (before setsid), or already gone
      }
    }
  };
  try {
    Deno.addSignalListener("SIGINT", forward);
  } catch {
    return () => {}; // signals not available: nothing to forward
  }
  return () => Deno.removeSignalListener("SIGINT", forward);
}
