/**
 * Scenario 1: install and remove one package of 1,000 and of 20,000 files.
 *
 * kiln (`kiln install FILE`, `kiln remove NAME`, as subprocesses) against
 * `zstd -dc | tar -x` (the floor; `rm -rf` for removal), `pacman -U --root`
 * / `pacman -R` on a pacman package of the same files, and the kiss shell
 * script when `KISS_BIN` is given; the 20,000-file case is repeated with the
 * data in memory (tmpfs), where the target is judged. The tools take turns,
 * round after round, so a drift in the machine's speed hits them alike.
 * Every tool starts from a fresh, empty root and a flushed file system
 * (`sync -f`, untimed, so no run pays for the one before); every run is
 * checked (the files are there, or gone) before it counts.
 *
 * @module
 */

import { compare, type Contender, type Figure, ratio, type Row, Skip, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import {
  type BenchContext,
  count,
  exists,
  expectSuccess,
  kiln,
  needCommand,
  removeTree,
  run,
  settle,
} from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { type PackageTree, packKiss, packPacman, writePackageTree } from "./_data.ts";

/** Installs and removes one package with one tool. */
interface Tool {
  readonly label: string;
  readonly removeLabel: string;
  /** Make the empty root this tool needs. */
  prepare(root: string): void;
  install(root: string): Promise<void>;
  remove(root: string): Promise<void>;
}

interface Case {
  readonly tree: PackageTree;
  readonly kissArchive: string;
  readonly pacmanArchive?: string;
}

function emptyRoot(root: string): void {
  Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
}

/** kiln as a subprocess; `fsync: false` sets `KISS_FSYNC=0` (no syncfs, as tar and pacman do). */
function kilnTool(ctx: BenchContext, c: Case, fsync = true): Tool {
  const env = (root: string) => ({
    KISS_ROOT: root,
    KISS_PROMPT: "0",
    KISS_CACHE: `${ctx.tmp}/kiln-cache`,
    ...(fsync ? {} : { KISS_FSYNC: "0" }),
  });
  const suffix = fsync ? "" : ", KISS_FSYNC=0";
  return {
    label: `kiln install${suffix}`,
    removeLabel: `kiln remove${suffix}`,
    prepare: emptyRoot,
    async install(root) {
      expectSuccess(await kiln(["install", "-y", c.kissArchive], env(root)), "kiln install");
    },
    async remove(root) {
      expectSuccess(await kiln(["remove", "-y", c.tree.name], env(root)), "kiln remove");
    },
  };
}

function tarTool(ctx: BenchContext, _c: Case): Tool {
  const tar = need(ctx.peers.tar), zstd = need(ctx.peers.zstd);
  return {
    label: "zstd -dc | tar -x (floor)",
    removeLabel: "rm -rf (floor)",
    prepare: (root) => Deno.mkdirSync(root, { recursive: true }),
    async install(root) {
      const script = '"$1" -dc "$3" | "$2" -xf - -C "$4"';
      expectSuccess(await run("/bin/sh", ["-c", script, "sh", zstd, tar, _c.kissArchive, root]), "zstd | tar -x");
    },
    async remove(root) {
      expectSuccess(await run("rm", ["-rf", `${root}/usr`, `${root}/var`]), "rm -rf");
    },
  };
}

function pacmanTool(ctx: BenchContext, c: Case): Tool {
  const pacman = need(ctx.peers.pacman);
  if (!c.pacmanArchive) throw new Skip("no pacman package was made");
  const conf = `${ctx.tmp}/pacman.conf`;
  Deno.writeTextFileSync(conf, "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n");
  const common = (root: string) => [
    "--root",
    root,
    "--dbpath",
    `${root}/var/lib/pacman`,
    "--config",
    conf,
    "--cachedir",
    `${ctx.tmp}/pacman-cache`,
    "--logfile",
    `${ctx.tmp}/pacman.log`,
    "--hookdir",
    `${ctx.tmp}/pacman-hooks`,
    "--noconfirm",
    "--noprogressbar",
    "--noscriptlet",
    "--nodeps",
    "--nodeps",
  ];
  return {
    label: "pacman -U --root",
    removeLabel: "pacman -R --root",
    prepare: (root) => Deno.mkdirSync(`${root}/var/lib/pacman`, { recursive: true }),
    async install(root) {
      expectSuccess(await run(pacman, ["-U", ...common(root), c.pacmanArchive!]), "pacman -U");
    },
    async remove(root) {
      expectSuccess(await run(pacman, ["-R", ...common(root), c.tree.name]), "pacman -R");
    },
  };
}

function kissTool(ctx: BenchContext, c: Case): Tool {
  const kissBin = need(ctx.peers.kiss);
  const env = (root: string) => ({
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: `${ctx.tmp}/kiss-home`,
    LOGNAME: "root",
    KISS_ROOT: root,
    KISS_PATH: "",
    KISS_PROMPT: "0",
    KISS_COMPRESS: "zst",
    XDG_CACHE_HOME: `${ctx.tmp}/kiss-cache`,
    LC_ALL: "C",
  });
  return {
    label: "kiss i",
    removeLabel: "kiss r",
    prepare: emptyRoot,
    async install(root) {
      expectSuccess(await run(kissBin, ["i", c.kissArchive], { env: env(root) }), "kiss i");
    },
    async remove(root) {
      expectSuccess(await run(kissBin, ["r", c.tree.name], { env: env(root) }), "kiss r");
    },
  };
}

/** Each tool as a contender for `kind`, or a skipped figure when it cannot run at all. */
function timeTools(ctx: BenchContext, c: Case, kind: "install" | "remove", withKiss = true): Promise<Figure[]> {
  const makers: [string, (ctx: BenchContext, c: Case) => Tool][] = [
    [`kiln ${kind}`, (x, y) => (needCommand(kind), kilnTool(x, y))],
    [`kiln ${kind}, KISS_FSYNC=0`, (x, y) => (needCommand(kind), kilnTool(x, y, false))],
    [kind === "install" ? "zstd -dc | tar -x" : "rm -rf", tarTool],
    [kind === "install" ? "pacman -U" : "pacman -R", pacmanTool],
    [kind === "install" ? "kiss i" : "kiss r", kissTool],
  ];
  if (!withKiss) makers.pop();
  const fixed: (Figure | undefined)[] = [];
  const contenders: Contender[] = [];
  for (const [fallback, make] of makers) {
    let tool: Tool;
    try {
      tool = make(ctx, c);
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      fixed.push({ label: fallback, skipped: err.message });
      continue;
    }
    fixed.push(undefined);
    const root = `${ctx.tmp}/root-${contenders.length}`;
    const sample = `${root}${c.tree.sample}`;
    const label = kind === "install" ? tool.label : tool.removeLabel;
    contenders.push({
      label,
      slowMs: fallback.startsWith("kiss") ? 5000 : undefined,
      async run() {
        const start = performance.now();
        await (kind === "install" ? tool.install(root) : tool.remove(root));
        const ms = performance.now() - start;
        if (kind === "install" && !exists(sample)) throw new Skip(`${label} exited 0 but ${c.tree.sample} is missing`);
        if (kind === "remove" && exists(sample)) throw new Skip(`${label} exited 0 but left ${c.tree.sample}`);
        return ms;
      },
      async before() {
        await removeTree(root);
        tool.prepare(root);
        if (kind === "remove") {
          await tool.install(root);
          if (!exists(sample)) throw new Skip(`${tool.label} did not install ${c.tree.sample} before removal`);
        }
        await settle(ctx.tmp);
      },
      async after() {
        await removeTree(root);
        await settle(ctx.tmp);
      },
    });
  }
  // The 20,000-file case: no warm-up round (the archive is still in the page cache) and a budget.
  const big = c.tree.entries > 10_000;
  const options = { runs: ctx.runs, warmup: big ? 0 : 1, budgetMs: big ? 90_000 : 45_000 };
  return compare(contenders, options).then((measured) => fixed.map((f) => f ?? measured.shift()!));
}

async function makeCase(ctx: BenchContext, files: number): Promise<Case> {
  const name = files >= 1000 ? `pkg${files / 1000}k` : `pkg${files}`;
  const dir = `${ctx.tmp}/${name}`;
  ctx.say(`making a package of ${count(files)} files`);
  const tree = writePackageTree(`${dir}/tree`, name, files, files);
  const tar = need(ctx.peers.tar), zstd = need(ctx.peers.zstd);
  const kissArchive = `${dir}/${name}@1.0-1.tar.zst`;
  await packKiss(tar, zstd, tree.dir, kissArchive);
  let pacmanArchive: string | undefined;
  if (ctx.peers.pacman.path) {
    pacmanArchive = `${dir}/${name}-1.0-1-any.pkg.tar.zst`;
    await packPacman(tar, zstd, tree, pacmanArchive);
  }
  return { tree, kissArchive, pacmanArchive };
}

/**
 * The 20,000-file case again with everything in memory (tmpfs `/dev/shm`):
 * the kernel's file-system cost is then small and the same for every tool,
 * so the software's own cost shows. On this project's virtual machines ext4
 * has phases in which each file creation waits about a millisecond, which
 * swamps the disk figures. Rows for install and remove, kiss left out.
 */
async function inMemory(ctx: BenchContext, c: Case): Promise<Figure[][] | undefined> {
  let mem: string;
  try {
    mem = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "kiln-bench-" });
  } catch {
    return undefined;
  }
  try {
    const copy = (file: string | undefined) => {
      if (!file) return undefined;
      const to = `${mem}/${file.slice(file.lastIndexOf("/") + 1)}`;
      Deno.copyFileSync(file, to);
      return to;
    };
    const memCase: Case = { tree: c.tree, kissArchive: copy(c.kissArchive)!, pacmanArchive: copy(c.pacmanArchive) };
    const memCtx: BenchContext = { ...ctx, tmp: mem };
    const out: Figure[][] = [];
    for (const kind of ["install", "remove"] as const) {
      ctx.say(`${kind}: ${count(c.tree.entries)} entries, in memory`);
      out.push(await timeTools(memCtx, memCase, kind, false));
    }
    return out;
  } finally {
    await removeTree(mem);
  }
}

/** Scenario 1. */
export const scenario: Scenario = {
  id: 1,
  title: "install and remove",
  summary:
    "one package of 1,000 and of 20,000 small files (GNU tar + zstd archive laid out as kiss makes it), installed into an empty root and removed: `kiln install`/`kiln remove` against `zstd -dc | tar -x` and `rm -rf` (the floor), `pacman -U/-R --root` on a pacman package of the same files, and `kiss i`/`kiss r`; the 20,000-file case again in memory (tmpfs).",
  async run(ctx) {
    const rows: Row[] = [];
    const targets: TargetResult[] = [];
    const sizes = ctx.quick ? [200, 2000] : [1000, 20000];
    const kilnAt1k: Record<string, number | undefined> = {};
    let onDisk: { kiln: Figure; noSync: Figure; floor: Figure } | undefined;
    const cases: Case[] = [];
    for (const files of sizes) {
      const c = await makeCase(ctx, files);
      cases.push(c);
      for (const kind of ["install", "remove"] as const) {
        ctx.say(`${kind}: ${count(files)} files`);
        const [kilnFig, noSync, ...peers] = await timeTools(ctx, c, kind);
        const what = `${kind} ${count(files)} files`;
        rows.push({
          scenario: "1. install/remove",
          case: `${what} (${count(c.tree.entries)} manifest entries)`,
          kiln: kilnFig,
          peers,
        }, {
          scenario: "1. install/remove",
          case: `${what}, without syncing`,
          kiln: noSync,
          peers: peers.slice(0, 2),
          note: "`KISS_FSYNC=0`: kiln's two `syncfs` calls per transaction left out, as tar and pacman sync nothing",
        });
        if (files === sizes[1] && kind === "install") onDisk = { kiln: kilnFig, noSync, floor: peers[0] };
        if (files === sizes[0]) kilnAt1k[kind] = kilnFig.stats?.median;
      }
    }
    const big = cases[cases.length - 1];
    const memory = await inMemory(ctx, big);
    memory?.forEach(([kilnFig, _noSync, ...peers], i) =>
      rows.push({
        scenario: "1. install/remove",
        case: `${i === 0 ? "install" : "remove"} ${count(sizes[1])} files, in memory (tmpfs)`,
        kiln: kilnFig,
        peers,
        note: "the same archive and tools with the data in /dev/shm: the file system's cost is small and equal, " +
          "so the tools' own cost shows",
      })
    );
    const target = "install within 1.5× of tar -x for 20,000 files";
    const memKiln = memory?.[0][0], memFloor = memory?.[0][2];
    const r = (a?: Figure, b?: Figure) => (a?.stats && b?.stats ? ratio(a.stats, b.stats) : undefined);
    const inMem = r(memKiln, memFloor), disk = r(onDisk?.kiln, onDisk?.floor), bare = r(onDisk?.noSync, onDisk?.floor);
    const judged = inMem ?? disk;
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else if (judged !== undefined) {
      const parts = [
        inMem !== undefined ? `${inMem.toFixed(2)}× tar -x in memory` : undefined,
        disk !== undefined ? `${disk.toFixed(2)}× on disk` : undefined,
        bare !== undefined ? `${bare.toFixed(2)}× on disk without syncing` : undefined,
      ];
      targets.push({ target, measured: parts.filter((p) => p).join("; "), met: judged <= 1.5 });
    } else targets.push({ target, reason: onDisk?.kiln.skipped ?? onDisk?.floor.skipped ?? memKiln?.skipped });

    // Issue 5: no slower than pacman, judged in memory where the file system's noise is small.
    for (const [i, kind, cmd] of [[0, "install", "pacman -U --root"], [1, "remove", "pacman -R --root"]] as const) {
      const target = `${kind} of 20,000 files no slower than ${cmd}`;
      const row = memory?.[i], kilnFig = row?.[0], pacman = row?.[3];
      const q = r(kilnFig, pacman);
      if (ctx.quick) targets.push({ target, reason: "quick run" });
      else if (q !== undefined) targets.push({ target, measured: `${q.toFixed(2)}× ${cmd} in memory`, met: q <= 1 });
      else targets.push({ target, reason: pacman?.skipped ?? kilnFig?.skipped ?? "not measured in memory" });
    }

    const context = (what: string, kissMs: number, kilnMs: number | undefined) => {
      const target = `faster than kiss 6.2.0's published ${what} (context)`;
      if (ctx.quick) return { target, reason: "quick run" };
      if (kilnMs === undefined) return { target, reason: "kiln figure missing" };
      return { target, measured: `${(kilnMs / 1000).toFixed(2)} s`, met: kilnMs < kissMs };
    };
    targets.push(context("3.8 s install of a 1,000-file package", 3800, kilnAt1k.install));
    targets.push(context("0.7–1.1 s removal of it", 700, kilnAt1k.remove));
    return { rows, targets };
  },
};
