/**
 * Scenario 9: install's peak memory (resident set, as GNU time's `%M`
 * reports it) for a package of 1,000 files, of 20,000 files and of 1 GiB
 * (a few large files of random bytes), against `zstd -dc | tar -x` and
 * `pacman -U --root`. One run of each tool, into a fresh root in memory
 * (tmpfs when there is one); the time of that run is shown too.
 *
 * @module
 */

import { type Figure, type Row, Skip, summarize, type TargetResult } from "../harness.ts";
import { need } from "../peers.ts";
import { type BenchContext, count, kilnArgv, removeTree, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";
import { kissManifest, type PackageTree, packKiss, packPacman, writePackageTree } from "./_data.ts";

const MiB = 1024 * 1024;
const TIME = "/usr/bin/time";

interface Case {
  readonly label: string;
  readonly tree: PackageTree;
  readonly kissArchive: string;
  readonly pacmanArchive?: string;
  /** The largest file, bytes. */
  readonly largest: number;
}

/** A package of `files` small files, plus `big` files of `bigSize` random bytes. */
async function makeCase(ctx: BenchContext, dir: string, label: string, files: number, big = 0, bigSize = 0) {
  const name = `mem${files}x${big}`;
  const tree = writePackageTree(`${dir}/${name}/tree`, name, files, files + big);
  let largest = 4000;
  if (big > 0) {
    for (let i = 0; i < big; i++) {
      const file = `${tree.dir}/usr/lib/${name}/blob${i}`;
      Deno.mkdirSync(`${tree.dir}/usr/lib/${name}`, { recursive: true });
      const r = await run("/bin/sh", ["-c", 'head -c "$1" /dev/urandom > "$2"', "sh", String(bigSize), file]);
      if (r.code !== 0) throw new Skip(`writing ${file} failed: ${r.stderr.trim()}`);
    }
    largest = bigSize;
    const manifest = kissManifest(tree.dir, name);
    Deno.writeTextFileSync(`${tree.dir}/var/db/kiss/installed/${name}/manifest`, manifest.join("\n") + "\n");
  }
  const tar = need(ctx.peers.tar), zstd = need(ctx.peers.zstd);
  const kissArchive = `${dir}/${name}/${name}@1.0-1.tar.zst`;
  await packKiss(tar, zstd, tree.dir, kissArchive);
  let pacmanArchive: string | undefined;
  if (ctx.peers.pacman.path) {
    pacmanArchive = `${dir}/${name}/${name}-1.0-1-any.pkg.tar.zst`;
    await packPacman(tar, zstd, tree, pacmanArchive);
  }
  await removeTree(tree.dir);
  return { label, tree, kissArchive, pacmanArchive, largest };
}

/** Run `argv` under GNU time: its peak resident set (bytes) and time (ms). */
async function peak(argv: string[], env: Record<string, string>): Promise<{ bytes: number; ms: number }> {
  const r = await run(TIME, ["-f", "peak-kib %M", ...argv], { env: { PATH: Deno.env.get("PATH") ?? "", ...env } });
  const m = r.stderr.match(/peak-kib (\d+)\s*$/);
  if (r.code !== 0 || !m) throw new Skip(`${argv[0]} failed (exit ${r.code}): ${r.stderr.trim().slice(-200)}`);
  return { bytes: Number(m[1]) * 1024, ms: r.ms };
}

function mib(bytes: number): string {
  return bytes < MiB ? `${Math.ceil(bytes / 1024)} KiB` : `${Math.round(bytes / MiB)} MiB`;
}

/** One tool's figure for case `c`: peak memory in the label, the run's time as its one sample. */
async function measure(label: string, root: string, go: () => Promise<{ bytes: number; ms: number }>) {
  await removeTree(root);
  try {
    const { bytes, ms } = await go();
    return { figure: { label: `${label}: peak ${mib(bytes)}`, stats: summarize([ms]) } as Figure, bytes };
  } catch (err) {
    if (!(err instanceof Skip)) throw err;
    return { figure: { label, skipped: err.message } as Figure, bytes: undefined };
  } finally {
    await removeTree(root);
  }
}

/** Scenario 9. */
export const scenario: Scenario = {
  id: 9,
  title: "install memory",
  summary: "peak memory (GNU time's maximum resident set) of installing one package of 1,000 files, of 20,000 " +
    "files and of 1 GiB (four files of 256 MiB of random bytes): `kiln install` against `zstd -dc | tar -x` and " +
    "`pacman -U --root`, one run each into an empty root in memory.",
  async run(ctx) {
    try {
      Deno.statSync(TIME);
    } catch {
      throw new Skip(`no GNU time at ${TIME} to measure peak memory`);
    }
    let mem = ctx.tmp;
    try {
      mem = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "kiln-bench-mem-" });
    } catch { /* on disk */ }
    const rows: Row[] = [];
    const peaks: Record<string, number | undefined> = {};
    try {
      const cases = [
        ["1,000 files", 1000, 0, 0],
        ["20,000 files", 20000, 0, 0],
        ["1 GiB", 100, 4, 256 * MiB],
      ] as const;
      const small = ctx.quick ? [200, 2000, 10] : undefined;
      for (const [i, [label, files, big, size]] of cases.entries()) {
        const n = small?.[i] ?? files;
        ctx.say(`peak memory: making the ${label} package`);
        const c: Case = await makeCase(ctx, ctx.tmp, label, n, ctx.quick ? Math.min(big, 1) : big, size);
        const root = `${mem}/root`;
        const env = { KISS_ROOT: root, KISS_PROMPT: "0", KISS_FSYNC: "0", KISS_CACHE: `${ctx.tmp}/kiln-cache` };
        ctx.say(`peak memory: ${label}`);
        const [kilnCmd, kilnArgs] = kilnArgv(["install", "-y", c.kissArchive]);
        const kiln = await measure("kiln install", root, () => {
          Deno.mkdirSync(`${root}/var/db/kiss/installed`, { recursive: true });
          return peak([kilnCmd, ...kilnArgs], env);
        });
        const tar = need(ctx.peers.tar), zstd = need(ctx.peers.zstd);
        const floor = await measure("zstd -dc | tar -x", root, () => {
          Deno.mkdirSync(root, { recursive: true });
          // The shell's peak is the largest of its children's: tar's or zstd's.
          const script = '"$1" -dc "$3" | "$2" -xf - -C "$4"';
          return peak(["/bin/sh", "-c", script, "sh", zstd, tar, c.kissArchive, root], {});
        });
        const pacman = ctx.peers.pacman.path && c.pacmanArchive
          ? await measure("pacman -U --root", root, () => {
            Deno.mkdirSync(`${root}/var/lib/pacman`, { recursive: true });
            const conf = `${ctx.tmp}/pacman-mem.conf`;
            Deno.writeTextFileSync(
              conf,
              "[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n",
            );
            return peak([
              ctx.peers.pacman.path!,
              ...["-U", "--root", root, "--dbpath", `${root}/var/lib/pacman`, "--config", conf],
              ...["--cachedir", `${ctx.tmp}/pacman-cache`, "--logfile", `${ctx.tmp}/pacman.log`],
              ...["--noconfirm", "--noprogressbar", "--noscriptlet", "--nodeps", "--nodeps", c.pacmanArchive!],
            ], {});
          })
          : { figure: { label: "pacman -U --root", skipped: "pacman is not installed" } as Figure, bytes: undefined };
        peaks[label] = kiln.bytes;
        rows.push({
          scenario: "9. install memory",
          case: `${label} (${count(c.tree.entries)} entries, largest file ${mib(c.largest)})`,
          kiln: kiln.figure,
          peers: [floor.figure, pacman.figure],
          note: "peak memory in each label (GNU time's %M); the time is one run's, for context only",
        });
        peaks[`${label} target`] = kiln.bytes === undefined ? undefined : 64 * MiB + c.largest;
        await removeTree(`${ctx.tmp}/${c.tree.name}`);
      }
    } finally {
      if (mem !== ctx.tmp) await removeTree(mem);
    }
    const targets: TargetResult[] = [];
    const target = "install's peak memory under 64 MiB + the largest file, whatever the package's size";
    if (ctx.quick) targets.push({ target, reason: "quick run" });
    else {
      const parts = ["1,000 files", "20,000 files", "1 GiB"].map((l) =>
        peaks[l] === undefined ? `${l}: not measured` : `${l}: ${mib(peaks[l]!)}`
      );
      const measured = ["1,000 files", "20,000 files", "1 GiB"].filter((l) => peaks[l] !== undefined);
      targets.push({
        target,
        measured: parts.join("; "),
        met: measured.length === 3 ? measured.every((l) => peaks[l]! <= peaks[`${l} target`]!) : undefined,
        reason: measured.length === 3 ? undefined : "kiln's figure missing",
      });
      const a = peaks["1,000 files"], b = peaks["1 GiB"];
      targets.push({
        target: "peak memory independent of the content's size: 1 GiB within 16 MiB of 1,000 small files",
        measured: a !== undefined && b !== undefined ? `${mib(b)} against ${mib(a)}` : undefined,
        met: a !== undefined && b !== undefined ? b - a <= 16 * MiB : undefined,
        reason: a !== undefined && b !== undefined ? undefined : "kiln's figure missing",
      });
    }
    return { rows, targets };
  },
};
