/**
 * Removing a build's work directories, never through a mount: should a
 * sandbox mount have been left below one (it lives in the helper's own mount
 * namespace, so it should not), a recursive removal would reach into the
 * mounted tree. Such a directory is left in place with a warning.
 *
 * @module
 */

import type { Log } from "../log.ts";
import { isWithin, readMounts } from "../sandbox/paths.ts";

/** Remove the directory tree `path` unless something is mounted inside it; a missing `path` is fine. */
export async function removeWorkTree(path: string, log: Log): Promise<void> {
  let mounted: string | undefined;
  try {
    mounted = readMounts().find((m) => isWithin(m.target, path))?.target;
  } catch {
    // no mount table to read (not Linux): nothing can be mounted by kiln either
  }
  if (mounted !== undefined) {
    log.warn(`leaving ${path} in place: ${mounted} is mounted inside it (unmount it, then remove the directory)`);
    return;
  }
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

/** {@linkcode removeWorkTree} without waiting (for a process about to exit); says nothing. */
export function removeWorkTreeSync(path: string): void {
  try {
    if (readMounts().some((m) => isWithin(m.target, path))) return;
  } catch {
    // no mount table to read
  }
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // already gone
  }
}
