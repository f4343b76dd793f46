/**
 * Scenario 10: `kiln lint` over a generated 5,000-recipe repository
 * (`bench/gen_repo.ts`, with a `sources` and a `checksums` file added to
 * every recipe), minus the start-up of a kiln process.
 *
 * @module
 */

import { compare, formatMs, type Row, Skip, type TargetResult } from "../harness.ts";
import { type BenchContext, count, kiln, minusStartup, startupContender } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { generateRepo } from "../gen_repo.ts";

/** Scenario 10. */
export const scenario: Scenario = {
  id: 10,
  title: "recipe lint",
  summary: "`kiln lint REPO` over a generated repository of 5,000 recipes, minus the start-up of a kiln process.",
  async run(ctx: BenchContext) {
    const n = ctx.quick ? 1000 : 5000;
    ctx.say(`lint: generating a repository of ${count(n)} recipes`);
    const repo = `${ctx.tmp}/lint${n}`;
    const root = `${ctx.tmp}/lint-root`;
    Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
    const generated = await generateRepo(repo, { packages: n });
    for (const name of generated.names) {
      Deno.writeTextFileSync(`${repo}/${name}/sources`, `https://example.org/${name}-1.0.0.tar.gz\n`);
      Deno.writeTextFileSync(`${repo}/${name}/checksums`, `${"ab".repeat(33)}\n`);
    }
    const env = { KISS_PATH: repo, KISS_ROOT: root };
    const [whole, startup] = await compare([
      {
        label: "kiln lint",
        async run() {
          const r = await kiln(["lint", repo], env);
          if (r.code !== 0) {
            throw new Skip(`kiln lint exited ${r.code}: ${r.stdout.slice(0, 300)}${r.stderr.slice(-300)}`);
          }
          if (!r.stderr.includes(`${n} package(s)`)) throw new Skip(`kiln lint did not lint ${n} packages`);
          return r.ms;
        },
      },
      startupContender(),
    ], { runs: ctx.runs });
    const derived = minusStartup(whole, startup, "lint − start-up");
    const rows: Row[] = [
      { scenario: "10. lint", case: `${count(n)} recipes, whole process`, kiln: whole, peers: [] },
      {
        scenario: "10. lint",
        case: `${count(n)} recipes, lint only`,
        kiln: derived,
        peers: [],
        note: "the median of `kiln version` (start-up), measured in the same rounds, subtracted",
      },
    ];
    const target = "kiln lint over 5,000 recipes in under 1 s beyond start-up";
    const targets: TargetResult[] = [];
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (derived.stats) {
      targets.push({
        target,
        measured: `${formatMs(derived.stats.median)} beyond start-up`,
        met: derived.stats.median < 1000,
      });
    } else targets.push({ target, reason: derived.skipped });
    return { rows, targets };
  },
};
