/**
 * `kiln new NAME [URL]`: make a new recipe `NAME` in the current directory
 * (a repository), in the community dialect; see `lib/maint/new_recipe.ts`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { Repositories } from "../../repo/repositories.ts";
import { newRecipe } from "../../maint/new_recipe.ts";

/** Make the recipe. */
export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length < 1 || ctx.args.length > 2) {
    throw new UsageError("new takes a name and an optional URL", "usage: kiln new NAME [URL]");
  }
  const [name, url] = ctx.args;
  checkName(name);
  const found = new Repositories(ctx.config).locate(name);
  if (found) {
    throw new KilnError(`a package named ${name} exists already: ${found.dir}`, {
      hint: `fork it instead ('kiln fork ${name}'), or choose another name`,
    });
  }
  const made = await newRecipe(ctx.cwd, name, url, ctx.config, ctx.log);
  ctx.log.info(`${name}: new recipe ${made.dir} (version ${made.version}, build: ${made.build})`);
  ctx.out(made.dir);
  return 0;
}
