/**
 * `kiln upgrade` (`U`): build and install every installed package whose
 * repository version differs (SPEC §8); `--dry-run` prints the plan.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";

/** Upgrade the root. */
export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0) {
    throw new UsageError(
      `upgrade takes no package names, got: ${ctx.args.join(" ")}`,
      "run 'kiln upgrade' to upgrade every outdated package, or 'kiln build PKG' for one",
    );
  }
  const { upgradeRoot } = await import("../../build/upgrade.ts");
  return await upgradeRoot(ctx);
}
