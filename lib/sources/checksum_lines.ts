/**
 * The lines of a `checksums` file for a recipe: its sources fetched into the
 * cache, then one hash per file source in `sources` order, in the recipe's
 * dialect (SHA-256 for classic, BLAKE3-264 for community), `SKIP` kept where
 * the recipe has it. Shared by `checksum`, `new` and `bump`.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import type { Recipe } from "../recipe/types.ts";
import { fetchSources } from "./download.ts";
import { isFileEntry } from "./plan.ts";
import { SKIP } from "./verify.ts";

/**
 * Fetch the sources of `recipes` and compute each one's `checksums` lines
 * (empty for a recipe without file sources), in the order of `recipes`.
 */
export async function checksumLines(recipes: readonly Recipe[], config: Config, log: Log): Promise<string[][]> {
  const { entries, memo } = await fetchSources(recipes, config, log);
  const out: string[][] = [];
  for (const recipe of recipes) {
    const files = entries.filter((e) => e.recipe === recipe && isFileEntry(e));
    const lines: string[] = [];
    for (const [i, entry] of files.entries()) {
      lines.push(recipe.checksums[i] === SKIP ? SKIP : await memo.hash(entry.path, recipe.dialect));
    }
    out.push(lines);
  }
  return out;
}

/**
 * Replace `path` with `text` through a temporary file with an unpredictable
 * name in the same directory, so that readers see the old or the new file.
 */
export async function replaceFile(path: string, text: string): Promise<void> {
  const temp = `${path}.kiln-${crypto.randomUUID()}`;
  try {
    await Deno.writeTextFile(temp, text, { createNew: true });
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}
