/**
 * `kiln build [PKG…]` (`b`): resolve the build order (SPEC §6.1), validate
 * every recipe of the plan, then hand the plan to the build pipeline.
 * With `--dry-run`, print the plan in the seed's format (`(1/16) will build
 * package (implicit) zlib`) and stop; with `--json` as well, print it as
 * JSON on standard output.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import type { BuildPlan } from "../../graph/plan.ts";
import { KilnError } from "../../errors.ts";
import { packageTargets } from "../args.ts";
import { formatPlan, loadPlanRecipes, planToJson } from "../../graph/plan.ts";
import { resolveBuildPlan } from "../../graph/resolve.ts";

/** The build pipeline's entry point. */
type BuildPackages = (plan: BuildPlan, ctx: CommandContext) => Promise<number | void>;

/** The module that builds a plan; loaded only when something is to be built. */
const PIPELINE = "../../build/pipeline.ts";

/** Resolve the plan; print it (`--dry-run`) or build it. */
export async function run(ctx: CommandContext): Promise<number | void> {
  const { names, repos } = packageTargets(ctx);
  const plan = resolveBuildPlan(repos, ctx.config, names, ctx.log);
  if (ctx.config.dryRun) {
    if (ctx.config.json) ctx.out(JSON.stringify(planToJson(plan), null, 2));
    else for (const line of formatPlan(plan)) ctx.log.info(line);
    return 0;
  }
  // Every recipe is validated before anything is done: a broken one stops the build here.
  loadPlanRecipes(plan, ctx.config);
  const buildPackages = await loadPipeline();
  return await buildPackages(plan, ctx);
}

async function loadPipeline(): Promise<BuildPackages> {
  let mod: { buildPackages?: BuildPackages };
  try {
    mod = await import(PIPELINE);
  } catch (err) {
    if (String((err as Error)?.message).includes("build/pipeline.ts")) {
      throw new KilnError("building is not available in this kiln yet: the build pipeline is missing", {
        hint: "use 'kiln build --dry-run' to see the build order",
        cause: err,
      });
    }
    throw err;
  }
  if (typeof mod.buildPackages !== "function") {
    throw new KilnError("building is not available in this kiln yet: the build pipeline has no buildPackages", {
      hint: "use 'kiln build --dry-run' to see the build order",
    });
  }
  return mod.buildPackages;
}
