/**
 * Multi-package builds (SPEC §6): the plan from the resolver is built in
 * order — every source of every package downloaded and verified first, then
 * each package built (`buildPackage`), independent packages at the same time
 * with `-j N` (a package starts only once the packages it depends on are
 * built and installed). Implicit dependencies are installed as soon as they
 * are built, so that what follows can use them.
 *
 * Explicit packages are installed after the build as kiss does it: on a
 * terminal kiln asks first; with `-y` or `KISS_PROMPT=0` (kiss's prompt then
 * answers yes by itself) it installs without asking; when standard input is
 * not a terminal and prompts are on, it builds only and prints where each
 * archive is (kiss would stop at the unanswerable prompt).
 *
 * The run's work directory `<KISS_TMPDIR or cache/proc>/<pid>` is removed at
 * the end, after a failure too, unless `KISS_DEBUG` is set.
 *
 * @module
 */

import type { CommandContext } from "../cli/context.ts";
import { KilnError } from "../errors.ts";
import { type BuildPlan, formatPlan, loadPlanRecipes } from "../graph/plan.ts";
import { downloadSources } from "../sources/download.ts";
import { installArchives } from "../install/transaction.ts";
import { withHookTurn } from "../hooks.ts";
import { ask, canAsk } from "./ask.ts";
import { removeWorkTree, removeWorkTreeSync } from "./cleanup.ts";
import { archiveName, buildPackage, type BuildRun, type BuiltPackage } from "./package.ts";
import { runGraph } from "./schedule.ts";

/** How a plan is built. */
export interface BuildOptions {
  /**
   * Install every package of the plan once it is built, explicit ones
   * included, without asking (what `upgrade` does).
   */
  readonly installAll?: boolean;
  /**
   * Use an archive already in the binary cache instead of building, for
   * packages whose archive for this version exists (what `upgrade` does).
   */
  readonly preferCache?: boolean;
}

/** What a build run did. */
export interface BuildOutcome {
  /** Every package of the plan, in plan order, with its archive. */
  readonly packages: readonly (BuiltPackage & { explicit: boolean; installed: boolean; cached: boolean })[];
}

/** Build `plan` (the entry point `kiln build` calls). Resolves to the exit status. */
export async function buildPackages(plan: BuildPlan, ctx: CommandContext): Promise<number> {
  const outcome = await buildPlan(plan, ctx);
  for (const p of outcome.packages) if (p.explicit && !p.installed) ctx.out(p.archive);
  return 0;
}

/** Build `plan`: download, verify, build, package and install as described above. */
export async function buildPlan(
  plan: BuildPlan,
  ctx: CommandContext,
  options: BuildOptions = {},
): Promise<BuildOutcome> {
  const { config, log } = ctx;
  if (plan.order.length === 0) {
    log.info("nothing to build");
    return { packages: [] };
  }
  const recipes = loadPlanRecipes(plan, config);
  for (const line of formatPlan(plan)) log.info(line);
  const implicitCount = plan.order.filter((e) => !e.explicit).length;
  if (implicitCount > 0 && canAsk(config) && !options.installAll) {
    if (!(await ask(`${implicitCount} dependencies will be built and installed; continue?`, log))) {
      throw new KilnError("build cancelled", { hint: "run again and press Enter to build, or use -y" });
    }
  }

  const cached = new Map<string, string>();
  if (options.preferCache) {
    for (const recipe of recipes) {
      const archive = `${config.binDir}/${archiveName(recipe, config)}`;
      if (await isFile(archive)) {
        log.info(`found pre-built binary ${archiveName(recipe, config)}`);
        cached.set(recipe.name, archive);
      }
    }
  }
  await downloadSources(recipes.filter((r) => !cached.has(r.name)), config, log);

  const run: BuildRun = {
    config,
    log,
    workDir: `${config.procDir}/${Deno.pid}`,
    pid: Deno.pid,
    started: new Date(),
  };
  const interrupt = new Interrupt(run.workDir, config.debug);
  const installing = new Mutex();
  const inPlan = new Set(recipes.map((r) => r.name));
  const entries = plan.order.map((e, i) => ({ entry: e, recipe: recipes[i], index: i + 1 }));
  // A package another package of the plan depends on is installed before that one starts, explicit or not.
  const needed = new Set(recipes.flatMap((r) => r.depends.map((d) => d.name)).filter((n) => inPlan.has(n)));
  const done = new Map<string, BuildOutcome["packages"][number]>();
  try {
    await runGraph(
      entries.map(({ entry, recipe, index }) => ({
        name: entry.name,
        after: recipe.depends.map((d) => d.name).filter((n) => inPlan.has(n)),
        run: async () => {
          const built = cached.has(recipe.name)
            ? { name: recipe.name, archive: cached.get(recipe.name)!, addedDepends: [], sandbox: "none" }
            : await buildPackage({ recipe, index, total: entries.length }, run);
          const install = options.installAll || !entry.explicit || needed.has(recipe.name);
          if (install) {
            if (!entry.explicit || needed.has(recipe.name)) {
              log.info(`${recipe.name} is needed as a dependency, installing it`);
            }
            // Its install hooks must not run beside the hooks of a package being built meanwhile.
            await installing.run(() => withHookTurn(() => installArchives(config, [built.archive], log)));
          }
          done.set(recipe.name, {
            ...built,
            explicit: entry.explicit,
            installed: install,
            cached: cached.has(recipe.name),
          });
        },
      })),
      { parallel: config.jobs, stop: () => interrupt.reason() },
    );
  } catch (err) {
    throw interrupt.reason() ?? err;
  } finally {
    interrupt.close();
    if (!config.debug) await removeWorkTree(run.workDir, log);
    else log.info(`KISS_DEBUG: build directories kept in ${run.workDir}`);
  }

  const packages = entries.map(({ entry }) => done.get(entry.name)!);
  const waiting = packages.filter((p) => p.explicit && !p.installed);
  if (waiting.length > 0) await installExplicit(waiting, ctx, installing);
  return { packages };
}

async function installExplicit(
  waiting: (BuiltPackage & { installed: boolean })[],
  ctx: CommandContext,
  installing: Mutex,
): Promise<void> {
  const { config, log } = ctx;
  const names = waiting.map((p) => p.name).join(" ");
  let install: boolean;
  if (!config.prompt) install = true;
  else if (canAsk(config)) install = await ask(`install built packages? [${names}]`, log);
  else install = false;
  if (!install) {
    log.info(`not installing ${names}; to install: kiln install ${names}`);
    return;
  }
  await installing.run(() => withHookTurn(() => installArchives(config, waiting.map((p) => p.archive), log)));
  for (const p of waiting) p.installed = true;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Runs one task at a time (installs of one root take its lock; one at a time from this process). */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => {});
    return next;
  }
}

/**
 * Ctrl+C during a build: the first SIGINT stops new builds from starting
 * (the running build gets it passed on by the sandbox, and fails); a
 * second one removes the work directory and exits at once.
 */
class Interrupt {
  #count = 0;
  readonly #handler = () => {
    this.#count++;
    if (this.#count > 1) {
      if (!this.debug) removeWorkTreeSync(this.workDir);
      Deno.exit(130);
    }
  };
  #listening = false;

  constructor(readonly workDir: string, readonly debug: boolean) {
    try {
      Deno.addSignalListener("SIGINT", this.#handler);
      this.#listening = true;
    } catch {
      // signals not available: Ctrl+C ends kiln the default way
    }
  }

  reason(): KilnError | undefined {
    return this.#count > 0 ? new KilnError("build interrupted", { exitCode: 130 }) : undefined;
  }

  close(): void {
    if (this.#listening) Deno.removeSignalListener("SIGINT", this.#handler);
    this.#listening = false;
  }
}
