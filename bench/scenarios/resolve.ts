/**
 * Scenario 2: dependency resolution on generated repositories of 500 and
 * 5,000 packages (`bench/gen_repo.ts`: a random DAG, fixed seed, up to 20
 * levels, ~5 deps each, one top package over all the others).
 *
 * Measured twice: the whole `kiln build --dry-run top` process minus the
 * start-up of a kiln process (`kiln version`, measured in the same run), and
 * in-process, `resolveBuildPlan` alone on a fresh `Repositories`.
 *
 * @module
 */

import { compare, formatMs, measure, type Row, Skip, type TargetResult } from "../harness.ts";
import {
  attempt,
  type BenchContext,
  count,
  expectSuccess,
  importKiln,
  kiln,
  minusStartup,
  startupContender,
} from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { generateRepo } from "../gen_repo.ts";

interface Libs {
  loadConfig(env: Record<string, string>, flags?: object, cwd?: string, isTerminal?: boolean): unknown;
  Repositories: new (config: unknown) => unknown;
  resolveBuildPlan(repos: unknown, config: unknown, names: string[], log: unknown): { order: unknown[] };
  log: unknown;
}

async function libs(): Promise<Libs> {
  const config = await importKiln<{ loadConfig: Libs["loadConfig"] }>("lib/config.ts");
  const repo = await importKiln<{ Repositories?: Libs["Repositories"] }>("lib/repo/repositories.ts");
  const graph = await importKiln<{ resolveBuildPlan?: Libs["resolveBuildPlan"] }>("lib/graph/resolve.ts");
  const log = await importKiln<{ Log: new (r: unknown) => unknown; silent: unknown }>("lib/log.ts");
  if (!repo.Repositories) throw new Skip("lib/repo/repositories.ts does not export Repositories");
  if (!graph.resolveBuildPlan) throw new Skip("lib/graph/resolve.ts does not export resolveBuildPlan");
  return {
    loadConfig: config.loadConfig,
    Repositories: repo.Repositories,
    resolveBuildPlan: graph.resolveBuildPlan,
    log: new log.Log(log.silent),
  };
}

/** Scenario 2. */
export const scenario: Scenario = {
  id: 2,
  title: "dependency resolution",
  summary:
    "`kiln build --dry-run TOP` on generated repositories of 500 and 5,000 packages (`bench/gen_repo.ts`), minus the start-up of a kiln process, and `resolveBuildPlan` in-process.",
  async run(ctx: BenchContext) {
    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    const sizes = ctx.quick ? [100, 1000] : [500, 5000];
    for (const n of sizes) {
      ctx.say(`resolution: generating a repository of ${count(n)} packages`);
      const repo = `${ctx.tmp}/repo${n}`;
      const root = `${ctx.tmp}/root`;
      Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
      const generated = await generateRepo(repo, { packages: n });
      const top = generated.top, packages = generated.names.length;
      const env = { KISS_PATH: repo, KISS_ROOT: root, KISS_CACHE: `${ctx.tmp}/cache` };

      ctx.say(`resolution: kiln build --dry-run on ${count(n)} packages`);
      const [whole, startup] = await compare([
        {
          label: "kiln build --dry-run",
          async run() {
            const r = expectSuccess(await kiln(["build", "--dry-run", top], env), "kiln build --dry-run");
            const planned = (r.stdout + r.stderr).split("\n").filter((l) => l.includes("will build package")).length;
            if (planned !== packages) {
              throw new Skip(`kiln build --dry-run planned ${planned} packages, expected ${packages}`);
            }
            return r.ms;
          },
        },
        startupContender(),
      ], { runs: ctx.runs });
      const derived = minusStartup(whole, startup, "dry-run − start-up");

      const inProcess = await attempt("resolveBuildPlan (in-process)", async () => {
        const l = await libs();
        const config = l.loadConfig(env);
        const m = await measure(() => {
          const plan = l.resolveBuildPlan(new l.Repositories(config), config, [top], l.log);
          if (plan.order.length !== packages) {
            throw new Skip(`resolveBuildPlan planned ${plan.order.length} packages, expected ${packages}`);
          }
        }, { runs: Math.max(ctx.runs, 5) });
        return { label: "resolveBuildPlan (in-process)", stats: m.stats };
      });

      rows.push(
        { scenario: "2. resolution", case: `${count(n)} packages, whole process`, kiln: whole, peers: [] },
        {
          scenario: "2. resolution",
          case: `${count(n)} packages, resolution only`,
          kiln: derived,
          peers: [],
          note: "the median of `kiln version` (start-up), measured in the same rounds, subtracted from each dry-run",
        },
        { scenario: "2. resolution", case: `${count(n)} packages, in-process`, kiln: inProcess, peers: [] },
      );
      if (n === sizes[1]) {
        const target = "build order of a 5,000-package repository in under 0.2 s";
        if (ctx.quick) targets.push({ target, reason: "quick run" });
        else if (derived.stats) {
          targets.push({
            target,
            measured: `${formatMs(derived.stats.median)} beyond start-up` +
              (inProcess.stats ? `; ${formatMs(inProcess.stats.median)} in-process` : ""),
            met: derived.stats.median < 200,
          });
        } else targets.push({ target, reason: derived.skipped });
      }
    }
    return { rows, targets };
  },
};
