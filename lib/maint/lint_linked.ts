/**
 * The `make-linked` lint rule: a `make` dependency that the installed
 * package's files link to. When kiln (or kiss) builds a package, it reads the
 * `DT_NEEDED` entries of its ELF files and records each library's owner in the
 * installed entry's `depends` as a runtime dependency, promoting a `make`
 * line. So the installed database already holds the ELF data: a dependency
 * marked `make` in the recipe but recorded as runtime in the installed entry
 * is one whose libraries the package links to.
 *
 * @module
 */

import type { Dependency } from "../recipe/types.ts";
import { parseDepends } from "../recipe/depends.ts";

/**
 * The `make` dependencies of `depends` that the installed entry
 * `installedDir/<name>` records as runtime ones.
 */
export function linkedMakeDepends(installedDir: string, name: string, depends: readonly Dependency[]): Dependency[] {
  const file = `${installedDir}/${name}/depends`;
  let installed: Dependency[];
  try {
    installed = parseDepends(Deno.readTextFileSync(file), file);
  } catch {
    return []; // not installed, no depends, or unreadable: nothing is known
  }
  const runtime = new Set(installed.filter((d) => !d.make).map((d) => d.name));
  return depends.filter((d) => d.make && runtime.has(d.name));
}
