/** The command line's flags, read as `parseArgs` of `node:util` reads them in its strict mode. */
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { FlagError, parseFlags } from "../../lib/cli/flags.ts";

const SPECS = {
  root: { type: "string" },
  jobs: { type: "string", short: "j" },
  yes: { type: "boolean", short: "y" },
  quiet: { type: "boolean", short: "q" },
  "dry-run": { type: "boolean" },
} as const;

Deno.test("flags and operands in any order, long and short, grouped, with attached or separate values", () => {
  const lines: string[][] = [
    ["build", "zlib", "--root", "/mnt", "-j4", "-yq", "--dry-run"],
    ["-j", "2", "--root=/a=b", "install", "-y", "x", "--", "-q", "--root"],
    ["list"],
    [],
    ["-", "--jobs=", "search", "-qyj8"],
  ];
  for (const args of lines) {
    const ours = parseFlags(args, SPECS);
    const node = parseArgs({ args, options: SPECS, allowPositionals: true, strict: true });
    assert.deepEqual({ ...ours.values }, { ...node.values }, args.join(" "));
    assert.deepEqual(ours.positionals, node.positionals, args.join(" "));
  }
  const { values, positionals } = parseFlags(["-j", "2", "--root=/a=b", "install", "--", "-q"], SPECS);
  assert.deepEqual(values, { jobs: "2", root: "/a=b" });
  assert.deepEqual(positionals, ["install", "-q"]);
});

Deno.test("unknown flags, values for booleans and missing values are errors naming the flag", () => {
  const cases: [string[], RegExp][] = [
    [["list", "--nope"], /unknown option '--nope'/],
    [["-x"], /unknown option '-x'/],
    [["-yx"], /unknown option '-x'/],
    [["--yes=1"], /option '--yes' does not take a value/],
    [["list", "--root"], /option '--root' needs a value/],
    [["-j"], /option '-j' needs a value/],
    [["--constructor"], /unknown option '--constructor'/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseFlags(args, SPECS), (err) => err instanceof FlagError && message.test(err.message));
    assert.throws(() => parseArgs({ args, options: SPECS, allowPositionals: true, strict: true }), args.join(" "));
  }
});
