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

/** `KISS_LOCAL_SOURCES`: `any` allows local sources outside the package directory. */
export const LOCAL_SOURCES_VARIABLE = "KISS_LOCAL_SOURCES";

/** True when the user allowed local sources outside the package directory (`KISS_LOCAL_SOURCES=any`). */
export function localSourcesAnywhere(env: Readonly<Record<string, string>>): boolean {
  return env[LOCAL_SOURCES_VARIABLE] === "any";
}

const OUTSIDE_HINT = "put the file into the package directory (files/ or patches/) and name it relative to it; " +
  `to use local sources anywhere on this machine, set ${LOCAL_SOURCES_VARIABLE}=any`;

function within(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(`${dir.replace(/\/+$/, "")}/`);
}

function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Refuse a local source of `recipe` that is not inside its package directory:
 * an absolute path or a `..` elsewhere, a path kiss would look up from `/`,
 * and a symbolic link (the file itself or a directory on the way) leading
 * out of the package directory. kiln reads local sources as root, without a
 * checksum for directories and outside the sandbox, so a recipe could
 * otherwise copy any host file (`/etc/shadow`) into its build and package.
 * Allowed anyway when `env` has `KISS_LOCAL_SOURCES=any`. A source that does
 * not exist passes (reading it reports it missing).
 */
export function checkLocalSource(env: Readonly<Record<string, string>>, recipe: Recipe, source: Source): void {
  if (source.kind !== "local" || localSourcesAnywhere(env)) return;
  const file = `${recipe.dir}/sources`;
  const word = source.raw.split(/\s+/)[0];
  if (!within(source.url, recipe.dir)) {
    throw new RecipeError(
      file,
      source.line,
      `local source '${word}' is outside the package directory ${recipe.dir} (it names ${source.url})`,
      OUTSIDE_HINT,
    );
  }
  const real = realPath(source.url);
  if (real === undefined) return;
  const dir = realPath(recipe.dir) ?? recipe.dir;
  if (!within(real, dir)) {
    throw new RecipeError(
      file,
      source.line,
      `local source '${word}' leads out of the package directory through a symbolic link (to ${real})`,
      `replace the link by the file itself; ${OUTSIDE_HINT.slice(OUTSIDE_HINT.indexOf("to use"))}`,
    );
  }
}
