/**
 * Checksum verification of file sources (SPEC §2, §10), before any build.
 *
 * Each `checksums` line is checked with the algorithm its length tells
 * (SHA-256 or BLAKE3-264); `SKIP` lines are honoured. A mismatch names the
 * file and both hashes, and removes a downloaded file from the cache (never
 * a local file), so that the next run fetches it anew.
 *
 * @module
 */

import type { Dialect } from "../config.ts";
import { KilnError, RecipeError } from "../errors.ts";
import { checksumDialect, hashFile } from "../hash/hasher.ts";
import type { Log } from "../log.ts";
import type { SourceEntry } from "./plan.ts";

/** The `checksums` line meaning "do not check this source". */
export const SKIP = "SKIP";

/** Hashes already computed in this run, so that no file is read twice. */
export class HashMemo {
  readonly #hashes = new Map<string, string>();

  /** The checksum of `path` in `dialect`, computed once. */
  async hash(path: string, dialect: Dialect): Promise<string> {
    const key = `${dialect}\0${path}`;
    let hash = this.#hashes.get(key);
    if (hash === undefined) {
      hash = await hashFile(path, dialect);
      this.#hashes.set(key, hash);
    }
    return hash;
  }

  /** Record a checksum computed elsewhere (e.g. of a `.part` file renamed to `path`). */
  set(path: string, dialect: Dialect, hash: string): void {
    this.#hashes.set(`${dialect}\0${path}`, hash);
  }

  /** Forget `path` (it was removed or replaced). */
  forget(path: string): void {
    for (const key of [...this.#hashes.keys()]) {
      if (key.endsWith(`\0${path}`)) this.#hashes.delete(key);
    }
  }
}

/** The expected checksum of a file entry: a hash, `SKIP`, or undefined when the recipe has none. */
export function expectedChecksum(entry: SourceEntry): string | undefined {
  if (entry.checksumIndex === undefined) return undefined;
  const line = entry.recipe.checksums[entry.checksumIndex];
  return line === undefined ? undefined : line.trim().split(/\s+/)[0];
}

/** The dialect a checksum line is in; a {@linkcode RecipeError} for a line that is no checksum. */
export function dialectOf(entry: SourceEntry, sum: string): Dialect {
  const dialect = checksumDialect(sum);
  if (dialect) return dialect;
  throw new RecipeError(
    `${entry.recipe.dir}/checksums`,
    (entry.checksumIndex ?? 0) + 1,
    `'${sum}' is not a SHA-256 (64 hex digits) or BLAKE3 (66 hex digits) checksum`,
    `run 'kiln checksum ${entry.recipe.name}' to write the checksums again`,
  );
}

/** The error for a file whose checksum differs; says whether the file was removed. */
export function mismatchError(entry: SourceEntry, expected: string, actual: string, removed: boolean): KilnError {
  const name = entry.source.fileName || entry.path;
  return new KilnError(
    `${entry.recipe.name}: checksum mismatch for ${name}: expected ${expected}, got ${actual}`,
    {
      hint: removed
        ? `the download was removed from the cache; run again to fetch it anew, or if the source changed on purpose run 'kiln checksum ${entry.recipe.name}'`
        : `${entry.path} differs from the recipe's checksum; if the change is intended run 'kiln checksum ${entry.recipe.name}'`,
    },
  );
}

/**
 * Verify one file entry against its checksum, logging
 * `checksum matched HASH FILE`. Throws on a mismatch, after removing a
 * downloaded file from the cache.
 */
export async function verifyEntry(entry: SourceEntry, memo: HashMemo, log: Log): Promise<void> {
  const expected = expectedChecksum(entry);
  const name = entry.source.fileName || entry.path;
  if (expected === undefined) return;
  if (expected === SKIP) {
    log.info(`checksum skipped ${name}`);
    return;
  }
  const dialect = dialectOf(entry, expected);
  const actual = await memo.hash(entry.path, dialect);
  if (actual === expected.toLowerCase()) {
    log.info(`checksum matched ${actual} ${name}`);
    return;
  }
  const removable = entry.kind === "remote";
  if (removable) {
    await Deno.remove(entry.path).catch(() => {});
    memo.forget(entry.path);
  }
  throw mismatchError(entry, expected, actual, removable);
}
