/**
 * Fetching every source of a set of recipes into the cache, then verifying
 * every checksum (SPEC §6 step 2): all sources of all packages before any
 * build starts, several at once.
 *
 * A remote file already in the cache with a matching checksum is never
 * fetched again, so a cache on a USB stick (`KISS_CACHE`) serves a machine
 * with no network; `--offline` turns any fetch from the network that would
 * be needed into an error naming the missing file (`file://` URLs are still
 * copied: they need no network).
 *
 * Each source, fetched or found, is wrapped in the `pre-source` and
 * `post-source` events of `KISS_HOOK` (`lib/hooks.ts`), as kiss does for
 * every line of `sources`. Sources fetched side by side may interleave their
 * events; each source's `pre-source` comes before its own `post-source`.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { KilnError } from "../errors.ts";
import { hashFile } from "../hash/hasher.ts";
import { hasHooks, runHook } from "../hooks.ts";
import type { Log } from "../log.ts";
import type { Recipe } from "../recipe/types.ts";
import { fetchToFile } from "./fetch.ts";
import { fetchGit } from "./git.ts";
import { checkChecksumCount, isFileEntry, planRecipe, type SourceEntry } from "./plan.ts";
import { forEachBounded } from "./pool.ts";
import { dialectOf, expectedChecksum, HashMemo, mismatchError, SKIP, verifyEntry } from "./verify.ts";
import { isFile } from "../fs_queries.ts";

/** Tuning of downloads (tests shorten the back-off). */
export interface DownloadOptions {
  /** Attempts per remote file (default 3). */
  tries?: number;
  /** First retry delay in milliseconds (default 500). */
  retryDelayMs?: number;
  /** Downloads at once (default max(4, config.jobs)). */
  concurrency?: number;
}

/** The sources of a set of recipes after {@linkcode fetchSources}. */
export interface FetchedSources {
  /** Every source of every recipe, in order. */
  readonly entries: readonly SourceEntry[];
  /** Hashes computed on the way, reused by verification and `checksum`. */
  readonly memo: HashMemo;
}

/**
 * Fetch all sources of `recipes` into the cache, then verify every checksum.
 * Recipes whose `checksums` has the wrong number of lines are refused before
 * anything is fetched. Throws one {@linkcode KilnError} that names every
 * failure when anything could not be fetched or did not match.
 */
export async function downloadSources(
  recipes: readonly Recipe[],
  config: Config,
  log: Log,
  options: DownloadOptions = {},
): Promise<void> {
  const { entries, memo } = await fetchSources(recipes, config, log, { ...options, checkCounts: true });
  const errors = [];
  for (const entry of entries) {
    if (!isFileEntry(entry)) continue;
    try {
      await verifyEntry(entry, memo, log);
    } catch (err) {
      errors.push(err);
    }
  }
  throwAll(errors);
}

/**
 * Fetch all sources of `recipes` into the cache without verifying them (the
 * `checksum` command's first step; with `checkCounts`, refuse recipes whose
 * `checksums` has the wrong number of lines first). Cached files are checked
 * against a checksum when the recipe has one for them.
 */
export async function fetchSources(
  recipes: readonly Recipe[],
  config: Config,
  log: Log,
  options: DownloadOptions & { checkCounts?: boolean } = {},
): Promise<FetchedSources> {
  const unique = [...new Map(recipes.map((r) => [r.name, r])).values()];
  const entries: SourceEntry[] = [];
  for (const recipe of unique) {
    const planned = planRecipe(config, recipe);
    if (options.checkCounts) checkChecksumCount(recipe, planned);
    entries.push(...planned);
  }
  const memo = new HashMemo();
  const hooks = hasHooks(config) ? new SourceHooks(config, log) : undefined;
  // One fetch per cache path; sources of the same path share it, and only the first reports its failure.
  const fetches = new Map<string, Promise<void>>();
  const work = hooks ? entries : entries.filter((e) => e.kind === "remote" || e.kind === "git");
  const limit = options.concurrency ?? Math.max(4, config.jobs);
  const errors = await forEachBounded(work, limit, async (entry) => {
    if (hooks?.failed) return;
    await hooks?.call("pre-source", entry);
    if (hooks?.failed) return;
    if (entry.kind === "remote" || entry.kind === "git") {
      const shared = fetches.get(entry.path);
      if (shared) {
        if (!(await shared.then(() => true, () => false))) return;
      } else {
        const fetching = entry.kind === "git"
          ? fetchGitEntry(entry, config, log)
          : fetchRemote(entry, config, log, memo, options);
        fetches.set(entry.path, fetching);
        await fetching;
      }
    }
    await hooks?.call("post-source", entry);
  });
  if (hooks?.failed) throw hooks.failure;
  throwAll(errors);
  return { entries, memo };
}

/**
 * The `pre-source` and `post-source` events: `PKG SOURCE RESOLVED` and
 * `PKG SOURCE PATH`, SOURCE as written in `sources` (markers unexpanded),
 * RESOLVED with its markers expanded, PATH where the source is (the cache, or
 * the local path). Once a hook has failed, no more hooks are called and no
 * more sources started.
 */
class SourceHooks {
  failed = false;
  failure: unknown;

  constructor(readonly config: Config, readonly log: Log) {}

  async call(event: "pre-source" | "post-source", entry: SourceEntry): Promise<void> {
    if (this.failed) return;
    const { recipe, source } = entry;
    const resolved = source.raw.split(/\s+/)[0].replace(/(.)\/+$/, "$1");
    try {
      await runHook(this.config, this.log, event, [
        recipe.name,
        source.word,
        event === "pre-source" ? resolved : entry.path,
      ]);
    } catch (err) {
      if (!this.failed) this.failure = err;
      this.failed = true;
    }
  }
}

function origin(entry: SourceEntry): string {
  return `line ${entry.source.line} of ${entry.recipe.dir}/sources`;
}

async function fetchGitEntry(entry: SourceEntry, config: Config, log: Log): Promise<void> {
  await fetchGit(entry.source, entry.path, {
    log,
    offline: config.offline,
    owner: entry.recipe.name,
    origin: origin(entry),
  });
}

/** A checksum to hold a download to, when the recipe has a usable one. */
function checkableSum(entry: SourceEntry, options: { checkCounts?: boolean }): string | undefined {
  if (!options.checkCounts) return undefined;
  const sum = expectedChecksum(entry);
  return sum === undefined || sum === SKIP ? undefined : sum;
}

async function fetchRemote(
  entry: SourceEntry,
  config: Config,
  log: Log,
  memo: HashMemo,
  options: DownloadOptions & { checkCounts?: boolean },
): Promise<void> {
  const { recipe, source, path } = entry;
  const expected = checkableSum(entry, options);
  if (isFile(path)) {
    if (expected === undefined) {
      log.info(`found remote file ${source.fileName}`);
      return;
    }
    const dialect = dialectOf(entry, expected);
    const actual = await memo.hash(path, dialect);
    if (actual === expected.toLowerCase()) {
      log.info(`found remote file ${source.fileName}`);
      return;
    }
    if (config.offline) {
      await Deno.remove(path).catch(() => {});
      memo.forget(path);
      throw mismatchError(entry, expected, actual, true);
    }
    log.warn(`${source.fileName} in the cache does not match its checksum; fetching it again`);
    await Deno.remove(path);
    memo.forget(path);
  }
  if (config.offline && !source.url.startsWith("file://")) {
    throw new KilnError(
      `${recipe.name}: ${source.fileName} is not in the cache (${path}) and --offline forbids fetching ${source.url}`,
      { hint: "run 'kiln download' while online, or point KISS_CACHE at a cache that holds the file" },
    );
  }
  const id = `download:${recipe.name}/${source.dest ? source.dest + "/" : ""}${source.fileName}`;
  log.info(`fetching remote file ${source.url}`);
  try {
    await fetchToFile(source.url, path, {
      log,
      progressId: id,
      label: source.fileName,
      owner: recipe.name,
      origin: origin(entry),
      tries: options.tries,
      retryDelayMs: options.retryDelayMs,
      accept: async (part) => {
        if (expected === undefined) return;
        const dialect = dialectOf(entry, expected);
        const actual = await hashFile(part, dialect);
        if (actual !== expected.toLowerCase()) {
          await Deno.remove(part).catch(() => {});
          throw mismatchError(entry, expected, actual, true);
        }
        memo.set(path, dialect, actual);
      },
    });
  } finally {
    log.done(id);
  }
}

/** Throw nothing, the one error, or one {@linkcode KilnError} listing them all. */
function throwAll(errors: unknown[]): void {
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  const messages = errors.map((e) => `  ${e instanceof Error ? e.message : String(e)}`);
  const hints = [...new Set(errors.flatMap((e) => e instanceof KilnError && e.hint ? [e.hint] : []))];
  throw new KilnError(`${errors.length} sources failed:\n${messages.join("\n")}`, {
    hint: hints.join("\n        "),
    cause: errors[0],
  });
}
