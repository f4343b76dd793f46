/** The renderer shows untrusted text escaped: log lines, progress labels, build log tails. */
import assert from "node:assert/strict";
import { TerminalRenderer } from "../../lib/cli/render.ts";

function render(terminal: boolean) {
  let written = "";
  let now = 0;
  const r = new TerminalRenderer({
    color: false,
    terminal,
    verbose: false,
    quiet: false,
    columns: 200,
    write: (t) => written += t,
    now: () => now += 1000,
  });
  return { r, text: () => written };
}

Deno.test("log lines: a name or path with control characters cannot rewrite the terminal", () => {
  const { r, text } = render(false);
  r.emit({ type: "log", level: "warn", message: "evil: keeping /etc/a\x1b[2K\rroot ok\u202e, which was changed" });
  r.emit({ type: "log", level: "error", message: "two lines:\n  /usr/bin/x\x07" });
  assert.equal(
    text(),
    "[WARN] evil: keeping /etc/a\\x1b[2K\\rroot ok\\u202e, which was changed\n[ERROR] two lines:\n  /usr/bin/x\\x07\n",
  );
});

Deno.test("progress bars: labels and build log tails are escaped; the bars' own escapes remain", () => {
  const { r, text } = render(true);
  r.emit({
    type: "progress",
    id: "b",
    phase: "build",
    label: "pkg\x1b[1A",
    done: 0,
    detail: "make: \x1b]0;title\x07 done\r",
  });
  r.emit({ type: "progress-end", id: "b" });
  const out = text();
  assert.match(out, /pkg\\x1b\[1A 00:0\d make: \\x1b\]0;title\\x07 done\\r/);
  // The only escape sequences written are the renderer's (clear the bar it drew).
  // deno-lint-ignore no-control-regex
  assert.deepEqual(out.match(/\x1b\[[^m]*?[A-Za-z]/g), ["\x1b[1F", "\x1b[J"]);
  assert.ok(!out.includes("\x07") && !out.includes("\r"));
});
