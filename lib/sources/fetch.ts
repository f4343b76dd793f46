/**
 * Downloads of remote files (SPEC §2, §10): `http://` and `https://` with
 * `fetch` (TLS verified, redirects followed), `file://` by copying.
 *
 * A download is written to `NAME.part` and renamed to `NAME` only once it is
 * complete and has passed the caller's check, so the final name never holds
 * a partial file. A `.part` left by an interrupted run is resumed with a
 * Range request when the server answers 206 (a 200 starts over). Connection
 * errors, bodies cut short and 5xx answers are retried with back-off, a
 * bounded number of times; a 4xx answer is final.
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";
import type { Log } from "../log.ts";
import { KILN_VERSION } from "../version.ts";
import { PART_SUFFIX } from "./cache.ts";

/** How to fetch one file. */
export interface FetchOptions {
  /** Where progress and log lines go. */
  log: Log;
  /** Progress id, one bar per id (e.g. `download:zlib/zlib-1.3.1.tar.gz`). */
  progressId: string;
  /** What the progress bar shows (the file name). */
  label: string;
  /** Who wants the file, for messages: `zlib`. */
  owner: string;
  /** Where the URL came from, for hints: `line 1 of /repo/zlib/sources`. */
  origin: string;
  /** Attempts in all before giving up (default 3). */
  tries?: number;
  /** First back-off delay in milliseconds, doubled on each retry (default 500). */
  retryDelayMs?: number;
  /** Minimum milliseconds between two progress events (default 100). */
  progressIntervalMs?: number;
  /** Called with the complete `.part` file before it is renamed; throw to refuse it. */
  accept?: (partPath: string) => Promise<void>;
}

/** A failure worth another try: connection errors, 5xx, a body cut short. */
class Transient extends Error {}

/** Buffer writes to the file in pieces of this size (fewer, larger writes). */
const WRITE_SIZE = 1 << 20;

/**
 * Fetch `url` (http, https or file) into the file `dest`, through
 * `dest.part`. Resolves once `dest` is in place; throws a
 * {@linkcode KilnError} naming the URL and the owner otherwise.
 */
export async function fetchToFile(url: string, dest: string, options: FetchOptions): Promise<void> {
  const part = dest + PART_SUFFIX;
  await makeParent(dest, options);
  if (url.startsWith("file://")) await copyFileUrl(url, part, options);
  else await download(url, part, options);
  if (options.accept) await options.accept(part);
  await Deno.rename(part, dest);
}

async function makeParent(dest: string, options: FetchOptions): Promise<void> {
  const dir = dest.slice(0, dest.lastIndexOf("/"));
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new KilnError(`${options.owner}: cannot create the cache directory ${dir}: ${(err as Error).message}`, {
      hint: "set KISS_CACHE to a writable directory",
      cause: err,
    });
  }
}

async function copyFileUrl(url: string, part: string, options: FetchOptions): Promise<void> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch (err) {
    throw new KilnError(`${options.owner}: '${url}' is not a valid file URL`, {
      hint: `fix the URL on ${options.origin}`,
      cause: err,
    });
  }
  try {
    await Deno.copyFile(path, part);
  } catch (err) {
    await Deno.remove(part).catch(() => {});
    const what = isNotFound(err) ? "no such file" : (err as Error).message;
    throw new KilnError(`${options.owner}: cannot fetch ${url}: ${what}`, {
      hint: `check the URL on ${options.origin}`,
      cause: err,
    });
  }
}

async function download(url: string, part: string, options: FetchOptions): Promise<void> {
  const tries = options.tries ?? 3;
  let delay = options.retryDelayMs ?? 500;
  for (let attempt = 1;; attempt++) {
    try {
      await attemptDownload(url, part, options);
      return;
    } catch (err) {
      if (!(err instanceof Transient)) throw err;
      if (attempt >= tries) throw finalError(url, part, err, attempt, options);
      options.log.debug(`${err.message}; trying ${url} again in ${delay} ms (${attempt + 1}/${tries})`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}

function finalError(url: string, part: string, err: Transient, attempts: number, options: FetchOptions): KilnError {
  const kept = sizeOf(part) > 0;
  return new KilnError(`${options.owner}: cannot fetch ${url}: ${err.message} (${attempts} attempts)`, {
    hint: kept
      ? `the partial download is kept as ${part}; run the command again to resume it`
      : `check the network and the URL on ${options.origin}, or work --offline from a cache that holds the file`,
    cause: err.cause,
  });
}

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Describe a failed `fetch()` (DNS, refused, TLS) by its innermost message. */
function describe(err: unknown): string {
  let e = err as Error | undefined;
  let message = e?.message ?? String(err);
  for (let i = 0; e?.cause instanceof Error && i < 4; i++) {
    e = e.cause;
    message = e.message || message;
  }
  return message;
}

async function attemptDownload(url: string, part: string, options: FetchOptions): Promise<void> {
  let offset = sizeOf(part);
  const headers: Record<string, string> = {
    "accept-encoding": "identity",
    "user-agent": `kiln/${KILN_VERSION}`,
  };
  if (offset > 0) headers.range = `bytes=${offset}-`;

  let response: Response;
  try {
    response = await fetch(url, { headers, redirect: "follow" });
  } catch (err) {
    const message = describe(err);
    if (/certificate|tls|handshake/i.test(message)) {
      throw new KilnError(`${options.owner}: cannot fetch ${url}: the TLS connection failed: ${message}`, {
        hint: "the server's certificate could not be verified; check the system's CA certificates and the URL on " +
          options.origin,
        cause: err,
      });
    }
    if ((err as Error).message !== "fetch failed" && !/error sending request|connect/i.test(message)) {
      // Not the network: a bad URL, an unsupported scheme, a redirect loop.
      throw new KilnError(`${options.owner}: cannot fetch ${url}: ${message.replace(/^Fetch failed: /, "")}`, {
        hint: `fix the URL on ${options.origin}`,
        cause: err,
      });
    }
    throw new Transient(`cannot connect: ${message}`, { cause: err });
  }

  if (response.status === 416 && offset > 0) {
    // The partial file is no prefix of what the server has now: start over.
    await response.body?.cancel();
    await Deno.remove(part);
    options.log.debug(`${url}: the server cannot resume ${part}; starting over`);
    return attemptDownload(url, part, options);
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    await response.body?.cancel();
    throw new Transient(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new KilnError(
      `${options.owner}: cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim(),
      {
        hint: `check the URL on ${options.origin}`,
      },
    );
  }

  let total: number | undefined;
  const length = lengthOf(response);
  if (response.status === 206 && offset > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      await Deno.remove(part);
      throw new Transient(`the server answered a resume with the wrong range (${range?.[0] ?? "none"})`);
    }
    total = range[3] !== "*" ? Number(range[3]) : length === undefined ? undefined : offset + length;
  } else {
    offset = 0;
    total = length;
  }

  using file = await Deno.open(part, { write: true, create: true, append: offset > 0, truncate: offset === 0 });
  const done = await receive(response, file, offset, total, options);
  if (total !== undefined && done !== total) {
    throw new Transient(`the body was cut short at ${done} of ${total} bytes`);
  }
}

/** Content-Length of an unencoded body, if given. */
function lengthOf(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding !== "identity") return undefined;
  const value = response.headers.get("content-length");
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Stream the body into `file`, reporting progress; resolves to the byte count of the whole file. */
async function receive(
  response: Response,
  file: Deno.FsFile,
  offset: number,
  total: number | undefined,
  options: FetchOptions,
): Promise<number> {
  const interval = options.progressIntervalMs ?? 100;
  const buffer = new Uint8Array(WRITE_SIZE);
  let buffered = 0;
  let done = offset;
  let last = performance.now();
  const report = () =>
    options.log.progress({ id: options.progressId, phase: "download", label: options.label, done, total });
  report();
  const write = async (bytes: Uint8Array) => {
    try {
      await writeAll(file, bytes);
    } catch (err) {
      throw new KilnError(
        `${options.owner}: cannot write the download of ${options.label}: ${(err as Error).message}`,
        {
          hint: "free some disk space, or set KISS_CACHE to a writable directory with room",
          cause: err,
        },
      );
    }
  };
  try {
    if (!response.body) return done;
    for await (const chunk of response.body) {
      if (buffered + chunk.length > buffer.length) {
        await write(buffer.subarray(0, buffered));
        buffered = 0;
      }
      if (chunk.length >= buffer.length) await write(chunk);
      else {
        buffer.set(chunk, buffered);
        buffered += chunk.length;
      }
      done += chunk.length;
      const now = performance.now();
      if (now - last >= interval) {
        last = now;
        report();
      }
    }
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new Transient(`the connection broke after ${done} bytes: ${describe(err)}`, { cause: err });
  } finally {
    if (buffered > 0) await write(buffer.subarray(0, buffered));
    report();
  }
  return done;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
