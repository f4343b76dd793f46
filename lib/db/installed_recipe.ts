/**
 * The recipe copy kept in an installed package's database entry, read as a
 * recipe (kept apart from `installed.ts` so that queries such as `kiln list`
 * do not load the recipe parser).
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Recipe } from "../recipe/types.ts";
import { loadRecipe } from "../recipe/load.ts";
import { installedPath, isInstalled } from "./installed.ts";

/**
 * The recipe copy of an installed package, or `undefined` when the package is
 * not installed. Validated like any recipe, except that a checksum count that
 * no longer matches its sources is accepted (the copy is not built from).
 * Throws `RecipeError` when the copy is broken otherwise.
 */
export function readInstalled(config: Config, name: string): Recipe | undefined {
  if (!isInstalled(config, name)) return undefined;
  return loadRecipe(installedPath(config, name), {
    repo: config.installedDir,
    dialect: config.dialect,
    allowChecksumMismatch: true,
  });
}
