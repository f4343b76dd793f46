/**
 * `kiln build [PKG…]` (`b`): resolve the build order (SPEC §6.1) and hand the
 * plan to the build pipeline, which validates every recipe of the plan before
 * anything is done. With `--dry-run`, print the plan in the seed's format
 * (`(1/16) will build package (implicit) zlib`) and stop; with `--json` as
 * well, print it as JSON on standard output.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { packageTargets } from "../args.ts";
import { formatPlan, planToJson } from "../../graph/plan.ts";
import { resolveBuildPlan } from "../../graph/resolve.ts";

/** Resolve the plan; print it (`--dry-run`) or build it. */
export async function run(ctx: CommandContext): Promise<number | void> {
  const { names, repos } = packageTargets(ctx);
  const plan = resolveBuildPlan(repos, ctx.config, names, ctx.log);
  if (ctx.config.dryRun) {
    if (ctx.config.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
    else for (const line of formatPlan(plan)) ctx.log.info(line);
    return 0;
  }
  // The pipeline is loaded only when something is to be built (a literal path, so that bundles include it).
  const { buildPackages } = await import("../../build/pipeline.ts");
  return await buildPackages(plan, ctx);
}
