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
  if (raw.charCodeAt(0) === SLASH) return undefined;
  // Fast path: a clean name, or one with the leading "./" that `tar cf - .` writes.
  if (raw.charCodeAt(0) === DOT && raw.charCodeAt(1) === SLASH) {
    const rest = raw.slice(2);
    if (rest.charCodeAt(0) !== SLASH && isClean(rest)) return rest;
  } else if (isClean(raw)) {
    return raw;
  }
  if (raw === "" || raw === ".") return ".";
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") return undefined;
    parts.push(part);
  }
  return parts.length === 0 ? "." : parts.join("/");
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * True when `raw` is already in normal form: relative, and no component
 * empty, `.` or `..` (one pass over the characters; most names are clean).
 */
function isClean(raw: string): boolean {
  const n = raw.length;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && raw.charCodeAt(i) !== SLASH) continue;
    const length = i - start;
    if (length === 0) return false;
    if (length <= 2 && raw.charCodeAt(start) === DOT && (length === 1 || raw.charCodeAt(start + 1) === DOT)) {
      return false;
    }
    start = i + 1;
  }
  return true;
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
