/**
 * Which installed packages make up a hermetic sysroot: the runtime closure of
 * `base` and of the build's declared dependencies, read from the installed
 * database of the root being built for (`<root>/var/db/kiss/installed`).
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";
import type { Log } from "../log.ts";
import { BASE_PACKAGE } from "./mode.ts";

/** The database directory of `name` in `root`. */
export function installedEntry(root: string, name: string): string {
  return `${root.replace(/\/+$/, "")}/var/db/kiss/installed/${name}`;
}

/** Runtime dependencies (`depends` lines without `make`) of an installed package; undefined when not installed. */
export function runtimeDepends(root: string, name: string): string[] | undefined {
  const dir = installedEntry(root, name);
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/depends`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      Deno.statSync(`${dir}/manifest`);
      return [];
    } catch (err2) {
      if (isNotFound(err2)) return undefined;
      throw err2;
    }
  }
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === "" || fields[0].startsWith("#")) continue;
    if (fields[1] === "make") continue;
    out.push(fields[0]);
  }
  return out;
}

/**
 * The packages whose files go into a hermetic sysroot, sorted: `base`, the
 * `declared` packages, and everything they need at run time.
 *
 * A declared package that is not installed in `root` is an error (the build
 * would fail in a confusing way without it); a missing package further down
 * a runtime chain is reported as a warning and left out.
 */
export function sysrootPackages(root: string, declared: readonly string[], log: Log): string[] {
  const seen = new Set<string>();
  const missing: string[] = [];
  const visit = (name: string, neededBy: string | undefined) => {
    if (seen.has(name)) return;
    const deps = runtimeDepends(root, name);
    if (deps === undefined) {
      if (neededBy === undefined) missing.push(name);
      else log.warn(`sandbox: ${name}, a runtime dependency of ${neededBy}, is not installed in ${root}`);
      return;
    }
    seen.add(name);
    for (const dep of deps) visit(dep, name);
  };
  visit(BASE_PACKAGE, undefined);
  for (const name of declared) visit(name, undefined);
  if (missing.length > 0) {
    throw new KilnError(
      `cannot make the hermetic sysroot: ${missing.join(", ")} ${
        missing.length === 1 ? "is" : "are"
      } not installed in ${root}`,
      { hint: "install the build's dependencies first (kiln build installs them), or set KISS_SANDBOX=host" },
    );
  }
  return [...seen].sort();
}
