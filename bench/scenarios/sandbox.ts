/**
 * Scenario 6: the sandbox's cost.
 *
 * - Set-up: `runSandboxed` in host and hermetic mode (an in-process call;
 *   it starts kiln's helper process, which makes the namespaces, mounts,
 *   Landlock rules, and execs `/bin/true`) against
 *   `unshare -mnui --fork true`. The helper's own timing splits its runtime
 *   start-up from the set-up proper. The hermetic root is the sandbox tests'
 *   standard root (a `base` of the host's shell, coreutils and libc).
 * - What keeps a build's processes in hand: starting a process as PID 1 of
 *   a new PID namespace against a plain start (both of `/bin/true`,
 *   interleaved), and making and ending a build's control group.
 * - The hermetic sysroot: hard-linking 1,000 and 10,000 installed files into
 *   a sysroot, against `cp -al` of the same tree (interleaved), on disk and
 *   in memory (tmpfs).
 *
 * @module
 */

import { compare, type Figure, formatMs, measure, type Row, Skip, summarize, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import { attempt, type BenchContext, count, exists, expectSuccess, importKiln, removeTree, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { makeSysrootFixture, sysrootBuilder } from "./_sysroot.ts";

interface SandboxResult {
  code: number;
  mode: string;
  timing?: { startup: number; setup: number };
}
type RunSandboxed = (request: Record<string, unknown>, log: unknown) => Promise<SandboxResult>;

/** A root with a small real `base` (the host's shell, coreutils and libc), as the sandbox tests make it. */
async function standardRoot(root: string): Promise<string> {
  const helpers = await importKiln<{ makeStandardRoot?: (root: string) => void }>("tests/_helpers/sandbox.ts");
  if (!helpers.makeStandardRoot) throw new Skip("tests/_helpers/sandbox.ts does not export makeStandardRoot");
  Deno.mkdirSync(root, { recursive: true });
  helpers.makeStandardRoot(root);
  return root;
}

async function sandboxRunner(): Promise<{ runSandboxed: RunSandboxed; log: unknown }> {
  const mod = await importKiln<{ runSandboxed?: RunSandboxed }>("lib/sandbox/run.ts");
  if (!mod.runSandboxed) throw new Skip("lib/sandbox/run.ts does not export runSandboxed");
  const log = await importKiln<{ Log: new (r: unknown) => unknown; silent: unknown }>("lib/log.ts");
  return { runSandboxed: mod.runSandboxed, log: new log.Log(log.silent) };
}

interface Supervision {
  spawnInNewPidNamespace: (command: Deno.Command) => Deno.ChildProcess;
  createBuildCgroup: (limits: { pids: number }, log: unknown) => { path: string; version: number } | undefined;
  endCgroup: (group: unknown) => Promise<void>;
  log: unknown;
}

/** The PID namespace and the control group a sandboxed build gets, each timed on its own. */
async function supervisionRows(ctx: BenchContext, runs: number): Promise<Row[]> {
  ctx.say("sandbox: PID namespace and control group");
  const load = async (): Promise<Supervision> => {
    const pidns = await importKiln<Partial<Supervision>>("lib/sandbox/pidns.ts");
    const cgroup = await importKiln<Partial<Supervision>>("lib/sandbox/cgroup.ts");
    if (!pidns.spawnInNewPidNamespace || !cgroup.createBuildCgroup || !cgroup.endCgroup) {
      throw new Skip("lib/sandbox/pidns.ts or cgroup.ts is missing");
    }
    if (Deno.uid() !== 0) throw new Skip("needs root");
    const { log } = await sandboxRunner();
    return { ...pidns, ...cgroup, log } as Supervision;
  };
  const loaded = await load().catch((err) => err instanceof Skip ? err : Promise.reject(err));
  const fail = () => Promise.reject(loaded);
  const trueCommand = () => new Deno.Command("/bin/true", { stdin: "null", stdout: "null", stderr: "null" });
  const [inNamespace, plain] = await compare([
    {
      label: "spawn /bin/true as PID 1 of a new PID namespace",
      run: loaded instanceof Skip ? fail : async () => {
        const t = performance.now();
        await loaded.spawnInNewPidNamespace(trueCommand()).status;
        return performance.now() - t;
      },
    },
    {
      label: "spawn /bin/true",
      run: async () => {
        const t = performance.now();
        await trueCommand().spawn().status;
        return performance.now() - t;
      },
    },
  ], { runs: Math.max(runs, 20) });
  let version = "";
  const group = await attempt("make and end a build's control group", async () => {
    if (loaded instanceof Skip) throw loaded;
    const m = await measure(async () => {
      const g = loaded.createBuildCgroup({ pids: 4096 }, loaded.log);
      if (!g) throw new Skip("no control group on this machine (cgroup v2 with pids, or cgroup v1's pids)");
      version = `cgroup v${g.version}`;
      await loaded.endCgroup(g);
    }, { runs: Math.max(runs, 20) });
    return { label: "make and end a build's control group", stats: m.stats };
  });
  return [
    {
      scenario: "6. sandbox",
      case: "PID namespace: start of the helper's process",
      kiln: inNamespace,
      peers: [plain],
      note: "unshare(CLONE_NEWPID) and setns around the spawn; the child is its namespace's PID 1",
    },
    {
      scenario: "6. sandbox",
      case: "control group of a build",
      kiln: group,
      peers: [],
      note: `mkdir, pids.max, removal${version ? ` (${version} on this machine)` : ""}`,
    },
  ];
}

/** Scenario 6. */
export const scenario: Scenario = {
  id: 6,
  title: "sandbox set-up",
  summary:
    "`runSandboxed` around `/bin/true` in host and hermetic mode against `unshare -mnui --fork true`, and the hermetic sysroot of 1,000 and 10,000 files against `cp -al`.",
  async run(ctx: BenchContext) {
    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    const runs = Math.max(ctx.runs, 5);

    const unshare = await attempt("unshare -mnui --fork true", async () => {
      const bin = need(ctx.peers.unshare);
      const m = await measure(async () => expectSuccess(await run(bin, ["-mnui", "--fork", "true"]), "unshare").ms, {
        runs,
      });
      return { label: "unshare -mnui --fork true", stats: m.stats };
    });
    const modes: Record<string, Figure> = {};
    const toExec: Record<string, number | undefined> = {};
    for (const mode of ["host", "hermetic"] as const) {
      ctx.say(`sandbox: ${mode} mode around /bin/true`);
      const timing = { startup: [] as number[], setup: [] as number[] };
      const label = `runSandboxed (${mode} mode)`;
      const figure = await attempt(label, async () => {
        const { runSandboxed, log } = await sandboxRunner();
        const root = mode === "host" ? "/" : await standardRoot(`${ctx.tmp}/standard-root`);
        const work = `${ctx.tmp}/proc`;
        const m = await measure(async () => {
          const result = await runSandboxed({
            mode,
            root,
            argv: ["/bin/true"],
            env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
            cwd: `${work}/build`,
            writable: [`${work}/build`, `${work}/pkg`],
            packages: [],
            workDir: work,
            logFile: `${work}/log`,
          }, log);
          if (result.code !== 0) {
            const output = exists(`${work}/log`) ? Deno.readTextFileSync(`${work}/log`).trim() : "";
            throw new Skip(`runSandboxed ${mode} /bin/true exited ${result.code}: ${output}`);
          }
          if (result.timing) {
            timing.startup.push(result.timing.startup);
            timing.setup.push(result.timing.setup);
          }
        }, {
          runs,
          before: () => {
            Deno.mkdirSync(`${work}/build`, { recursive: true });
            Deno.mkdirSync(`${work}/pkg`, { recursive: true });
          },
          after: () => removeTree(work),
        });
        return { label, stats: m.stats };
      });
      modes[mode] = figure;
      if (figure.stats && timing.startup.length >= runs) {
        toExec[mode] = summarize(timing.startup.map((t, i) => t + timing.setup[i]).slice(-runs)).median;
      }
      rows.push({ scenario: "6. sandbox", case: `${mode} mode: run /bin/true`, kiln: figure, peers: [unshare] });
      if (figure.stats && timing.startup.length >= runs) {
        rows.push(
          {
            scenario: "6. sandbox",
            case: `${mode} mode: of which the helper's start-up`,
            kiln: { label: "helper start to its main()", stats: summarize(timing.startup.slice(-runs)) },
            peers: [],
            note: "as reported by the helper (the runtime's start-up and module loading)",
          },
          {
            scenario: "6. sandbox",
            case: `${mode} mode: of which the set-up proper`,
            kiln: { label: "namespaces, mounts, Landlock", stats: summarize(timing.setup.slice(-runs)) },
            peers: [unshare],
            note: "as reported by the helper: from its main() to execve" +
              (mode === "hermetic" ? ", the sysroot of the test root's base closure included" : ""),
          },
        );
      }
    }
    const kilnSetup = modes.host;
    rows.push(...await supervisionRows(ctx, runs));

    /** kiln's sysroot builder and `cp -al` on the same `files` files under `dir`, interleaved. */
    const sysroots = async (dir: string, files: number): Promise<[Figure, Figure]> => {
      const fixture = makeSysrootFixture(`${dir}/root${files}`, files);
      const dest = `${dir}/sysroot`;
      let label = "kiln sysroot";
      const build = await sysrootBuilder().catch((err) => err instanceof Skip ? err : Promise.reject(err));
      if (!(build instanceof Skip)) label = `kiln sysroot (${build.label})`;
      const [kilnLinks, cp] = await compare([
        {
          label,
          run: () => build instanceof Skip ? Promise.reject(build) : build(fixture, dest),
          after: () => removeTree(dest),
        },
        {
          label: "cp -al of the same files",
          run: async () =>
            expectSuccess(await run(need(ctx.peers.cp), ["-al", `${fixture.root}/usr`, `${dest}/usr`]), "cp -al").ms,
          before: () => Deno.mkdirSync(dest, { recursive: true }),
          after: () => removeTree(dest),
        },
      ], { runs });
      await removeTree(fixture.root);
      return [kilnLinks, cp];
    };
    const sizes = ctx.quick ? [1000] : [1000, 10000];
    const perThousand: { files: number; kiln?: Figure; cp?: Figure }[] = [];
    for (const files of sizes) {
      ctx.say(`sandbox: hermetic sysroot of ${count(files)} files`);
      const [kilnLinks, cp] = await sysroots(ctx.tmp, files);
      rows.push({
        scenario: "6. sandbox",
        case: `hermetic sysroot, ${count(files)} hard-linked files`,
        kiln: kilnLinks,
        peers: [cp],
      });
      perThousand.push({ files, kiln: kilnLinks, cp });
    }
    const memFiles = sizes[sizes.length - 1];
    const mem = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "kiln-bench-" }).catch(() => undefined);
    let inMemory: Figure | undefined;
    if (mem) {
      try {
        ctx.say(`sandbox: hermetic sysroot of ${count(memFiles)} files, in memory`);
        const [kilnLinks, cp] = await sysroots(mem, memFiles);
        inMemory = kilnLinks;
        rows.push({
          scenario: "6. sandbox",
          case: `hermetic sysroot, ${count(memFiles)} files, in memory (tmpfs)`,
          kiln: kilnLinks,
          peers: [cp],
          note: "the same with the root in /dev/shm: the file system's own cost is small, so kiln's shows",
        });
      } finally {
        await removeTree(mem);
      }
    }

    const target = "sandbox set-up under 50 ms plus 15 ms per 1,000 hard-linked files";
    const setupMs = toExec.host;
    const big = perThousand[perThousand.length - 1];
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (setupMs !== undefined && kilnSetup.stats && big.kiln?.stats) {
      const per = big.kiln.stats.median / (big.files / 1000);
      const cpPer = big.cp?.stats ? `, cp -al ${formatMs(big.cp.stats.median / (big.files / 1000))}` : "";
      const memPer = inMemory?.stats ? `; ${formatMs(inMemory.stats.median / (memFiles / 1000))} in memory` : "";
      // The target is one budget: 50 ms, plus 15 ms for each 1,000 files linked.
      const total = setupMs + big.kiln.stats.median;
      const budget = 50 + 15 * (big.files / 1000);
      targets.push({
        target,
        measured: `${formatMs(total)} for ${count(big.files)} files against a budget of ${formatMs(budget)}: ` +
          `helper start to execve ${formatMs(setupMs)} (host mode; the whole call around /bin/true ` +
          `${formatMs(kilnSetup.stats.median)}) + ${formatMs(per)} per 1,000 files on disk${cpPer}${memPer}`,
        met: setupMs < 50 && total < budget,
      });
    } else {
      targets.push({
        target,
        reason: kilnSetup.skipped ?? big.kiln?.skipped ?? "the helper did not report its timing",
      });
    }
    return { rows, targets };
  },
};
