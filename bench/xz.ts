/**
 * xz decoding speed: kiln's own decoder (`lib/archive/xz_decode.ts`,
 * whole-buffer through `decompress`) against `xz -dc`, over the options
 * that change its work — each check (CRC-64 is xz's default, SHA-256 what
 * xz-utils' own releases use), a branch filter, delta, and a small
 * dictionary (the window slides). Runs alternate between kiln and the tool;
 * figures are medians, in MB/s of output. Each of kiln's outputs is checked
 * against the data first.
 *
 * Run alone: `deno run -A bench/xz.ts [MiB]` (default 32).
 *
 * @module
 */

import { decompress } from "../lib/archive/compress.ts";

/** One line of the result. */
export interface XzFigure {
  /** The xz options the data was compressed with. */
  options: string;
  /** Median MB/s of output, kiln's decoder. */
  kilnMBps: number;
  /** Median MB/s of output, `xz -dc`. */
  toolMBps: number;
}

const CASES = [
  ["-C", "crc64"],
  ["-C", "sha256"],
  ["-C", "none"],
  ["-C", "sha256", "--x86", "--lzma2"],
  ["--delta=dist=4", "--lzma2"],
  ["--lzma2=dict=64KiB"],
];

/** Text runs, repeats and noise: about what a source tarball holds. */
function sampleData(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
  const words = new TextEncoder().encode("static int main(void) { return kiln_build(pkg, version); }\n");
  for (let i = 0; i < size;) {
    const kind = next() % 4;
    const n = 1 + (next() % 400);
    for (let j = 0; j < n && i < size; j++, i++) {
      if (kind < 2) out[i] = words[(i + j) % words.length];
      else if (kind === 2 && i > 100_000) out[i] = out[i - 1 - (next() % 100_000)];
      else out[i] = next() & 0xff;
    }
  }
  return out;
}

async function pipe(argv: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped" }).spawn();
  const writing = (async () => {
    const w = child.stdin.getWriter();
    await w.write(input);
    await w.close();
  })();
  const [out] = await Promise.all([new Response(child.stdout).bytes(), writing]);
  if (!(await child.status).success) throw new Error(`${argv.join(" ")} failed`);
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Measures every case with `runs` alternating runs over `sizeMiB` MiB of data. */
export async function benchXz(sizeMiB = 32, runs = 3): Promise<XzFigure[]> {
  const data = sampleData(sizeMiB * 1024 * 1024);
  const mbps = (ms: number) => data.length / 1e6 / (ms / 1000);
  const figures: XzFigure[] = [];
  for (const options of CASES) {
    const packed = await pipe(["xz", "-c", "-T1", ...options], data);
    const kiln: number[] = [], tool: number[] = [];
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      const out = await decompress(packed, "bench.tar.xz");
      kiln.push(performance.now() - start);
      if (run === 0 && (out.length !== data.length || out.some((b, i) => b !== data[i]))) {
        throw new Error(`xz ${options.join(" ")}: wrong output`);
      }
      start = performance.now();
      await pipe(["xz", "-dc"], packed);
      tool.push(performance.now() - start);
    }
    figures.push({ options: options.join(" "), kilnMBps: mbps(median(kiln)), toolMBps: mbps(median(tool)) });
  }
  return figures;
}

if (import.meta.main) {
  const sizeMiB = Number(Deno.args[0] ?? 32);
  console.log(`xz decode of ${sizeMiB} MiB, MB/s of output: kiln / xz -dc`);
  for (const f of await benchXz(sizeMiB)) {
    console.log(`  ${f.options.padEnd(34)} ${f.kilnMBps.toFixed(1).padStart(6)} / ${f.toolMBps.toFixed(1)}`);
  }
}
