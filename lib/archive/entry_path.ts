/**
 * Names of archive entries: the normal form kiln hands to its callers, and
 * the check that a name stays inside the directory it is extracted into.
 *
 * @module
 */

/**
 * The normal form of an entry name: no leading `./`, no empty or `.`
 * components, no trailing `/`; the archive's root directory (`./`) is `"."`.
 * Returns `undefined` for a name that is absolute or has a `..` component,
 * which kiln never writes anywhere.
 */
export function cleanEntryPath(raw: string): string | undefined {
  if (raw.startsWith("/")) return undefined;
  // Fast path: the common name needs no work.
  if (
    !raw.startsWith("./") && !raw.endsWith("/") && !raw.includes("//") && !raw.includes("/./") && !raw.includes("..") &&
    !raw.endsWith("/.")
  ) {
    return raw === "" || raw === "." ? "." : raw;
  }
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return undefined;
    parts.push(part);
  }
  return parts.length === 0 ? "." : parts.join("/");
}

/** The first component of a clean entry path (`"a"` for `"a/b/c"`). */
export function topComponent(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? path : path.slice(0, slash);
}

/** A clean entry path without its first component (`"b/c"` for `"a/b/c"`, `"."` for `"a"`). */
export function stripTopComponent(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? "." : path.slice(slash + 1);
}

/** The directory part of a clean entry path (`"."` at the top). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : path.slice(0, slash);
}
