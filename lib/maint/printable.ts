/**
 * Untrusted text made safe for a terminal: control characters (C0, DEL,
 * C1) and bidirectional overrides shown as escapes, so that a file name
 * cannot move the cursor, recolour the screen or reorder what is shown.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control or direction-changing character written as `\xNN` or `\uNNNN`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
