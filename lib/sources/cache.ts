/**
 * Where each source lives (SPEC §3): kiss's cache layout, so that a cache
 * filled by kiss serves kiln and the other way round.
 *
 * - remote files: `<KISS_CACHE>/sources/<pkg>/[dest/]<file>`
 * - git checkouts: `<KISS_CACHE>/sources/<pkg>/[dest/]<repo-name>/`
 * - local files and directories: where they are, never copied; only inside
 *   the package directory unless `KISS_LOCAL_SOURCES=any`
 *
 * @module
 */

import type { Config } from "../config.ts";
import { RecipeError } from "../errors.ts";
import type { Recipe, Source } from "../recipe/types.ts";
import { checkLocalSource } from "./local.ts";

/** Suffix of a file being downloaded; renamed away once complete and verified. */
export const PART_SUFFIX = ".part";

/** The name of a git source's checkout: the last component of its URL, without `.git`. */
export function gitRepoName(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  const last = trimmed.slice(Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf(":")) + 1);
  return last.endsWith(".git") ? last.slice(0, -4) : last;
}

function checkName(recipe: Recipe, source: Source, name: string, what: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new RecipeError(
      `${recipe.dir}/sources`,
      source.line,
      `${what} '${name}' of '${source.raw}' cannot be stored in the cache`,
      "give the source a URL that ends in a file name",
    );
  }
}

function destPrefix(recipe: Recipe, source: Source): string {
  if (!source.dest) return "";
  const parts = source.dest.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) {
    throw new RecipeError(
      `${recipe.dir}/sources`,
      source.line,
      `destination '${source.dest}' leaves the build directory`,
      "use a destination directory inside the build directory, without '..'",
    );
  }
  return parts.length === 0 ? "" : parts.join("/") + "/";
}

/**
 * Where `source` of `recipe` is stored: its place in the cache for remote
 * files and git checkouts, its own path for local files and directories.
 * Throws a {@linkcode RecipeError} for a name that cannot be a cache entry,
 * and for a local source outside the package directory (see
 * {@linkcode checkLocalSource}).
 */
export function sourcePath(config: Config, recipe: Recipe, source: Source): string {
  if (source.kind === "local") {
    checkLocalSource(config.env, recipe, source);
    return source.url;
  }
  const base = `${config.sourcesDir}/${recipe.name}/${destPrefix(recipe, source)}`;
  if (source.kind === "git") {
    const name = gitRepoName(source.url);
    checkName(recipe, source, name, "repository name");
    return base + name;
  }
  checkName(recipe, source, source.fileName, "file name");
  return base + source.fileName;
}
