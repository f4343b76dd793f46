/**
 * Scenario 3: `kiln owns PATH` on a root with 1,000 installed packages
 * holding 200,000 files, against `grep -lFx PATH …/installed/*\/manifest`
 * (what kiss's `owns` does). The database comes from `bench/owns.ts`.
 *
 * kiln answers from its owner index; the first query builds that index and is
 * reported on its own row.
 *
 * @module
 */

import { compare, formatMs, type Row, Skip, summarize, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import {
  attempt,
  type BenchContext,
  count,
  expectSuccess,
  kiln,
  minusStartup,
  needCommand,
  run,
  startupContender,
} from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { writeDatabase } from "../owns.ts";

/** Scenario 3. */
export const scenario: Scenario = {
  id: 3,
  title: "owns",
  summary:
    "`kiln owns PATH` on a root with 1,000 installed packages holding 200,000 files, against `grep -lFx PATH` over every manifest (what kiss does).",
  async run(ctx: BenchContext) {
    const packages = ctx.quick ? 100 : 1000;
    const filesPer = 200;
    const root = `${ctx.tmp}/root`;
    ctx.say(`owns: writing ${count(packages)} installed packages of ${filesPer} files`);
    // The install area's generator: pkg0000… with `filesPer` files each, and one file of the middle package on disk.
    const { path, owner } = writeDatabase(root, packages, filesPer);
    const installed = `${root}/var/db/kiss/installed`;
    const manifests = [...Deno.readDirSync(installed)].map((e) => `${installed}/${e.name}/manifest`).sort();
    const env = { KISS_ROOT: root, KISS_CACHE: `${ctx.tmp}/cache` };

    const ownsRun = async () => {
      needCommand("owns");
      const r = expectSuccess(await kiln(["owns", path], env), "kiln owns");
      if (!r.stdout.includes(owner)) throw new Skip(`kiln owns ${path} did not name ${owner}: ${r.stdout.trim()}`);
      return r.ms;
    };
    ctx.say("owns: the first query (builds the index)");
    const firstRun = await attempt("kiln owns, first query", async () => ({
      label: "kiln owns, first query",
      stats: summarize([await ownsRun()]),
    }));
    ctx.say("owns: kiln owns, kiln version, grep -lFx over every manifest");
    const [whole, startup, grep] = await compare([
      { label: "kiln owns", run: ownsRun },
      startupContender(),
      {
        label: "grep -lFx over all manifests",
        async run() {
          const r = await run(need(ctx.peers.grep), ["-lFx", path, ...manifests]);
          if (!r.stdout.includes(`/${owner}/manifest`)) throw new Skip(`grep did not find ${path}`);
          return r.ms;
        },
      },
    ], { runs: Math.max(ctx.runs, 5) });
    const derived = minusStartup(whole, startup, "kiln owns − start-up");

    const files = count(packages * filesPer);
    const rows: Row[] = [
      { scenario: "3. owns", case: `${count(packages)} packages, ${files} files`, kiln: whole, peers: [grep] },
      {
        scenario: "3. owns",
        case: "look-up only",
        kiln: derived,
        peers: [],
        note: "the median of `kiln version` (start-up), measured in the same rounds, subtracted from each query",
      },
      {
        scenario: "3. owns",
        case: "first query after the database changed",
        kiln: firstRun,
        peers: [grep],
        note: "the first query builds the owner index",
      },
    ];
    const target = "owner look-up over 200,000 installed files in under 0.1 s";
    const targets: TargetResult[] = [];
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (derived.stats) {
      targets.push({
        target,
        measured: `${formatMs(derived.stats.median)} beyond start-up`,
        met: derived.stats.median < 100,
      });
    } else targets.push({ target, reason: derived.skipped });
    return { rows, targets };
  },
};
