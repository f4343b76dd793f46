/**
 * Scenario 8: `-j2` on independent builds. Two packages with no
 * dependencies between them, each a CPU-bound build script (about 10 s of
 * shell arithmetic, calibrated on this machine), built and installed with
 * `kiln build -j2`: the build issue asks for under 12 s. The same two
 * scripts run with `sh` side by side are the floor, and `-j1` shows the
 * speed-up.
 *
 * @module
 */

import { compare, type Contender, type Figure, formatMs, type Row, Skip, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import { type BenchContext, exists, expectSuccess, kiln, needCommand, removeTree, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { cpuBuild, writeRecipe } from "./_data.ts";

/** Loop count for about `seconds` of shell arithmetic here. */
async function calibrate(sh: string, seconds: number): Promise<number> {
  const probe = 200_000;
  const script = `i=0; while [ "$i" -lt ${probe} ]; do i=$((i + 1)); done`;
  let best = Infinity;
  for (let k = 0; k < 3; k++) best = Math.min(best, expectSuccess(await run(sh, ["-c", script]), "sh").ms);
  return Math.max(10_000, Math.round((probe * seconds * 1000) / best));
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** Scenario 8. */
export const scenario: Scenario = {
  id: 8,
  title: "-j2 on independent builds",
  summary:
    "two independent CPU-bound builds of about 10 s, `kiln build -j2` against `-j1` and against the same two scripts run side by side with `sh`.",
  async run(ctx: BenchContext) {
    const sh = need(ctx.peers.sh);
    const seconds = ctx.quick ? 0.3 : 10;
    const loops = await calibrate(sh, seconds);
    const names = ["ja", "jb"];
    const repo = `${ctx.tmp}/repo`, root = `${ctx.tmp}/root`, cache = `${ctx.tmp}/cache`;
    for (const name of names) writeRecipe(`${repo}/${name}`, cpuBuild(name, loops));
    const runs = ctx.quick ? 1 : 2;

    const scripts = (width: number): Contender => ({
      label: `the scripts alone, ${width} at a time`,
      async run() {
        await pool(names, width, async (name) => {
          const pkg = `${ctx.tmp}/floor/${name}`;
          Deno.mkdirSync(pkg, { recursive: true });
          expectSuccess(await run(sh, [`${repo}/${name}/build`, pkg, "1.0"], { cwd: `${ctx.tmp}/floor` }), name);
        });
      },
      after: () => removeTree(`${ctx.tmp}/floor`),
    });

    const build = (jobs: number): Contender => ({
      label: `kiln build -j${jobs}`,
      async run() {
        needCommand("build");
        const env = { KISS_PATH: repo, KISS_ROOT: root, KISS_CACHE: cache, KISS_PROMPT: "0" };
        const r = expectSuccess(await kiln(["build", "-y", `-j${jobs}`, ...names], env), `kiln build -j${jobs}`);
        const archives = exists(`${cache}/bin`) ? [...Deno.readDirSync(`${cache}/bin`)].map((e) => e.name) : [];
        const built = (n: string) =>
          exists(`${root}/usr/share/${n}/done`) || archives.some((a) => a.startsWith(`${n}@1.0-1.tar.`));
        const missing = names.filter((n) => !built(n));
        if (missing.length) throw new Skip(`kiln build -j${jobs} exited 0 but did not build ${missing.join(", ")}`);
        return r.ms;
      },
      async before() {
        await removeTree(root);
        await removeTree(cache);
        Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
      },
    });

    ctx.say(`parallel: 2 independent builds of ~${seconds} s, -j2 and -j1`);
    const [j2, par, j1] = await compare([build(2), scripts(2), build(1)], { runs, warmup: 0 });
    await removeTree(root);

    const speedup = (a?: Figure, b?: Figure) =>
      a?.stats && b?.stats ? `${(a.stats.median / b.stats.median).toFixed(2)}×` : undefined;
    const rows: Row[] = [
      {
        scenario: "8. parallel builds",
        case: `2 independent ~${seconds} s builds, -j2`,
        kiln: j2,
        peers: [par, j1],
        note: `speed-up of -j2 over -j1: ${speedup(j1, j2) ?? "not measured"}`,
      },
    ];
    const targets: TargetResult[] = [];
    const target = "-j2 on two independent 10-second builds finishes in under 12 s (build issue)";
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (j2.stats) {
      const floor = par.stats ? ` (the two scripts side by side: ${formatMs(par.stats.median)})` : "";
      targets.push({ target, measured: `${formatMs(j2.stats.median)}${floor}`, met: j2.stats.median < 12_000 });
    } else targets.push({ target, reason: j2.skipped });
    return { rows, targets };
  },
};
