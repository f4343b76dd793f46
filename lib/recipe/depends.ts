/**
 * The `depends` file: one `NAME [make]` per line; `make` marks a dependency
 * needed only to build (SPEC §2). Comment and blank lines are ignored.
 *
 * {@linkcode readDepends} reads only this file, so that dependency resolution
 * over thousands of packages stays fast.
 *
 * @module
 */

import type { Dependency } from "./types.ts";
import { RecipeError } from "../errors.ts";
import { isPackageName, PACKAGE_NAME_RULE } from "./names.ts";
import { readRecipeFile, recipeLines } from "./text.ts";

/**
 * Parse the text of a `depends` file. `file` is the path named in errors.
 * A name listed twice is kept once, at its first place; it is a runtime
 * dependency if any of its lines says so. Throws {@linkcode RecipeError} on
 * a word that is not a package name, or a second word other than `make`.
 */
export function parseDepends(text: string, file: string): Dependency[] {
  const out: Dependency[] = [];
  const seen = new Map<string, number>();
  for (const { line, words } of recipeLines(text)) {
    const [name, kind] = words;
    if (!isPackageName(name)) {
      throw new RecipeError(
        file,
        line,
        `'${name}' is not a package name`,
        `${PACKAGE_NAME_RULE}; write one 'NAME [make]' per line`,
      );
    }
    if (kind !== undefined && kind !== "make") {
      throw new RecipeError(
        file,
        line,
        `unknown word '${kind}' after dependency '${name}'`,
        `the only word allowed after a dependency is 'make' (needed only to build); write '${name}' or '${name} make'`,
      );
    }
    if (words.length > 2) {
      throw new RecipeError(
        file,
        line,
        `unexpected '${words[2]}' after '${name} ${kind}'`,
        "write one 'NAME [make]' per line",
      );
    }
    const make = kind === "make";
    const index = seen.get(name);
    if (index === undefined) {
      seen.set(name, out.length);
      out.push({ name, make, line });
    } else if (!make && out[index].make) {
      out[index] = { ...out[index], make: false };
    }
  }
  return out;
}

/** Read and parse `<dir>/depends`; a package without the file has no dependencies. */
export function readDepends(dir: string): Dependency[] {
  const file = `${dir}/depends`;
  const text = readRecipeFile(file);
  return text === undefined ? [] : parseDepends(text, file);
}
