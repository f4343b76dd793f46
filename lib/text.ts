/**
 * Untrusted text — package names, versions and file paths from archives,
 * the tail of a build's log — shown on a terminal. Control characters
 * could move the cursor, rewrite what was printed before, or hide a name
 * (`ESC [2K`, a carriage return); bidirectional overrides reorder what is
 * read. {@linkcode printable} shows each of them as an escape (`\x1b`,
 * `\r`, `\u202e`) instead, and leaves everything else as it is.
 *
 * @module
 */

/** C0 controls, DEL, C1 controls, and the Unicode marks that reorder or hide text. */
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** The same, but a line feed and a tab are kept (text made of lines). */
// deno-lint-ignore no-control-regex
const UNPRINTABLE_IN_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Control characters only (C0, DEL, C1): what a name, a version or a manifest line may never hold. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  switch (c) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
  }
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every control character (C0, DEL, C1) and every bidirectional
 * or invisible formatting mark shown as an escape (`\x1b`, `\n`, `\u202e`).
 */
export function printable(text: string): string {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(text) ? text.replace(UNPRINTABLE, escape) : text;
}

/** {@linkcode printable}, but line feeds and tabs are kept: for messages of several lines. */
export function printableLines(text: string): string {
  UNPRINTABLE_IN_LINES.lastIndex = 0;
  return UNPRINTABLE_IN_LINES.test(text) ? text.replace(UNPRINTABLE_IN_LINES, escape) : text;
}

/** True when `text` holds a control character (C0, including the line feed, DEL or C1). */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}
