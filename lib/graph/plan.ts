/**
 * A build plan: the packages to build, dependencies before dependents, and
 * how the plan is shown (the seed's `(1/16) will build package (implicit)
 * zlib`).
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Recipe } from "../recipe/types.ts";
import { loadRecipe } from "../recipe/load.ts";

/** One package of a {@linkcode BuildPlan}. */
export interface PlanEntry {
  /** The package's name. */
  readonly name: string;
  /** Its package directory (the recipe to build from). */
  readonly dir: string;
  /** The repository it was found in. */
  readonly repo: string;
  /** Named on the command line (`explicit`), or pulled in as a dependency (`implicit`). */
  readonly explicit: boolean;
  /**
   * An implicit package every `depends` line of which, among the packages of
   * the plan, says `make`: needed only to build the others.
   */
  readonly make: boolean;
}

/** What `build` will do, in order. */
export interface BuildPlan {
  /**
   * Packages in build order: every package after the dependencies it has in
   * the plan. Dependencies that are already installed are left out unless
   * named. Implicit packages are meant to be installed as soon as they are
   * built, so that the packages after them can use them.
   */
  readonly order: readonly PlanEntry[];
  /** The package names as named, duplicates removed. */
  readonly targets: readonly string[];
}

/** The plan as the seed prints it: `(1/16) will build package (implicit) zlib`, one line per package. */
export function formatPlan(plan: BuildPlan): string[] {
  const n = plan.order.length;
  return plan.order.map((e, i) =>
    `(${i + 1}/${n}) will build package (${e.explicit ? "explicit" : "implicit"}) ${e.name}`
  );
}

/** The plan as plain data for `--json`. */
export function planToJson(plan: BuildPlan): { order: PlanEntry[]; targets: string[] } {
  return { order: plan.order.map((e) => ({ ...e })), targets: [...plan.targets] };
}

/**
 * Read and validate every recipe of the plan, in plan order, before anything
 * is built: the first broken recipe throws its `RecipeError`, so that a
 * broken recipe stops the build before any work.
 */
export function loadPlanRecipes(plan: BuildPlan, config: Config): Recipe[] {
  return plan.order.map((e) => loadRecipe(e.dir, { repo: e.repo, dialect: config.dialect }));
}
