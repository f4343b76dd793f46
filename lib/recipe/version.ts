/**
 * The `version` file: its first line is `VERSION RELEASE` (SPEC §2). VERSION
 * may be anything without blanks or `/` (`1.2.11`, `git`, a date, a commit
 * hash); RELEASE is required. Lines after the first are free text.
 *
 * @module
 */

import { RecipeError } from "../errors.ts";
import { readRecipeFile, splitWords } from "./text.ts";

/** The two fields of a `version` file. */
export interface PackageVersion {
  /** First field: `1.2.11`, `git`, a date, a hash. */
  readonly version: string;
  /** Second field: the revision of the recipe itself. */
  readonly release: string;
}

/**
 * Parse the text of a `version` file. `file` is the path named in errors.
 * Throws {@linkcode RecipeError} on an empty first line, a missing release,
 * an extra word, or a `/` in either field.
 */
export function parseVersion(text: string, file: string): PackageVersion {
  const first = text.split("\n", 1)[0];
  const words = splitWords(first);
  if (words.length === 0) {
    throw new RecipeError(
      file,
      1,
      "no version: the first line is empty",
      "write 'VERSION RELEASE' on the first line, e.g. '1.2.11 1'",
    );
  }
  if (words.length === 1) {
    throw new RecipeError(
      file,
      1,
      `no release field after version '${words[0]}'`,
      `write 'VERSION RELEASE' on the first line, e.g. '${words[0]} 1'`,
    );
  }
  if (words.length > 2) {
    throw new RecipeError(
      file,
      1,
      `unexpected '${words[2]}' after version '${words[0]}' and release '${words[1]}'`,
      "the first line holds exactly two words, 'VERSION RELEASE'; move notes to the following lines",
    );
  }
  for (const word of words) {
    if (word.includes("/")) {
      throw new RecipeError(
        file,
        1,
        `'${word}' contains '/', which cannot be part of a package file name`,
        "use a version and release without '/'",
      );
    }
  }
  return { version: words[0], release: words[1] };
}

/**
 * Read and parse `<dir>/version`. Throws {@linkcode RecipeError} naming the
 * file when it is missing or broken.
 */
export function readVersion(dir: string): PackageVersion {
  const file = `${dir}/version`;
  const text = readRecipeFile(file);
  if (text === undefined) {
    throw new RecipeError(
      file,
      undefined,
      "missing: every package needs a version file",
      "create it with one line 'VERSION RELEASE', e.g. '1.0 1'",
    );
  }
  return parseVersion(text, file);
}
