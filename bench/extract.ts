/**
 * Archive speed: extraction of a source archive of many small files by
 * kiln's `extractSource` against `zstd -dc | tar -x` (GNU tar), and the
 * decompression throughput of every format, in-process (whole buffer and
 * stream) against the format's own tool.
 *
 * Runs alternate between kiln and the peer so that both see the same
 * machine; the figures are medians. Each extraction is checked against
 * GNU tar's (`diff -r`) before it counts, and each decompression against
 * the original bytes.
 *
 * Run alone: `deno run -A bench/extract.ts [files] [MiB] [workdir]` (defaults 20000, 64, the
 * temporary directory).
 *
 * @module
 */

import type { Compression } from "../lib/config.ts";
import { decompress, decompressStream } from "../lib/archive/compress.ts";
import { extractSource } from "../lib/archive/extract.ts";

/** Options of {@linkcode benchExtract}. */
export interface ExtractBenchOptions {
  /** Files in the archive (default 20000), in directories of 200. */
  files?: number;
  /** Timed runs of each contender (default 3). */
  runs?: number;
  /** Where to work (default: the system's temporary directory); e.g. a tmpfs to leave the disk out. */
  workDir?: string;
}

/** Result of {@linkcode benchExtract}. */
export interface ExtractFigures {
  files: number;
  /** Size of the `.tar.zst` archive. */
  archiveBytes: number;
  /** Median milliseconds of kiln's `extractSource`. */
  kilnMs: number;
  /** Median milliseconds of `zstd -dc | tar -x --strip-components=1`. */
  tarMs: number;
  /** kilnMs / tarMs. */
  ratio: number;
}

/** Options of {@linkcode benchDecompress}. */
export interface DecompressBenchOptions {
  /** Size of the uncompressed data in MiB (default 64). */
  sizeMiB?: number;
  /** Timed runs of each decoder (default 3). */
  runs?: number;
}

/** Decompression throughput of one format, in MB/s of output (10^6 bytes per second). */
export interface DecompressFigure {
  format: Compression;
  compressedBytes: number;
  /** `decompress` (whole buffer). */
  wholeMBps: number;
  /** `decompressStream` over 1 MiB chunks. */
  streamMBps: number;
  /** The format's tool, `-dc` to a pipe. */
  toolMBps: number;
}

const TOOLS: Record<Compression, { c: string[]; d: string[] }> = {
  gz: { c: ["gzip", "-6"], d: ["gzip", "-dc"] },
  zst: { c: ["zstd", "-q", "-3"], d: ["zstd", "-q", "-dc"] },
  xz: { c: ["xz", "-6", "-T1"], d: ["xz", "-dc"] },
  bz2: { c: ["bzip2", "-9"], d: ["bzip2", "-dc"] },
  lz: { c: ["lzip", "-6"], d: ["lzip", "-dc"] },
  lzma: { c: ["xz", "--format=lzma", "-6"], d: ["xz", "--format=lzma", "-dc"] },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function sh(script: string, cwd?: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", script], cwd, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${script}: ${new TextDecoder().decode(out.stderr)}`);
}

async function pipeThrough(argv: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(argv[0], { args: argv.slice(1), stdin: "piped", stdout: "piped" }).spawn();
  const feeding = (async () => {
    const writer = child.stdin.getWriter();
    await writer.write(input);
    await writer.close();
  })();
  const [out] = await Promise.all([new Response(child.stdout).bytes(), feeding]);
  if (!(await child.status).success) throw new Error(`${argv.join(" ")} failed`);
  return out;
}

/** Writes `files` small files (0–4 KiB, some text, some binary) under `root/pkg-1.0/`. */
async function makeTree(root: string, files: number): Promise<void> {
  const text = new TextEncoder().encode("int main(void) { return 0; } /* kiln bench */\n".repeat(100));
  let seed = 7;
  for (let i = 0; i < files; i++) {
    const dir = `${root}/pkg-1.0/d${Math.floor(i / 200)}`;
    if (i % 200 === 0) await Deno.mkdir(dir, { recursive: true });
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const size = seed % 4096;
    const body = i % 2 ? text.subarray(0, size) : crypto.getRandomValues(new Uint8Array(size));
    await Deno.writeFile(`${dir}/f${i}.c`, body, { mode: i % 10 ? 0o644 : 0o755 });
  }
}

/** Extraction of a `files`-file `.tar.zst` by kiln and by GNU tar. */
export async function benchExtract(options: ExtractBenchOptions = {}): Promise<ExtractFigures> {
  const files = options.files ?? 20000;
  const runs = options.runs ?? 3;
  const work = await Deno.makeTempDir({ prefix: "kiln-bench-extract-", dir: options.workDir });
  try {
    await makeTree(`${work}/tree`, files);
    const archive = `${work}/pkg-1.0.tar.zst`;
    await sh(`tar --format=gnu -cf - -C tree pkg-1.0 | zstd -q -3 > ${archive}`, work);
    const kiln: number[] = [];
    const tar: number[] = [];
    for (let run = 0; run < runs; run++) {
      await sh("rm -rf kiln tar && mkdir tar && sync", work);
      let start = performance.now();
      await extractSource(archive, `${work}/kiln`);
      kiln.push(performance.now() - start);
      await sh("sync", work);
      start = performance.now();
      await sh(`zstd -q -dc ${archive} | tar -x --strip-components=1 -C tar`, work);
      tar.push(performance.now() - start);
      if (run === 0) await sh("diff -r kiln tar", work);
    }
    const kilnMs = median(kiln);
    const tarMs = median(tar);
    return { files, archiveBytes: (await Deno.stat(archive)).size, kilnMs, tarMs, ratio: kilnMs / tarMs };
  } finally {
    await sh(`rm -rf ${work}`);
  }
}

/** A small, well-mixed pseudo-random generator (mulberry32): the same numbers on every run. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Data that compresses like a source tree (3–4× with xz): words from a vocabulary, with some binary noise. */
function sampleData(bytes: number): Uint8Array {
  const next = mulberry32(99);
  const encoder = new TextEncoder();
  const vocabulary: Uint8Array[] = [];
  for (let w = 0; w < 2048; w++) {
    let word = "";
    for (let n = 2 + (next() % 9); n > 0; n--) word += String.fromCharCode(97 + (next() % 26));
    vocabulary.push(encoder.encode(word + " ;,.(){}\n"[next() % 9]));
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes;) {
    if (next() % 64 === 0) {
      for (let n = 16 + (next() % 64); n > 0 && i < bytes; n--) out[i++] = next() & 0xff;
      continue;
    }
    const r = next() % 2048;
    const word = vocabulary[(r * r) >>> 11];
    for (let j = 0; j < word.length && i < bytes; j++) out[i++] = word[j];
  }
  return out;
}

/** Decompression throughput of each format, in-process and by its tool. */
export async function benchDecompress(options: DecompressBenchOptions = {}): Promise<DecompressFigure[]> {
  const size = (options.sizeMiB ?? 64) * 1024 * 1024;
  const runs = options.runs ?? 3;
  const data = sampleData(size);
  const figures: DecompressFigure[] = [];
  const mbps = (ms: number) => size / 1e6 / (ms / 1000);
  for (const format of Object.keys(TOOLS) as Compression[]) {
    const packed = await pipeThrough(TOOLS[format].c, data);
    const whole: number[] = [];
    const stream: number[] = [];
    const tool: number[] = [];
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      const out = await decompress(packed, format);
      whole.push(performance.now() - start);
      if (run === 0 && (out.length !== data.length || out.some((b, i) => b !== data[i]))) {
        throw new Error(`${format}: wrong output`);
      }
      start = performance.now();
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < packed.length; i += 1 << 20) chunks.push(packed.subarray(i, i + (1 << 20)));
      let length = 0;
      for await (const chunk of decompressStream(ReadableStream.from(chunks), format)) length += chunk.length;
      stream.push(performance.now() - start);
      if (length !== data.length) throw new Error(`${format}: stream gave ${length} bytes`);
      start = performance.now();
      await pipeThrough(TOOLS[format].d, packed);
      tool.push(performance.now() - start);
    }
    figures.push({
      format,
      compressedBytes: packed.length,
      wholeMBps: mbps(median(whole)),
      streamMBps: mbps(median(stream)),
      toolMBps: mbps(median(tool)),
    });
  }
  return figures;
}

if (import.meta.main) {
  const files = Number(Deno.args[0] ?? 20000);
  const sizeMiB = Number(Deno.args[1] ?? 64);
  const x = await benchExtract({ files, workDir: Deno.args[2] });
  console.log(
    `extract ${x.files} files (${(x.archiveBytes / 1e6).toFixed(1)} MB .tar.zst): kiln ${x.kilnMs.toFixed(0)} ms, ` +
      `zstd|tar ${x.tarMs.toFixed(0)} ms, ratio ${x.ratio.toFixed(2)}`,
  );
  console.log(`decompress ${sizeMiB} MiB, MB/s of output: whole / stream / tool`);
  for (const f of await benchDecompress({ sizeMiB })) {
    console.log(
      `  ${f.format.padEnd(5)} ${f.wholeMBps.toFixed(0).padStart(5)} / ${f.streamMBps.toFixed(0).padStart(5)} / ${
        f.toolMBps.toFixed(0).padStart(5)
      }   (${(f.compressedBytes / 1e6).toFixed(1)} MB compressed)`,
    );
  }
}
