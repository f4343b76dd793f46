/**
 * `/etc` files, three ways (SPEC §8.4), keyed by path: the sum the old version
 * recorded in `etcsums` (old), the file on disk (sys), and the new version's
 * file (new).
 *
 * | on disk | decision |
 * |---|---|
 * | missing | write it |
 * | same as new | nothing to do |
 * | changed by the user, new same as old (the package did not change it) | keep it |
 * | same as old (the user did not change it) | replace it |
 * | anything else (both changed, or unowned and different) | keep it, write the new one as `FILE.new` |
 *
 * On removal (or when a new version drops a file) an `/etc` file is deleted
 * only when it still matches its recorded sum; otherwise it is kept.
 *
 * @module
 */

import { EMPTY_SHA256, hashFiles, sha256, sumAlgorithm, sumBytes } from "../db/etcsums.ts";

/** What to do with one `/etc` file of a package being installed. */
export type EtcDecision = "write" | "skip" | "new";

/** The sum kiln records for a package's `/etc` entry (a link sums as the empty file). */
export function entrySum(type: string, body: Uint8Array): string {
  return type === "symlink" ? EMPTY_SHA256 : sha256(body);
}

/**
 * Whether the file at `hostPath` still matches `recorded` (a SHA-256 or
 * BLAKE3 sum). Unknown (no sum, an unknown algorithm) counts as changed, so
 * the user's file is never lost.
 */
export function unchanged(hostPath: string, recorded: string | undefined): boolean {
  if (recorded === undefined) return false;
  const algorithm = sumAlgorithm(recorded);
  if (algorithm === undefined) return false;
  return hashFiles([hostPath], algorithm)[0] === recorded;
}

/**
 * Decide what to do with the new version's `/etc` file `body`, whose path on
 * disk is `hostPath` and whose sum the old version recorded as `oldSum`.
 */
export function decideEtc(hostPath: string, body: Uint8Array, oldSum: string | undefined): EtcDecision {
  const sys = hashFiles([hostPath], "sha256")[0];
  if (sys === undefined) return "write";
  if (sys === sha256(body)) return "skip";
  const algorithm = oldSum === undefined ? undefined : sumAlgorithm(oldSum);
  if (algorithm === undefined) return "new";
  // The package did not change the file: the user's version stays, with no FILE.new.
  if (sumBytes(body, algorithm) === oldSum) return "skip";
  return unchanged(hostPath, oldSum) ? "write" : "new";
}
