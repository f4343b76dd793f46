/**
 * `kiln bump PKG VERSION`: set a recipe's version (release 1, or the next
 * release when the version is the same), rewrite the version in a community
 * recipe's `sources`, download and rewrite `checksums`, and print what
 * changed. With `--dry-run`, print the version and sources changes without
 * downloading or writing.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { loadRecipe } from "../../recipe/load.ts";
import { Repositories } from "../../repo/repositories.ts";
import { applyBump, type FileChange, hashBump, planBump } from "../../maint/bump.ts";

function describe(change: FileChange): string[] {
  const before = change.before.split("\n"), after = change.after.split("\n");
  const out: string[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    if (before[i] === after[i]) continue;
    if (before[i] !== undefined && before[i] !== "") out.push(`${change.file}:${i + 1}: - ${before[i]}`);
    if (after[i] !== undefined && after[i] !== "") out.push(`${change.file}:${i + 1}: + ${after[i]}`);
  }
  return out;
}

/** Bump the recipe. */
export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length !== 2) throw new UsageError("bump takes a package and a version", "usage: kiln bump PKG VERSION");
  const [name, version] = ctx.args;
  checkName(name);
  const repos = new Repositories(ctx.config);
  const found = repos.locate(name);
  if (!found) throw repos.notFound(name);
  if (found.repo === repos.installedDir) {
    throw new KilnError(`${name} was found only in the installed database (${found.dir})`, {
      hint: "bump the recipe in its repository: add it to KISS_PATH",
    });
  }
  const recipe = loadRecipe(found.dir, { repo: found.repo, dialect: ctx.config.dialect, allowChecksumMismatch: true });
  const plan = planBump(recipe, version);
  if (!ctx.config.dryRun) await hashBump(plan, ctx.config, ctx.log);
  for (const change of plan.changes) for (const line of describe(change)) ctx.out(line);
  if (ctx.config.dryRun) {
    ctx.log.info(`${name}: would become ${plan.version} ${plan.release} (checksums are computed when run for real)`);
    return 0;
  }
  await applyBump(plan);
  ctx.log.info(`${name}: ${recipe.version} ${recipe.release} -> ${plan.version} ${plan.release} in ${recipe.dir}`);
  return 0;
}
