/**
 * Download throughput over loopback: kiln's `fetchToFile` against `curl`,
 * both fetching the same file from the same HTTP server on 127.0.0.1. The
 * server is a separate Deno process (this script with `--serve`), so that
 * it takes no time from the client being measured.
 *
 * Run alone: `deno run -A bench/download.ts [MiB]` (default 200).
 *
 * @module
 */

import { fetchToFile } from "../lib/sources/fetch.ts";
import { Log, silent } from "../lib/log.ts";
import { medianSeconds } from "./_timing.ts";

/** One measured client. */
export interface DownloadFigure {
  label: string;
  /** Median throughput in MB/s (10^6 bytes per second). */
  mbPerSecond: number;
  /** Median seconds for the file. */
  seconds: number;
}

/** Options of {@linkcode benchDownload}. */
export interface DownloadBenchOptions {
  /** Size of the file in MiB (default 200). */
  sizeMiB?: number;
  /** Timed runs per client, after one warm-up (default 3). */
  runs?: number;
}

const MiB = 1 << 20;

/** Serve files of `dir` on 127.0.0.1, printing the port on standard output. */
function serve(dir: string): void {
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(port),
  }, async (req) => {
    const name = new URL(req.url).pathname.slice(1);
    try {
      const file = await Deno.open(`${dir}/${name}`, { read: true });
      const { size } = await file.stat();
      return new Response(file.readable, { headers: { "content-length": String(size) } });
    } catch {
      return new Response(null, { status: 404 });
    }
  });
}

/** Measure kiln and curl downloading a `sizeMiB` MiB file over loopback. */
export async function benchDownload(options: DownloadBenchOptions = {}): Promise<DownloadFigure[]> {
  const bytes = (options.sizeMiB ?? 200) * MiB;
  const runs = options.runs ?? 3;
  const dir = await Deno.makeTempDir({ prefix: "kiln-bench-download-" });
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", `${dir}/www`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    await Deno.mkdir(`${dir}/www`);
    const data = new Uint8Array(4 * MiB);
    for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
    {
      using file = await Deno.open(`${dir}/www/file.tar`, { write: true, create: true });
      for (let done = 0; done < bytes; done += data.length) {
        for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
      }
    }
    const reader = server.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    const url = `http://127.0.0.1:${new TextDecoder().decode(value).trim()}/file.tar`;
    const log = new Log(silent);

    const kiln = await medianSeconds(runs, async () => {
      await Deno.remove(`${dir}/kiln.tar`).catch(() => {});
      await fetchToFile(url, `${dir}/kiln.tar`, {
        log,
        progressId: "bench",
        label: "file.tar",
        owner: "bench",
        origin: "bench",
      });
      if ((await Deno.stat(`${dir}/kiln.tar`)).size !== bytes) throw new Error("kiln fetched the wrong size");
    });
    const curl = await medianSeconds(runs, async () => {
      const out = await new Deno.Command("curl", { args: ["-sSf", "-o", `${dir}/curl.tar`, url] }).output();
      if (!out.success) throw new Error(`curl failed: ${new TextDecoder().decode(out.stderr)}`);
    });
    return [
      { label: "kiln fetchToFile", seconds: kiln, mbPerSecond: bytes / kiln / 1e6 },
      { label: "curl -o", seconds: curl, mbPerSecond: bytes / curl / 1e6 },
    ];
  } finally {
    server.kill();
    await server.status;
    await server.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve") serve(Deno.args[1]);
  else {
    const sizeMiB = Number(Deno.args[0] ?? 200);
    console.log(`downloading a ${sizeMiB} MiB file over loopback (median of 3 runs after a warm-up)`);
    const figures = await benchDownload({ sizeMiB });
    for (const f of figures) {
      console.log(`${f.label.padEnd(20)} ${f.mbPerSecond.toFixed(0).padStart(6)} MB/s  ${f.seconds.toFixed(3)} s`);
    }
    console.log(`kiln / curl time: ${(figures[0].seconds / figures[1].seconds).toFixed(2)}×`);
  }
}
