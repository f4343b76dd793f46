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
import { close, flock, LOCK, O } from "../../ffi/fs.ts";
import { DatabaseDir } from "../db/dbdir.ts";
import { ERRNO, haveLibrary, SyscallError } from "../../ffi/libc.ts";

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

/** A held root lock: the open lock file, by its descriptor (the C library's `flock`) or Deno's file. */
export class RootLock {
  readonly #fd: number;
  readonly #file: Deno.FsFile | undefined;

  private constructor(fd: number, file?: Deno.FsFile) {
    this.#fd = fd;
    this.#file = file;
  }

  /**
   * Take the lock of the database `dbRoot` (created if missing), waiting for
   * another process to release it if need be.
   *
   * The lock is tried at once, then for {@linkcode QUIET_WAIT_MS} now and
   * then, with no timer (the first timer of a process costs it some 7 ms);
   * only then is the wait announced and the lock waited for.
   */
  static async acquire(dbRoot: string, log: Log): Promise<RootLock> {
    const path = lockFile(dbRoot);
    if (!haveLibrary()) return await RootLock.#acquireFile(dbRoot, path, log);
    let fd: number;
    let db: DatabaseDir | undefined;
    try {
      // The lock file is opened from the checked database directory, never through a link.
      db = DatabaseDir.open(dbRoot, true)!;
      fd = db.openFile(".kiln-lock", O.RDWR | O.CREAT, 0o644);
    } catch (err) {
      if (err instanceof KilnError) throw err;
      throw cannotOpen(path, err);
    } finally {
      db?.close();
    }
    try {
      const until = performance.now() + QUIET_WAIT_MS;
      while (!flock(fd, LOCK.EX | LOCK.NB)) {
        if (performance.now() >= until) {
          await waitAnnounced(path, log, () => flock(fd, LOCK.EX));
          break;
        }
        Atomics.wait(PAUSE, 0, 0, 10);
      }
    } catch (err) {
      close(fd);
      throw err;
    }
    return new RootLock(fd);
  }

  /** {@linkcode acquire} with Deno's file lock (where the C library cannot be called). */
  static async #acquireFile(dbRoot: string, path: string, log: Log): Promise<RootLock> {
    let file: Deno.FsFile;
    try {
      DatabaseDir.open(dbRoot, true);
      let link = false;
      try {
        link = Deno.lstatSync(path).isSymlink;
      } catch { /* not there yet */ }
      if (link) {
        throw new KilnError(`${path} is a symbolic link; kiln does not follow links for its own files`, {
          hint: "nothing but kiln puts files there: delete the link, then run the command again",
        });
      }
      file = Deno.openSync(path, { read: true, write: true, create: true });
    } catch (err) {
      if (err instanceof KilnError) throw err;
      throw cannotOpen(path, err);
    }
    const locked = file.lock(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = await Promise.race([
      locked.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), QUIET_WAIT_MS)),
    ]);
    clearTimeout(timer);
    if (waited) await waitAnnounced(path, log, () => locked);
    return new RootLock(-1, file);
  }

  /** Release the lock. */
  release(): void {
    if (this.#file !== undefined) {
      try {
        this.#file.unlockSync();
      } finally {
        this.#file.close();
      }
      return;
    }
    try {
      flock(this.#fd, LOCK.UN);
    } finally {
      close(this.#fd);
    }
  }
}

/** A buffer to wait on for a pause (nothing ever wakes it). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Say that the lock of `path` is held, and by whom, then `wait` for it. */
async function waitAnnounced(path: string, log: Log, wait: () => unknown): Promise<void> {
  const holder = lockHolder(Deno.statSync(path).ino);
  log.info(`waiting for the lock on ${path}${holder ? ` (held by process ${holder})` : ""}`);
  await wait();
  log.info("lock acquired");
}

function cannotOpen(path: string, err: unknown): KilnError {
  const denied = err instanceof Deno.errors.PermissionDenied ||
    (err instanceof SyscallError && (err.errno === ERRNO.EACCES || err.errno === ERRNO.EPERM));
  return new KilnError(`cannot open the lock file ${path}: ${(err as Error).message}`, {
    hint: denied
      ? "changing a system root needs root: run kiln as root, or use --root on a directory you own"
      : "check that the root exists and is writable",
    cause: err,
  });
}
