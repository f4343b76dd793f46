/**
 * The sources of a recipe, resolved: where each one lives, what it is, and
 * which line of `checksums` belongs to it.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { RecipeError } from "../errors.ts";
import type { Recipe, Source } from "../recipe/types.ts";
import { sourcePath } from "./cache.ts";
import { localKind } from "./local.ts";

/** What a source is, once looked at. */
export type EntryKind = "remote" | "git" | "local-file" | "local-dir";

/** One source of one recipe, resolved. */
export interface SourceEntry {
  readonly recipe: Recipe;
  readonly source: Source;
  /** Where it lives: the cache for remote files and git checkouts, its own path for local ones. */
  readonly path: string;
  readonly kind: EntryKind;
  /** Index into `recipe.checksums` for file sources (remote and local files); undefined otherwise. */
  readonly checksumIndex?: number;
}

/** Whether the entry is a file that has a checksum (remote or local file). */
export function isFileEntry(entry: SourceEntry): boolean {
  return entry.kind === "remote" || entry.kind === "local-file";
}

/**
 * Resolve every source of `recipe`. Local sources are looked at (a missing
 * one is a {@linkcode RecipeError}); nothing is fetched.
 */
export function planRecipe(config: Config, recipe: Recipe): SourceEntry[] {
  const entries: SourceEntry[] = [];
  let files = 0;
  for (const source of recipe.sources) {
    const path = sourcePath(config, recipe, source);
    let kind: EntryKind;
    if (source.kind === "git") kind = "git";
    else if (source.kind === "remote") kind = "remote";
    else kind = localKind(recipe, source) === "directory" ? "local-dir" : "local-file";
    const file = kind === "remote" || kind === "local-file";
    entries.push({ recipe, source, path, kind, checksumIndex: file ? files++ : undefined });
  }
  return entries;
}

/**
 * Refuse a recipe whose `checksums` does not have one line per file source
 * (remote and local files, in `sources` order).
 */
export function checkChecksumCount(recipe: Recipe, entries: readonly SourceEntry[]): void {
  const files = entries.filter(isFileEntry).length;
  const sums = recipe.checksums.length;
  if (files === sums) return;
  const what = sums === 0
    ? `no checksums for ${files} file source${files === 1 ? "" : "s"}`
    : `${sums} checksum${sums === 1 ? "" : "s"} for ${files} file source${files === 1 ? "" : "s"}`;
  throw new RecipeError(`${recipe.dir}/checksums`, undefined, what, `run 'kiln checksum ${recipe.name}' to write them`);
}
