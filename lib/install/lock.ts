/**
 * One lock per root (SPEC §3): an exclusive `flock` on
 * `<root>/var/db/kiss/.kiln-lock`. The kernel drops it when the holder exits
 * or is killed, so it is never stale. A second kiln process waits for it and
 * says so, naming the holder's process id (read from `/proc/locks`).
 *
 * @module
 */

import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";

/** How long to wait silently before saying that the lock is held. */
const QUIET_WAIT_MS = 150;

/** The lock file of a database directory. */
export function lockFile(dbRoot: string): string {
  return `${dbRoot}/.kiln-lock`;
}

/** The process holding an flock on the file with inode `ino`, from `/proc/locks` (undefined if unknown). */
function lockHolder(ino: number | null): number | undefined {
  if (ino === null) return undefined;
  try {
    for (const line of Deno.readTextFileSync("/proc/locks").split("\n")) {
      const f = line.trim().split(/\s+/);
      // "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"
      if (f[1] === "FLOCK" && f[5]?.endsWith(`:${ino}`)) return Number(f[4]);
    }
  } catch { /* no /proc */ }
  return undefined;
}

/** A held root lock. */
export class RootLock {
  readonly #file: Deno.FsFile;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Take the lock of the database `dbRoot` (created if missing), waiting for
   * another process to release it if need be.
   */
  static async acquire(dbRoot: string, log: Log): Promise<RootLock> {
    const path = lockFile(dbRoot);
    let file: Deno.FsFile;
    try {
      Deno.mkdirSync(dbRoot, { recursive: true });
      file = Deno.openSync(path, { read: true, write: true, create: true });
    } catch (err) {
      throw new KilnError(`cannot open the lock file ${path}: ${(err as Error).message}`, {
        hint: err instanceof Deno.errors.PermissionDenied
          ? "changing a system root needs root: run kiln as root, or use --root on a directory you own"
          : "check that the root exists and is writable",
        cause: err,
      });
    }
    const locked = file.lock(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = await Promise.race([
      locked.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), QUIET_WAIT_MS)),
    ]);
    clearTimeout(timer);
    if (waited) {
      const holder = lockHolder(file.statSync().ino);
      log.info(`waiting for the lock on ${path}${holder ? ` (held by process ${holder})` : ""}`);
      await locked;
      log.info("lock acquired");
    }
    return new RootLock(file);
  }

  /** Release the lock. */
  release(): void {
    try {
      this.#file.unlockSync();
    } finally {
      this.#file.close();
    }
  }
}
