/**
 * `kiln alternatives [PKG PATH]` (`a`): with no argument, list the files kept
 * aside as alternatives, one `PKG PATH` per line (`--json`: objects); with a
 * package and a path, swap that alternative into place.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { listAlternatives, swapAlternative } from "../../install/alternatives.ts";

/** List or swap alternatives. */
export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length === 0) {
    const list = listAlternatives(ctx.config);
    if (ctx.config.json) ctx.out(JSON.stringify(list, null, 2));
    else for (const a of list) ctx.out(`${a.pkg} ${a.path}`);
    return 0;
  }
  if (ctx.args.length !== 2) {
    throw new UsageError(
      "alternatives takes no argument, or a package and a path",
      "usage: kiln alternatives [PKG PATH]",
    );
  }
  const [pkg, path] = ctx.args;
  checkName(pkg);
  await swapAlternative(ctx.config, pkg, path, ctx.log);
  return 0;
}
