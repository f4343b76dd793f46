/**
 * Hashing throughput: kiln's `hashFile` in both dialects against the
 * in-process reference (`node:crypto` SHA-256 streamed in 1 MiB reads) and
 * the command-line tools (`sha256sum`, `b3sum`), on one file in the page
 * cache. Every digest is checked against the tools' before it counts.
 *
 * Run alone: `deno run -A bench/hash.ts [MiB]` (default 512).
 *
 * @module
 */

import { hashFile } from "../lib/hash/hasher.ts";
import { medianSeconds } from "./_timing.ts";

/** One measured hasher. */
export interface HashFigure {
  label: string;
  /** Median throughput in MB/s (10^6 bytes per second). */
  mbPerSecond: number;
  /** Median seconds for the file. */
  seconds: number;
}

/** Options of {@linkcode benchHash}. */
export interface HashBenchOptions {
  /** Size of the test file in MiB (default 512). */
  sizeMiB?: number;
  /** Timed runs per hasher, after one warm-up (default 3). */
  runs?: number;
}

const MiB = 1 << 20;

async function writeFile(path: string, bytes: number): Promise<void> {
  const chunk = new Uint8Array(4 * MiB);
  for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += chunk.length) {
    chunk[0] = (done / chunk.length) & 0xff;
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    for (let off = 0; off < piece.length;) off += await file.write(piece.subarray(off));
  }
}

async function nodeSha256(path: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(MiB);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) hash.update(buffer.subarray(0, n));
  return hash.digest("hex");
}

async function tool(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${program} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim().split(/\s+/)[0];
}

/** Check `fn`'s digest against the reference, then time it (median seconds of `runs`). */
async function time(runs: number, fn: () => Promise<string>, expected: string): Promise<number> {
  const got = await fn();
  if (got !== expected) throw new Error(`digest ${got} differs from the reference ${expected}`);
  return medianSeconds(runs, fn);
}

/** Measure every hasher on a fresh file of `sizeMiB` MiB; the file is removed afterwards. */
export async function benchHash(options: HashBenchOptions = {}): Promise<HashFigure[]> {
  const bytes = (options.sizeMiB ?? 512) * MiB;
  const runs = options.runs ?? 3;
  const dir = await Deno.makeTempDir({ prefix: "kiln-bench-hash-" });
  try {
    const path = `${dir}/data`;
    await writeFile(path, bytes);
    const sha = await tool("sha256sum", [path]);
    const b3 = await tool("b3sum", ["-l", "33", path]);
    const cases: [string, () => Promise<string>, string][] = [
      ["kiln hashFile classic (SHA-256)", () => hashFile(path, "classic"), sha],
      ["node:crypto SHA-256, 1 MiB reads", () => nodeSha256(path), sha],
      ["sha256sum", () => tool("sha256sum", [path]), sha],
      ["kiln hashFile community (BLAKE3-264)", () => hashFile(path, "community"), b3],
      ["b3sum -l 33 --num-threads 1", () => tool("b3sum", ["-l", "33", "--num-threads", "1", path]), b3],
    ];
    const out: HashFigure[] = [];
    for (const [label, fn, expected] of cases) {
      const seconds = await time(runs, fn, expected);
      out.push({ label, seconds, mbPerSecond: bytes / seconds / 1e6 });
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const sizeMiB = Number(Deno.args[0] ?? 512);
  console.log(`hashing a ${sizeMiB} MiB file (median of 3 runs after a warm-up)`);
  for (const f of await benchHash({ sizeMiB })) {
    console.log(`${f.label.padEnd(40)} ${f.mbPerSecond.toFixed(0).padStart(6)} MB/s  ${f.seconds.toFixed(3)} s`);
  }
}
