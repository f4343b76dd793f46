/**
 * Whether a build ran out of room in its sized `/tmp` or `/dev/shm`
 * (`KISS_TMPFS_SIZE`, SPEC §7 step 7).
 *
 * When the helper is ready, kiln takes hold of the two file systems (a
 * path-only descriptor of each, opened beneath the helper's root without
 * following any link): they outlive the sandbox's mount namespace, so after
 * the build kiln can still ask how full they are. A file system with no
 * free block left, or a build that printed "No space left on device", is
 * reported with the variable that sizes it.
 *
 * @module
 */

import { AT_FDCWD, close, freeBlocks, O, openat, openat2, RESOLVE } from "../../ffi/fs.ts";

/** The build's scratch file systems, held open. */
export interface ScratchSpace {
  /** Descriptors of `/tmp` and `/dev/shm`, by their path inside. */
  readonly held: ReadonlyMap<string, number>;
  /** The `KISS_TMPFS_SIZE` they were given. */
  readonly size: string;
}

/** The error text of ENOSPC, which a build's tools print. */
export const NO_SPACE = "No space left on device";

/** Hold `/tmp` and `/dev/shm` of the process `pid` (the helper, after `pivot_root`). */
export function holdScratch(pid: number, size: string): ScratchSpace {
  const held = new Map<string, number>();
  let root: number;
  try {
    root = openat(AT_FDCWD, `/proc/${pid}/root`, O.PATH | O.DIRECTORY | O.CLOEXEC);
  } catch {
    return { held, size };
  }
  try {
    for (const path of ["tmp", "dev/shm"]) {
      try {
        const flags = O.PATH | O.DIRECTORY | O.CLOEXEC;
        held.set(`/${path}`, openat2(root, path, flags, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS));
      } catch {
        // not there: nothing to report on
      }
    }
  } finally {
    close(root);
  }
  return { held, size };
}

/**
 * Sentences for what ran out of room (empty when nothing did), and the
 * descriptors released. `sawNoSpace`: the build printed {@linkcode NO_SPACE}.
 */
export function releaseScratch(space: ScratchSpace, sawNoSpace: boolean): string[] {
  const full: string[] = [];
  for (const [path, fd] of space.held) {
    if (freeBlocks(`/proc/self/fd/${fd}`) === 0) full.push(path);
    close(fd);
  }
  const size = `${space.size}${space.size.endsWith("%") ? " of the machine's memory" : ""}`;
  if (full.length > 0) {
    return [`the build filled its ${full.join(" and ")}: each holds at most ${size} (KISS_TMPFS_SIZE)`];
  }
  if (sawNoSpace) {
    return [
      `the build ran out of space ("${NO_SPACE}"); if it was writing to /tmp or /dev/shm, each holds at most ` +
      `${size} (KISS_TMPFS_SIZE)`,
    ];
  }
  return [];
}
