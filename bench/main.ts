/**
 * `deno task bench`: runs every scenario against its peers and writes the
 * results, with the machine they ran on, into `BENCHMARKS.md`.
 *
 * Environment:
 * - `BENCH_QUICK=1`: a fast smoke run (smaller data, one run each); prints
 *   the table and writes no file unless `BENCH_OUT` is set.
 * - `BENCH_ONLY=1,4`: only the scenarios with these numbers.
 * - `BENCH_OUT=FILE`: where to write the report (default `BENCHMARKS.md` at
 *   the top of the tree for a full run).
 * - `BENCH_RUNS=N`: timed runs per figure (default 5, after one warm-up).
 * - `BENCH_NO_INSTALL=1`: do not apt-get install missing peers.
 * - `BENCH_TMPDIR=DIR`: where the data is made (default: the system's temporary directory).
 * - `KISS_BIN=/path/to/kiss`: add the kiss shell script as a peer.
 *
 * @module
 */

import { formatMs, renderReport, renderRows, renderTargets, type Row, Skip, type TargetResult } from "./harness.ts";
import { findPeers, machineInfo, peerVersions } from "./peers.ts";
import { type BenchContext, findDenoDir, kiln, removeTree, REPO, type Scenario } from "./scenarios/_common.ts";
import { scenario as install } from "./scenarios/install.ts";
import { scenario as resolve } from "./scenarios/resolve.ts";
import { scenario as owns } from "./scenarios/owns.ts";
import { scenario as hash } from "./scenarios/hash.ts";
import { scenario as startup } from "./scenarios/startup.ts";
import { scenario as sandbox } from "./scenarios/sandbox.ts";
import { scenario as chain } from "./scenarios/chain.ts";
import { scenario as parallel } from "./scenarios/parallel.ts";
import { scenario as lint } from "./scenarios/lint.ts";
import { scenario as installMemory } from "./scenarios/install_memory.ts";

/** Every scenario, in the order. */
export const SCENARIOS: readonly Scenario[] = [
  install,
  resolve,
  owns,
  hash,
  startup,
  sandbox,
  chain,
  parallel,
  installMemory,
  lint,
];

/** The context lines of the report: kiss's own figures from SPEC §9. */
const KISS_CONTEXT = [
  "SPEC §9's figures for kiss 6.2.0 on the project's machines: install of a 1,000-file package 3.8 s; " +
  "removal 0.7–1.1 s; 50 chained packages built and installed 57.9 s.",
  "Run with `KISS_BIN=/path/to/kiss` to measure the kiss shell script side by side in the same run.",
];

function selected(only: string | undefined): readonly Scenario[] {
  if (!only) return SCENARIOS;
  const ids = new Set(only.split(",").map((s) => Number(s.trim())));
  return SCENARIOS.filter((s) => ids.has(s.id));
}

/** Every skip reason once, with the figures it cost. */
function skippedLines(rows: readonly Row[], targets: readonly TargetResult[]): string[] {
  const byReason = new Map<string, string[]>();
  const add = (reason: string, where: string) => byReason.set(reason, [...(byReason.get(reason) ?? []), where]);
  for (const row of rows) {
    for (const f of [row.kiln, ...row.peers]) if (f.skipped) add(f.skipped, `${row.scenario}, ${row.case}: ${f.label}`);
  }
  for (const t of targets) if (t.met === undefined && t.reason) add(t.reason, `target "${t.target}"`);
  return [...byReason].map(([reason, where]) => `${reason} — ${[...new Set(where)].join("; ")}`);
}

async function main(): Promise<number> {
  const started = performance.now();
  const env = Deno.env.toObject();
  const quick = env.BENCH_QUICK === "1";
  const runs = Number(env.BENCH_RUNS ?? (quick ? 1 : 5));
  const say = (m: string) => console.error(`[bench ${formatMs(performance.now() - started).padStart(8)}] ${m}`);
  const tmp = await Deno.makeTempDir({ prefix: "kiln-bench-", dir: env.BENCH_TMPDIR || undefined });
  const cleanUp = () => Deno.removeSync(tmp, { recursive: true });
  const onSignal = () => {
    cleanUp();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await findDenoDir();
    const peers = await findPeers({ install: env.BENCH_NO_INSTALL !== "1", kissBin: env.KISS_BIN, say });
    for (const p of Object.values(peers)) if (!p.path) say(`peer missing: ${p.name}: ${p.missing}`);
    say("warming up kiln (first start compiles its modules)");
    await kiln(["version"], {});

    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    const crashed: string[] = [];
    const chosen = selected(env.BENCH_ONLY);
    for (const s of chosen) {
      say(`scenario ${s.id}: ${s.title}`);
      const dir = `${tmp}/s${s.id}`;
      await Deno.mkdir(dir);
      const ctx: BenchContext = { tmp: dir, quick, runs: Number.isInteger(runs) && runs > 0 ? runs : 5, peers, say };
      try {
        const result = await s.run(ctx);
        rows.push(...result.rows);
        targets.push(...result.targets);
      } catch (err) {
        const why = err instanceof Skip ? err.message : `the scenario failed: ${(err as Error).message}`;
        say(`scenario ${s.id} skipped: ${why}`);
        crashed.push(`${s.id}. ${s.title}: ${why}`);
        if (!(err instanceof Skip)) console.error((err as Error).stack);
      } finally {
        await removeTree(dir);
      }
    }

    // SPEC §9's own targets first, the figures given for context after them.
    const context = (t: TargetResult) => (t.target.includes("(context)") ? 1 : 0);
    targets.sort((a, b) => context(a) - context(b));
    const report = renderReport({
      machine: machineInfo(),
      peers: peerVersions(peers),
      rows,
      targets,
      skipped: [...crashed, ...skippedLines(rows, targets)],
      scenarios: chosen.map((s) => `${s.id}. ${s.title}: ${s.summary}`),
      context: KISS_CONTEXT,
      totalMs: performance.now() - started,
      quick,
      date: new Date(),
    });
    console.log(renderRows(rows) + "\n\n" + renderTargets(targets));
    const out = env.BENCH_OUT ?? (quick || env.BENCH_ONLY ? undefined : `${REPO}/BENCHMARKS.md`);
    if (out) {
      await Deno.writeTextFile(out, report);
      say(`wrote ${out.startsWith(REPO + "/") ? out.slice(REPO.length + 1) : out}`);
    }
    say(`done in ${formatMs(performance.now() - started)}`);
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    cleanUp();
  }
}

if (import.meta.main) Deno.exit(await main());
