/**
 * Install and remove speed of one large package: `kiln install FILE` and
 * `kiln remove NAME` (as subprocesses, start-up included) against the floor,
 * `zstd -dc FILE | tar -x` and `rm -rf`, on the same archive in the same run.
 * Each run starts from a fresh empty root; kiln and tar alternate so that a
 * slow moment of the disk hits both.
 *
 * Run it: `deno run -A bench/install.ts [FILES] [RUNS]` (`BENCH_DIR` chooses
 * the file system, e.g. `/dev/shm`; `KISS_FSYNC=0` measures without syncs).
 *
 * @module
 */

import { writePackageDatabase } from "../lib/db/etcsums.ts";

/** Timings of one benchmark, in milliseconds per run. */
export interface InstallBench {
  readonly files: number;
  readonly archiveBytes: number;
  readonly kilnInstall: number[];
  readonly tarExtract: number[];
  readonly kilnRemove: number[];
  readonly rmTree: number[];
  /** Median kiln install over median tar extraction. */
  readonly ratio: number;
}

/** Options of {@linkcode benchInstall}. */
export interface InstallBenchOptions {
  /** Files in the package (default 20,000). */
  files?: number;
  /** Timed runs (default 5). */
  runs?: number;
  /** Where to work (default a temporary directory). */
  dir?: string;
  /** Environment for kiln (e.g. `{ KISS_FSYNC: "0" }`). */
  env?: Record<string, string>;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The median of some numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function sh(script: string, args: string[], env?: Record<string, string>): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", ...args], env, stdin: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`${script}: ${new TextDecoder().decode(out.stderr)}`);
  return performance.now() - start;
}

/** Make a package of `files` files (100 per directory, 1–4 KiB of text each) as kiss would pack it. */
export async function makeBigPackage(dir: string, files: number): Promise<string> {
  const pkgdir = `${dir}/pkg`;
  let seed = 1;
  const word = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8).toString(36);
  };
  for (let i = 0; i < files; i++) {
    const d = `${pkgdir}/usr/share/big/d${Math.floor(i / 100)}`;
    if (i % 100 === 0) Deno.mkdirSync(d, { recursive: true });
    const words: string[] = [];
    const size = 1024 + (i * 37) % 3072;
    let length = 0;
    while (length < size) {
      const w = word();
      words.push(w);
      length += w.length + 1;
    }
    Deno.writeTextFileSync(`${d}/f${i}.txt`, words.join(" "));
  }
  Deno.mkdirSync(`${pkgdir}/var/db/kiss/installed/big`, { recursive: true });
  Deno.writeTextFileSync(`${pkgdir}/var/db/kiss/installed/big/version`, "1 1\n");
  writePackageDatabase(pkgdir, "big");
  const archive = `${dir}/big@1-1.tar.zst`;
  await sh('cd "$1" && tar cf - . | zstd -q -T0 > "$2"', [pkgdir, archive]);
  await Deno.remove(pkgdir, { recursive: true });
  return archive;
}

/** Run the benchmark (see the module documentation). */
export async function benchInstall(options: InstallBenchOptions = {}): Promise<InstallBench> {
  const files = options.files ?? 20000;
  const runs = options.runs ?? 5;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "kiln-bench-install-" });
  try {
    const archive = await makeBigPackage(dir, files);
    const env = { ...Deno.env.toObject(), NO_COLOR: "1", ...options.env };
    const kilnInstall: number[] = [], tarExtract: number[] = [], kilnRemove: number[] = [], rmTree: number[] = [];
    for (let run = -1; run < runs; run++) {
      const kilnRoot = `${dir}/kiln-${run + 1}`, tarRoot = `${dir}/tar-${run + 1}`;
      Deno.mkdirSync(kilnRoot);
      Deno.mkdirSync(tarRoot);
      const kiln = () =>
        sh('"$1" run -A --quiet "$2" install "$3"', [Deno.execPath(), MAIN, archive], { ...env, KISS_ROOT: kilnRoot });
      const tar = () => sh('zstd -dc "$1" | tar -xf - -C "$2"', [archive, tarRoot]);
      let ki: number, ta: number;
      if (run % 2) {
        ki = await kiln();
        ta = await tar();
      } else {
        ta = await tar();
        ki = await kiln();
      }
      const kr = await sh('"$1" run -A --quiet "$2" remove big', [Deno.execPath(), MAIN], {
        ...env,
        KISS_ROOT: kilnRoot,
      });
      const rr = await sh('rm -rf "$1/usr" "$1/var"', [tarRoot]);
      if (run >= 0) {
        kilnInstall.push(ki);
        tarExtract.push(ta);
        kilnRemove.push(kr);
        rmTree.push(rr);
      }
      await Deno.remove(kilnRoot, { recursive: true });
      await Deno.remove(tarRoot, { recursive: true });
    }
    return {
      files,
      archiveBytes: Deno.statSync(archive).size,
      kilnInstall,
      tarExtract,
      kilnRemove,
      rmTree,
      ratio: median(kilnInstall) / median(tarExtract),
    };
  } finally {
    if (!options.dir) await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const [files, runs] = Deno.args.map(Number);
  const base = Deno.env.get("BENCH_DIR");
  const dir = base ? await Deno.makeTempDir({ dir: base, prefix: "kiln-bench-install-" }) : undefined;
  try {
    const r = await benchInstall({ files: files || undefined, runs: runs || undefined, dir });
    const f = (xs: number[]) => `${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(", ")})`;
    console.log(`package: ${r.files} files, ${(r.archiveBytes / 1e6).toFixed(1)} MB zstd`);
    console.log(`kiln install        ${f(r.kilnInstall)}`);
    console.log(`zstd -dc | tar -x   ${f(r.tarExtract)}`);
    console.log(`ratio               ${r.ratio.toFixed(2)}x`);
    console.log(`kiln remove         ${f(r.kilnRemove)}`);
    console.log(`rm -rf              ${f(r.rmTree)}`);
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}
