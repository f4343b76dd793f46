/**
 * Package names: what may name a package in `depends`, on the command line
 * and as a package directory.
 *
 * @module
 */

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._+@-]*$/;

/**
 * True when `name` can be a package name: letters, digits and `. _ + @ -`,
 * not starting with `.`, `-`, `+` or `@` (so it is never a path, a flag or a
 * hidden file).
 */
export function isPackageName(name: string): boolean {
  return NAME.test(name);
}

/** What a valid package name looks like, for hints. */
export const PACKAGE_NAME_RULE =
  "a package name is made of letters, digits and . _ + @ - and starts with a letter, digit or _";
