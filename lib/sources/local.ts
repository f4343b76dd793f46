/**
 * Local sources: files and directories given by a path relative to the
 * package directory or an absolute one (SPEC §2). They are used in place.
 *
 * @module
 */

import { isNotFound, KilnError, RecipeError } from "../errors.ts";
import type { Recipe, Source } from "../recipe/types.ts";

/** What a local source turned out to be. */
export type LocalKind = "file" | "directory";

/**
 * Whether the local `source` of `recipe` is a file or a directory (symbolic
 * links followed). A missing one is a {@linkcode RecipeError} naming the
 * `sources` line.
 */
export function localKind(recipe: Recipe, source: Source): LocalKind {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(source.url);
  } catch (err) {
    if (isNotFound(err)) {
      throw new RecipeError(
        `${recipe.dir}/sources`,
        source.line,
        `no local file or directory '${source.raw.split(/\s+/)[0]}' (looked for ${source.url})`,
        "add the file to the package directory or fix the path in sources",
      );
    }
    throw new KilnError(`${recipe.name}: cannot read local source ${source.url}: ${(err as Error).message}`, {
      hint: "check the file's permissions",
      cause: err,
    });
  }
  if (info.isDirectory) return "directory";
  if (info.isFile) return "file";
  throw new RecipeError(
    `${recipe.dir}/sources`,
    source.line,
    `local source ${source.url} is neither a file nor a directory`,
    "point the source at a regular file or a directory",
  );
}
