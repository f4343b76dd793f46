/**
 * Upgrading a root (SPEC §8, kiss's `pkg_upgrade`): every installed package
 * whose repository `version` (first match in `KISS_PATH`) differs from the
 * installed one is rebuilt, in dependency order, and installed — dependencies
 * and the outdated packages alike. An archive of the new version already in
 * the binary cache is installed instead of being built again. Installed
 * packages that no repository has are reported and left alone.
 *
 * @module
 */

import type { CommandContext } from "../cli/context.ts";
import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { listInstalled, readInstalledVersion } from "../db/installed.ts";
import { formatPlan } from "../graph/plan.ts";
import { resolveBuildPlan } from "../graph/resolve.ts";
import { Repositories } from "../repo/repositories.ts";
import { readVersion } from "../recipe/version.ts";
import { KilnError } from "../errors.ts";
import { ask, canAsk } from "./ask.ts";
import { buildPlan } from "./pipeline.ts";

/** An installed package with another version in its repository. */
export interface Upgrade {
  readonly name: string;
  /** `VERSION-RELEASE` installed. */
  readonly installed: string;
  /** `VERSION-RELEASE` in the repository. */
  readonly available: string;
  /** The repository's package directory. */
  readonly dir: string;
}

/** What {@linkcode findUpgrades} found. */
export interface UpgradeCheck {
  /** Outdated packages, in name order. */
  readonly upgrades: Upgrade[];
  /** Installed packages found in no repository. */
  readonly orphans: string[];
}

/** Compare every installed package with its repository. */
export function findUpgrades(config: Config, repos: Repositories): UpgradeCheck {
  const upgrades: Upgrade[] = [], orphans: string[] = [];
  for (const name of listInstalled(config)) {
    const have = readInstalledVersion(config, name)!;
    const found = repos.locate(name);
    if (found === undefined || found.repo === repos.installedDir) {
      orphans.push(name);
      continue;
    }
    const repo = readVersion(found.dir);
    const installed = `${have.version}-${have.release}`, available = `${repo.version}-${repo.release}`;
    if (installed !== available) upgrades.push({ name, installed, available, dir: found.dir });
  }
  return { upgrades, orphans };
}

/**
 * `kiln upgrade`: report what is outdated, then build and install it (with
 * `--dry-run`, print the plan only). Resolves to the exit status.
 */
export async function upgradeRoot(ctx: CommandContext): Promise<number> {
  const { config, log } = ctx;
  const repos = new Repositories(config);
  log.info("checking for new package versions");
  const { upgrades, orphans } = findUpgrades(config, repos);
  if (orphans.length > 0) log.warn(`packages without a repository (left as they are): ${orphans.join(" ")}`);
  if (upgrades.length === 0) {
    log.info("nothing to do: every installed package matches its repository");
    return 0;
  }
  for (const u of upgrades) log.info(`${u.name} ${u.installed} => ${u.available}`);
  const names = upgrades.map((u) => u.name);
  const plan = resolveBuildPlan(repos, config, names, log);
  if (config.dryRun) {
    for (const line of formatPlan(plan)) log.info(line);
    return 0;
  }
  await confirm(config, log, `packages to update (${names.length}): ${names.join(" ")}; continue?`);
  await buildPlan(plan, ctx, { installAll: true, preferCache: true });
  log.info(`updated ${names.length} package${names.length === 1 ? "" : "s"}`);
  return 0;
}

async function confirm(config: Config, log: Log, question: string): Promise<void> {
  if (!canAsk(config)) return;
  if (!(await ask(question, log))) {
    throw new KilnError("upgrade cancelled", { hint: "run 'kiln upgrade' again and press Enter, or use -y" });
  }
}
