/**
 * Scenario 7: a chain of 50 packages of 200 files each (each depends on the
 * one before), built with trivial build scripts and installed into an empty
 * root: `kiln build -y TOP` against kiss's `kiss b TOP` then `kiss i TOP`
 * (when `KISS_BIN` is given; kiss leaves the explicit package uninstalled
 * with `KISS_PROMPT=0`) and against the 50 build scripts run alone with `sh` (the floor).
 * kiln's overhead per package is its total minus the floor, over 50.
 *
 * @module
 */

import { compare, formatMs, perUnit, type Row, shift, Skip, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import { type BenchContext, exists, expectSuccess, kiln, needCommand, removeTree, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { writeChainRepo } from "./_data.ts";

function checkInstalled(root: string, names: readonly string[], who: string): void {
  const missing = names.filter((n) => !exists(`${root}/var/db/kiss/installed/${n}/manifest`));
  if (missing.length) throw new Skip(`${who} exited 0 but did not install ${missing.slice(0, 3).join(", ")}…`);
  const last = names[names.length - 1];
  if (!exists(`${root}/usr/share/${last}/f0`)) throw new Skip(`${who} exited 0 but /usr/share/${last}/f0 is missing`);
}

/** Scenario 7. */
export const scenario: Scenario = {
  id: 7,
  title: "a chain of 50 builds",
  summary:
    "50 chained packages of 200 files each, trivial build scripts, built and installed into an empty root: `kiln build -y TOP` against `kiss b TOP` + `kiss i TOP` and the build scripts alone.",
  async run(ctx: BenchContext) {
    const n = ctx.quick ? 5 : 50;
    const files = ctx.quick ? 50 : 200;
    const repo = `${ctx.tmp}/repo`;
    const root = `${ctx.tmp}/root`;
    const cache = `${ctx.tmp}/cache`;
    const { top, names } = writeChainRepo(repo, n, files);
    const runs = ctx.quick ? 1 : 2;
    const fresh = async () => {
      await removeTree(root);
      await removeTree(cache);
      Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
    };

    const kissEnv = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: `${ctx.tmp}/kiss-home`,
      LOGNAME: "root",
      KISS_PATH: repo,
      KISS_ROOT: root,
      KISS_PROMPT: "0",
      KISS_COMPRESS: "zst",
      XDG_CACHE_HOME: cache,
      LC_ALL: "C",
    };
    const kilnEnv = { KISS_PATH: repo, KISS_ROOT: root, KISS_CACHE: cache, KISS_PROMPT: "0" };
    ctx.say(`chain: ${n} chained packages: the scripts alone, kiln build, kiss b`);
    const [floor, kilnFig, kissFig] = await compare([
      {
        label: "the build scripts alone (sh)",
        async run() {
          const sh = need(ctx.peers.sh);
          const start = performance.now();
          for (const name of names) {
            const pkg = `${ctx.tmp}/floor/${name}`;
            Deno.mkdirSync(pkg, { recursive: true });
            expectSuccess(await run(sh, [`${repo}/${name}/build`, pkg, "1.0"], { cwd: `${ctx.tmp}/floor` }), name);
          }
          return performance.now() - start;
        },
        after: () => removeTree(`${ctx.tmp}/floor`),
      },
      {
        label: "kiln build -y",
        async run() {
          needCommand("build");
          let ms = expectSuccess(await kiln(["build", "-y", top], kilnEnv), "kiln build").ms;
          if (!exists(`${root}/var/db/kiss/installed/${top}`)) {
            ms += expectSuccess(await kiln(["install", "-y", top], kilnEnv), "kiln install").ms;
          }
          checkInstalled(root, names, "kiln build");
          return ms;
        },
        before: fresh,
      },
      {
        label: "kiss b + kiss i",
        slowMs: 20_000,
        async run() {
          const kiss = need(ctx.peers.kiss);
          // With KISS_PROMPT=0 kiss builds the explicit package without installing it: install it after.
          let ms = expectSuccess(await run(kiss, ["b", top], { env: kissEnv }), "kiss b").ms;
          if (!exists(`${root}/var/db/kiss/installed/${top}`)) {
            ms += expectSuccess(await run(kiss, ["i", top], { env: kissEnv }), "kiss i").ms;
          }
          checkInstalled(root, names, "kiss b");
          return ms;
        },
        before: fresh,
      },
    ], { runs, warmup: 0 });
    await removeTree(root);

    const overhead = kilnFig.stats && floor.stats
      ? { label: "kiln overhead per package", stats: perUnit(shift(kilnFig.stats, -floor.stats.median), n) }
      : { label: "kiln overhead per package", skipped: kilnFig.skipped ?? floor.skipped };
    const rows: Row[] = [
      {
        scenario: "7. build chain",
        case: `${n} packages × ${files} files, built and installed`,
        kiln: kilnFig,
        peers: [kissFig, floor],
      },
      {
        scenario: "7. build chain",
        case: "per package, beyond the build scripts",
        kiln: overhead,
        peers: [],
        note: `(kiln's total − the scripts alone) ÷ ${n}`,
      },
    ];
    const target = "faster than kiss 6.2.0's published 57.9 s for 50 chained packages (context)";
    const targets: TargetResult[] = [];
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (kilnFig.stats) {
      targets.push({ target, measured: formatMs(kilnFig.stats.median), met: kilnFig.stats.median < 57_900 });
    } else targets.push({ target, reason: kilnFig.skipped });
    return { rows, targets };
  },
};
