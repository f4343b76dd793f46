/**
 * `kiln fork PKG [DIR]`: copy a package's recipe, from wherever it is found
 * (`KISS_PATH`, then the installed database), into DIR (default: the current
 * directory), which becomes `DIR/PKG`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { Repositories } from "../../repo/repositories.ts";
import { forkRecipe } from "../../maint/fork.ts";

/** Copy the recipe. */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length < 1 || ctx.args.length > 2) {
    throw new UsageError("fork takes a package and an optional directory", "usage: kiln fork PKG [DIR]");
  }
  const [name, dir = "."] = ctx.args;
  checkName(name);
  const repos = new Repositories(ctx.config);
  const found = repos.locate(name);
  if (!found) throw repos.notFound(name);
  const dest = dir.startsWith("/") ? dir : `${ctx.cwd}/${dir}`;
  const target = forkRecipe(found.dir, dest, name);
  ctx.log.info(`forked ${name} from ${found.dir} to ${target}`);
  ctx.out(target);
  return Promise.resolve(0);
}
