/** Untrusted text on a terminal: control characters and reordering marks shown escaped, the rest as it is. */
import assert from "node:assert/strict";
import { hasControl, printable, printableLines } from "../lib/text.ts";

Deno.test("printable escapes C0, DEL, C1 and bidirectional marks, and nothing else", () => {
  assert.equal(printable("zlib 1.3.1 /usr/lib/libz.so"), "zlib 1.3.1 /usr/lib/libz.so");
  assert.equal(printable("caf\u00e9 \u65e5\u672c \u{1F600}"), "caf\u00e9 \u65e5\u672c \u{1F600}");
  assert.equal(printable("a\x1b[2Kb"), "a\\x1b[2Kb");
  assert.equal(printable("line\r\nnext\ttab\0"), "line\\r\\nnext\\ttab\\x00");
  assert.equal(printable("\x7f\x85\x9b"), "\\x7f\\x85\\x9b");
  assert.equal(printable("evil\u202egpj.exe"), "evil\\u202egpj.exe");
  assert.equal(
    printable("\u200e\u200f\u2066\u2069\u061c\ufeff\u2028"),
    "\\u200e\\u200f\\u2066\\u2069\\u061c\\ufeff\\u2028",
  );
  // Called again (the pattern is global: no state may carry over from one call to the next).
  assert.equal(printable("x\x1b"), "x\\x1b");
  assert.equal(printable("x\x1b"), "x\\x1b");
});

Deno.test("printableLines keeps line feeds and tabs, escapes the rest", () => {
  assert.equal(
    printableLines("conflicts:\n\t/usr/bin/a\x1b]0;owned\x07"),
    "conflicts:\n\t/usr/bin/a\\x1b]0;owned\\x07",
  );
  assert.equal(printableLines("over\rwrite"), "over\\rwrite");
});

Deno.test("hasControl finds C0, DEL and C1 only", () => {
  for (const s of ["a\nb", "a\rb", "\x1b", "\x7f", "\x9b", "\0"]) assert.ok(hasControl(s), JSON.stringify(s));
  for (const s of ["plain", "caf\u00e9", "\u00a0", "1.0-r1"]) assert.ok(!hasControl(s), JSON.stringify(s));
});
