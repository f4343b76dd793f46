/**
 * A small real HTTP server on 127.0.0.1 for tests, with programmable routes:
 * plain files, redirects, fixed status codes, failures before success,
 * bodies cut short, Range requests, and bodies drip-fed piece by piece
 * (each piece when the test says, or once enough bodies are in flight).
 *
 * @module
 */

/** How one path answers. */
export interface Route {
  /** The file's bytes (answered with 200, or 206 for a Range request). */
  body?: Uint8Array;
  /** Answer with this status and no body (e.g. 404). */
  status?: number;
  /** Answer 302 with this Location (a path on this server or a full URL). */
  redirect?: string;
  /** Answer 500 this many times before answering normally. */
  failFirst?: number;
  /** Announce the full length but send only this many bytes, then close the connection. */
  truncateAt?: number;
  /** Cut short only this many times, then answer normally (default: always). */
  truncateTimes?: number;
  /** Honour `Range: bytes=N-` with 206 (default true). */
  ranges?: boolean;
  /** Send the body in pieces of this many bytes... */
  dripBytes?: number;
  /** ...sending each after the first only once this resolves (given the bytes sent so far). */
  beforePiece?: (sent: number) => Promise<void>;
  /**
   * Send no byte of the body until this many bodies are being sent at once
   * (a request that shows whether downloads overlap; after two minutes
   * without, the body goes all the same, so that the test fails, not hangs).
   */
  holdUntilInFlight?: number;
}

/** A request the server saw. */
export interface SeenRequest {
  path: string;
  method: string;
  range: string | null;
  acceptEncoding: string | null;
}

/** A running test server. */
export interface TestServer {
  /** The full URL of `path` on this server. */
  url(path: string): string;
  /** Every request, in order. */
  readonly requests: SeenRequest[];
  /** The most bodies that were being sent at the same time. */
  readonly maxInFlight: number;
  /** How many requests asked for `path`. */
  hits(path: string): number;
  /** Replace or add a route while running. */
  route(path: string, route: Route): void;
  /** Stop the server (await it before the test ends). */
  close(): Promise<void>;
}

function dripStream(
  bytes: Uint8Array,
  piece: number,
  hold: () => Promise<void>,
  beforePiece: ((sent: number) => Promise<void>) | undefined,
  cutAt: number | undefined,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  let pos = 0;
  const end = cutAt ?? bytes.length;
  return new ReadableStream({
    async pull(controller) {
      if (pos === 0) await hold();
      if (pos >= end) {
        onEnd();
        controller.close();
        return;
      }
      if (pos > 0 && beforePiece) await beforePiece(pos);
      const next = Math.min(end, pos + piece);
      controller.enqueue(bytes.slice(pos, next));
      pos = next;
    },
    cancel() {
      onEnd();
    },
  });
}

/** A certificate and its key, PEM-encoded. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for 127.0.0.1, made with `openssl` in `dir`: one
 * that no client trusts. Fails with an install hint when openssl is missing.
 */
export async function selfSignedCert(dir: string): Promise<TlsFiles> {
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"];
  args.push("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" }).output();
  } catch {
    throw new Error("openssl is needed to make a test certificate: install Debian's openssl");
  }
  if (!out.success) throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  return { cert: await Deno.readTextFile(`${dir}/cert.pem`), key: await Deno.readTextFile(`${dir}/key.pem`) };
}

/**
 * Start a server on 127.0.0.1 with `routes` (path → route); unknown paths
 * answer 404. With `tls`, it speaks HTTPS.
 */
export function startServer(routes: Record<string, Route>, tls?: TlsFiles): TestServer {
  const table = new Map(Object.entries(routes));
  const served = new Map<string, number>();
  const truncated = new Map<string, number>();
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  /** Bodies waiting until `n` are in flight. */
  const held: { n: number; go: () => void }[] = [];
  const release = () => {
    for (const h of held.filter((h) => h.n <= inFlight)) {
      held.splice(held.indexOf(h), 1);
      h.go();
    }
  };
  const holdUntil = (n: number | undefined) => (): Promise<void> => {
    if (n === undefined || n <= maxInFlight) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => go(), 120_000);
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      held.push({ n, go });
      release();
    });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...tls }, (req) => {
    const path = new URL(req.url).pathname;
    const range = req.headers.get("range");
    requests.push({ path, method: req.method, range, acceptEncoding: req.headers.get("accept-encoding") });
    const route = table.get(path);
    if (!route) return new Response(null, { status: 404, statusText: "Not Found" });
    const count = (served.get(path) ?? 0) + 1;
    served.set(path, count);
    if (route.status !== undefined) return new Response(null, { status: route.status });
    if (route.redirect !== undefined) {
      const location = route.redirect.includes("://") ? route.redirect : new URL(route.redirect, req.url).href;
      return new Response(null, { status: 302, headers: { location } });
    }
    if (route.failFirst !== undefined && count <= route.failFirst) {
      return new Response("try later", { status: 500, statusText: "Internal Server Error" });
    }
    const body = route.body ?? new Uint8Array();
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    const wanted = range === null ? null : /^bytes=(\d+)-$/.exec(range);
    if (wanted && route.ranges !== false) {
      start = Number(wanted[1]);
      if (start >= body.length) {
        return new Response(null, { status: 416, headers: { "content-range": `bytes */${body.length}` } });
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    if (route.ranges !== false) headers["accept-ranges"] = "bytes";
    const rest = body.subarray(start);
    headers["content-length"] = String(rest.length);
    if (req.method === "HEAD") return new Response(null, { status, headers });
    let cutAt: number | undefined;
    if (route.truncateAt !== undefined) {
      const times = truncated.get(path) ?? 0;
      if (route.truncateTimes === undefined || times < route.truncateTimes) {
        truncated.set(path, times + 1);
        cutAt = Math.max(0, Math.min(rest.length, route.truncateAt - start));
      }
    }
    const piece = route.dripBytes ?? 64 * 1024;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    release();
    let ended = false;
    const onEnd = () => {
      if (!ended) inFlight--;
      ended = true;
    };
    const stream = dripStream(rest, piece, holdUntil(route.holdUntilInFlight), route.beforePiece, cutAt, onEnd);
    return new Response(stream, { status, headers });
  });

  const base = `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  return {
    url: (path) => base + path,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    hits: (path) => requests.filter((r) => r.path === path).length,
    route: (path, route) => void table.set(path, route),
    close: () => server.shutdown(),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port that was just free). */
export function refusedUrl(path: string): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}${path}`;
}

/** `size` bytes of deterministic, incompressible-looking test data. */
export function testBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
