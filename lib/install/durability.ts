/**
 * The fsync policy of install and remove (documented in the README):
 *
 * 1. The journal's plan is written to a temporary file, `fdatasync`ed and
 *    renamed into place before anything else changes.
 * 2. Once every new file, directory and the new database entry are staged,
 *    the file systems they are on are synced (`syncfs`, through the C library or `sync -f`;
 *    one call, usually one file system) — so the commit mark can never refer
 *    to data still in memory.
 * 3. The commit mark is appended to the journal and `fdatasync`ed.
 * 4. After the renames, removals and database swap, the file system is
 *    synced again, and only then is the journal deleted.
 *
 * Two `syncfs` calls and two `fdatasync` calls per package, whatever its size
 * — instead of one fsync per file. `KISS_FSYNC=0` turns all of it off (for
 * bootstraps and tests, where a power cut means starting over anyway); a
 * crash of kiln itself stays safe without syncing, since the kernel keeps
 * what was written.
 *
 * @module
 */

import { deviceOf, syncFileSystemOf } from "../../ffi/sync.ts";

/** Whether and how kiln waits for data to reach the disk. */
export class Durability {
  /** False with `KISS_FSYNC=0`. */
  readonly enabled: boolean;

  /** `env` is the environment kiln was started with (`KISS_FSYNC`). */
  constructor(env: Readonly<Record<string, string>> = {}) {
    this.enabled = env.KISS_FSYNC !== "0";
  }

  /** Flush an open file's data (`fdatasync`). */
  syncFile(file: Deno.FsFile): void {
    if (this.enabled) file.syncDataSync();
  }

  /**
   * Flush the file systems holding `dirs` (`syncfs` on each, through the C
   * library, else through one `sync -f`). Falls back to a global `sync`
   * where `sync -f` is not known; does nothing when neither program exists
   * (a bare root), which only weakens power-cut safety.
   */
  syncFileSystems(dirs: Iterable<string>): void {
    if (!this.enabled) return;
    const firsts = onePerFileSystem(dirs);
    if (firsts.length === 0) return;
    try {
      for (const dir of firsts) syncFileSystemOf(dir);
      return;
    } catch { /* no C library, or a call failed: the sync program does it */ }
    for (const args of [["-f", ...firsts], []]) {
      try {
        if (new Deno.Command("sync", { args, stdout: "null", stderr: "null" }).outputSync().success) return;
      } catch {
        return;
      }
    }
  }
}

/** The first of `dirs` on each file system (those gone are passed over): one `syncfs` each is enough. */
function onePerFileSystem(dirs: Iterable<string>): string[] {
  const byDevice = new Map<bigint | number, string>();
  for (const dir of dirs) {
    let dev: bigint | number | undefined;
    try {
      dev = deviceOf(dir);
    } catch {
      // No C library: ask Deno (slower, as a missing directory throws).
      try {
        dev = Deno.statSync(dir).dev;
      } catch { /* gone: nothing of it to flush */ }
    }
    if (dev !== undefined && !byDevice.has(dev)) byDevice.set(dev, dir);
  }
  return [...byDevice.values()];
}
