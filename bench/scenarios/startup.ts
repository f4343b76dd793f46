/**
 * Scenario 5: start-up of `kiln version` and of `kiln list` with 500
 * installed packages, against the same kiss commands (when `KISS_BIN` is
 * given) and against `deno run` of an empty script (the runtime's own floor).
 *
 * @module
 */

import { compare, type Contender, formatMs, type Row, Skip, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import { expectSuccess, kiln, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { writeInstalledDb } from "./_data.ts";

/** Scenario 5. */
export const scenario: Scenario = {
  id: 5,
  title: "start-up",
  summary:
    "`kiln version` and `kiln list` with 500 installed packages, against `deno run` of an empty script and `kiss v`/`kiss l`.",
  async run(ctx) {
    const root = `${ctx.tmp}/root`;
    const packages = 500;
    writeInstalledDb(root, packages, 20);
    const empty = `${ctx.tmp}/empty.ts`;
    Deno.writeTextFileSync(empty, "");
    const kissEnv = {
      KISS_ROOT: root,
      KISS_PATH: "",
      XDG_CACHE_HOME: `${ctx.tmp}/kiss-cache`,
      KISS_PROMPT: "0",
      LOGNAME: "root",
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      LC_ALL: "C",
    };
    const kissRun = (label: string, args: string[], lines: number): Contender => ({
      label,
      async run() {
        const r = expectSuccess(await run(need(ctx.peers.kiss), args, { env: kissEnv }), label);
        if (r.stdout.trim().split("\n").length < lines) throw new Skip(`${label} printed too few lines`);
        return r.ms;
      },
    });
    const options = { runs: Math.max(ctx.runs, 5), warmup: 2 };
    ctx.say("start-up: kiln version, deno run of an empty script, kiss v");
    const [version, denoFloor, kissV] = await compare([
      { label: "kiln version", run: async () => expectSuccess(await kiln(["version"], {}), "kiln version").ms },
      {
        label: "deno run (empty script)",
        run: async () => expectSuccess(await run(Deno.execPath(), ["run", "-A", empty]), "deno run").ms,
      },
      kissRun("kiss v", ["v"], 1),
    ], options);
    ctx.say(`start-up: kiln list with ${packages} installed packages, kiss l`);
    const [list, kissL] = await compare([
      {
        label: "kiln list",
        async run() {
          const r = expectSuccess(await kiln(["list"], { KISS_ROOT: root }), "kiln list");
          const n = r.stdout.trim().split("\n").length;
          if (n !== packages) throw new Skip(`kiln list printed ${n} lines for ${packages} installed packages`);
          return r.ms;
        },
      },
      kissRun("kiss l", ["l"], packages),
    ], options);
    const rows: Row[] = [
      {
        scenario: "5. start-up",
        case: "version",
        kiln: version,
        peers: [denoFloor, kissV],
      },
      {
        scenario: "5. start-up",
        case: `list, ${packages} installed packages`,
        kiln: list,
        peers: [denoFloor, kissL],
      },
    ];
    const target = "start-up of a query under 50 ms";
    const targets: TargetResult[] = [];
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (list.stats) {
      targets.push({ target, measured: `kiln list ${formatMs(list.stats.median)}`, met: list.stats.median < 50 });
    } else if (version.stats) {
      targets.push({
        target,
        measured: `kiln version ${formatMs(version.stats.median)} (list: ${list.skipped})`,
        met: version.stats.median < 50,
      });
    } else targets.push({ target, reason: version.skipped });
    return { rows, targets };
  },
};
