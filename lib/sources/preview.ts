/**
 * What a download would do, without doing it (`--dry-run`, SPEC §4): which
 * remote files and git repositories would be fetched, with their sizes when
 * the servers tell them, and which are already in the cache.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { isFile } from "../fs_queries.ts";
import type { Recipe } from "../recipe/types.ts";
import { checkedOutCommit, describeRef } from "./git.ts";
import { planRecipe } from "./plan.ts";
import { forEachBounded } from "./pool.ts";

/** One fetch a download would make (or skip, being cached). */
export interface PlannedFetch {
  /** The package that wants it. */
  readonly pkg: string;
  /** The URL (for git, with `@branch` or `#commit`). */
  readonly url: string;
  /** Where it goes in the cache. */
  readonly path: string;
  readonly kind: "remote" | "git";
  /** Already in the cache: nothing to fetch. */
  readonly cached: boolean;
  /** Size in bytes, when asked for and the server said. */
  size?: number;
}

/**
 * The fetches a download of `recipes` would make. With `sizes` (and not
 * `--offline`), ask each server for the size of each remote file not yet in
 * the cache (HEAD, a few seconds at most each; unknown sizes stay unset).
 */
export async function previewDownloads(
  recipes: readonly Recipe[],
  config: Config,
  options: { sizes?: boolean; timeoutMs?: number } = {},
): Promise<PlannedFetch[]> {
  const out: PlannedFetch[] = [];
  const seen = new Set<string>();
  for (const recipe of recipes) {
    for (const entry of planRecipe(config, recipe)) {
      if (seen.has(entry.path)) continue;
      seen.add(entry.path);
      if (entry.kind === "remote") {
        out.push({
          pkg: recipe.name,
          url: entry.source.url,
          path: entry.path,
          kind: "remote",
          cached: isFile(entry.path),
        });
      } else if (entry.kind === "git") {
        const commit = entry.source.commit ? await checkedOutCommit(entry.path) : undefined;
        const cached = !!commit && commit.startsWith(entry.source.commit!.toLowerCase());
        out.push({ pkg: recipe.name, url: describeRef(entry.source), path: entry.path, kind: "git", cached });
      }
    }
  }
  if (options.sizes && !config.offline) {
    const wanted = out.filter((f) => f.kind === "remote" && !f.cached);
    await forEachBounded(wanted, Math.max(4, config.jobs), async (f) => {
      f.size = await remoteSize(f.url, options.timeoutMs ?? 5000);
    });
  }
  return out;
}

/** The size a server gives for `url`, or undefined. */
async function remoteSize(url: string, timeoutMs: number): Promise<number | undefined> {
  if (url.startsWith("file://")) {
    try {
      return (await Deno.stat(decodeURIComponent(new URL(url).pathname))).size;
    } catch {
      return undefined;
    }
  }
  try {
    const response = await fetch(url, {
      method: "HEAD",
      redirect: "follow",
      headers: { "accept-encoding": "identity" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const length = response.headers.get("content-length");
    return response.ok && length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  } catch {
    return undefined;
  }
}
