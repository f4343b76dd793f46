/**
 * `kiln bootstrap DIR PKG…`: make a new root file system in DIR from the
 * named packages and their runtime dependencies (binary cache, or
 * `--from DIR`), with its own installed database.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { normalize } from "../../config.ts";
import { bootstrap } from "../../install/bootstrap.ts";

/** Bootstrap a root. */
export async function run(ctx: CommandContext): Promise<number> {
  const [dir, ...names] = ctx.args;
  if (dir === undefined || names.length === 0) {
    throw new UsageError("bootstrap needs a directory and at least one package", "usage: kiln bootstrap DIR PKG…");
  }
  names.forEach(checkName);
  await bootstrap(ctx.config, dir.startsWith("/") ? normalize(dir) : normalize(`${ctx.cwd}/${dir}`), names, ctx.log);
  return 0;
}
