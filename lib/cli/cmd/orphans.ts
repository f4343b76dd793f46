/**
 * `kiln orphans`: installed packages that no other installed package depends
 * on at runtime, leaving out base packages (baselayout, busybox, gcc, musl…)
 * as kiss-orphans does (`--json`: an array).
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { orphans } from "../../db/queries.ts";

/** Print the orphaned packages. */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0) throw new UsageError("orphans takes no argument", "usage: kiln orphans");
  const list = orphans(ctx.config);
  if (ctx.config.json) ctx.out(JSON.stringify(list, null, 2));
  else for (const name of list) ctx.out(name);
  return Promise.resolve(0);
}
