/**
 * `kiln remove [PKG…]` (`r`): uninstall packages — refused while another
 * installed package depends on one (unless `--force`), dependents of the run
 * removed first. With no argument, the package is the current directory.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { packageTargets } from "../args.ts";
import { removePackages } from "../../install/remove.ts";

/** Remove the named packages. */
export async function run(ctx: CommandContext): Promise<number> {
  const { names } = packageTargets(ctx);
  await removePackages(ctx.config, [...new Set(names)], ctx.log);
  return 0;
}
