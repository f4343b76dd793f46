/**
 * Scenario 4: SHA-256 and BLAKE3 throughput on a 1 GiB file.
 *
 * kiln's `hashFile` (in-process, both dialects) against `sha256sum` and
 * `b3sum --num-threads 1 -l 33` (processes), and against `node:crypto`
 * SHA-256 streaming with 1 MiB reads (in-process: the best implementation
 * available to a Deno program, and the SPEC §9 reference). Each tool's
 * digest is checked against the others' once before timing.
 *
 * @module
 */

import { compare, type Contender, type Row, Skip, type TargetResult, throughput } from "../harness.ts";
import { need } from "../peers.ts";
import { type BenchContext, expectSuccess, importKiln, run } from "./_common.ts";
import type { Scenario } from "./_common.ts";

type HashFile = (path: string, dialect: "classic" | "community") => Promise<string>;

const MiB = 1 << 20;

async function writeBigFile(path: string, bytes: number): Promise<void> {
  const chunk = new Uint8Array(4 * MiB);
  for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let done = 0; done < bytes; done += chunk.length) {
    // Vary each chunk a little so that no two are the same.
    chunk[0] = done / chunk.length;
    let off = 0;
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    while (off < piece.length) off += await file.write(piece.subarray(off));
  }
}

/** SHA-256 of a file with node:crypto, streamed in 1 MiB reads. */
async function nodeSha256(path: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(MiB);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

async function cliDigest(bin: string, args: string[], path: string): Promise<string> {
  const r = expectSuccess(await run(bin, [...args, path]), bin.split("/").pop()!);
  return r.stdout.split(/\s+/)[0];
}

/** Scenario 4. */
export const scenario: Scenario = {
  id: 4,
  title: "hashing",
  summary:
    "SHA-256 and BLAKE3 (33-byte output) of a 1 GiB file with kiln's `hashFile`, in-process, against `node:crypto` streaming, `sha256sum` and `b3sum --num-threads 1`.",
  async run(ctx: BenchContext) {
    const bytes = ctx.quick ? 64 * MiB : 1024 * MiB;
    const file = `${ctx.tmp}/big.bin`;
    ctx.say(`hashing: writing a ${bytes / MiB} MiB file`);
    await writeBigFile(file, bytes);
    const runs = ctx.quick ? 1 : 3;

    let hashFile: HashFile | undefined;
    let missing = "";
    try {
      const mod = await importKiln<{ hashFile?: HashFile }>("lib/hash/hasher.ts");
      if (!mod.hashFile) throw new Skip("lib/hash/hasher.ts does not export hashFile");
      hashFile = mod.hashFile;
    } catch (err) {
      if (!(err instanceof Skip)) throw err;
      missing = err.message;
    }

    // Each contender's digest must equal the reference: node:crypto for SHA-256, b3sum for BLAKE3.
    const checked = (label: string, fn: () => Promise<string>, want: string | undefined): Contender => ({
      label,
      bytes,
      async run() {
        const got = await fn();
        if (want !== undefined && got !== want) throw new Skip(`${label} gave ${got}, expected ${want}`);
      },
    });
    const missingHash = (): Promise<string> => Promise.reject(new Skip(missing));

    ctx.say("hashing: SHA-256");
    const shaReference = await nodeSha256(file);
    const [kilnSha, nodeSha, sha256sum] = await compare([
      checked("kiln hashFile (classic)", () => hashFile ? hashFile(file, "classic") : missingHash(), shaReference),
      checked("node:crypto streaming, 1 MiB reads", () => nodeSha256(file), shaReference),
      checked("sha256sum", () => cliDigest(need(ctx.peers.sha256sum), [], file), shaReference),
    ], { runs });

    ctx.say("hashing: BLAKE3");
    const b3 = () => cliDigest(need(ctx.peers.b3sum), ["--num-threads", "1", "-l", "33"], file);
    const b3Reference = ctx.peers.b3sum.path ? await b3() : undefined;
    const [kilnB3, b3sum] = await compare([
      checked("kiln hashFile (community)", () => hashFile ? hashFile(file, "community") : missingHash(), b3Reference),
      checked("b3sum --num-threads 1", b3, b3Reference),
    ], { runs });
    await Deno.remove(file);

    const size = `${bytes / MiB} MiB`;
    const rows: Row[] = [
      { scenario: "4. hashing", case: `SHA-256, ${size}`, kiln: kilnSha, peers: [nodeSha, sha256sum] },
      { scenario: "4. hashing", case: `BLAKE3 (33-byte output), ${size}`, kiln: kilnB3, peers: [b3sum] },
    ];
    const targets: TargetResult[] = [];
    const shaTarget = "SHA-256 at least as fast as node:crypto streaming (within 5% noise)";
    if (ctx.quick) targets.push({ target: shaTarget, reason: "quick run" });
    else if (kilnSha.stats && nodeSha.stats) {
      const k = throughput(bytes, kilnSha.stats.median), n = throughput(bytes, nodeSha.stats.median);
      targets.push({
        target: shaTarget,
        measured: `${Math.round(k)} MB/s vs ${Math.round(n)} MB/s`,
        met: kilnSha.stats.median <= nodeSha.stats.median * 1.05,
      });
    } else targets.push({ target: shaTarget, reason: kilnSha.skipped ?? nodeSha.skipped });
    const b3Target = "BLAKE3 at least 300 MB/s in-process";
    if (ctx.quick) targets.push({ target: b3Target, reason: "quick run" });
    else if (kilnB3.stats) {
      const k = throughput(bytes, kilnB3.stats.median);
      targets.push({ target: b3Target, measured: `${Math.round(k)} MB/s`, met: k >= 300 });
    } else targets.push({ target: b3Target, reason: kilnB3.skipped });
    return { rows, targets };
  },
};
