/**
 * The check every command makes of a package name given on its command line
 * (apart from `args.ts` so that light queries need not load repositories).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { isPackageName, PACKAGE_NAME_RULE } from "../recipe/names.ts";

/** Throw {@linkcode UsageError} unless `name` is a package name. */
export function checkName(name: string): void {
  if (isPackageName(name)) return;
  const hint = name.includes("/")
    ? "name packages, not paths; to use the package in a directory, run the command inside it without a name"
    : PACKAGE_NAME_RULE;
  throw new UsageError(`'${name}' is not a package name`, hint);
}
