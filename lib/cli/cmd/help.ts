/**
 * `kiln help [command]`: the commands, flags and environment.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { COMMANDS, findCommand } from "../commands.ts";
import { UsageError } from "../../errors.ts";

const FLAGS = `global flags:
  --root DIR     manage DIR instead of / (KISS_ROOT)
  --dry-run      print the plan, change nothing
  -j N           N builds and downloads at once
  -y             do not ask (KISS_PROMPT=0)
  -q, -v         quieter, more verbose
  --json         machine-readable output of queries
  --offline      never use the network; the cache must hold every source
  --from DIR     install from a directory of package archives
  -f, --force    skip dependency checks (KISS_FORCE=1)`;

/** Print the list of commands, or one command's usage. */
export function run(ctx: CommandContext): Promise<void> {
  const name = ctx.args[0];
  if (name && name !== "help") {
    const found = findCommand(name);
    if (!found) throw new UsageError(`unknown command '${name}'`, "run 'kiln help' for the list of commands");
    const [full, spec] = found;
    ctx.out(`usage: kiln ${full}${spec.usage ? " " + spec.usage : ""}`);
    ctx.out(`  ${spec.summary}${spec.alias ? ` (alias: ${spec.alias})` : ""}`);
    return Promise.resolve();
  }
  ctx.out("usage: kiln [flags] COMMAND [ARG…]\n\ncommands:");
  for (const [full, spec] of Object.entries(COMMANDS)) {
    const left = `${spec.alias ? spec.alias + ", " : "   "}${full} ${spec.usage}`;
    ctx.out(`  ${left.padEnd(34)} ${spec.summary}`);
  }
  ctx.out(`\nAn unknown COMMAND runs kiln-COMMAND from PATH.\n\n${FLAGS}`);
  return Promise.resolve();
}
