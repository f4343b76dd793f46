import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { type KilnEvent, Log } from "../../lib/log.ts";
import { type FetchOptions, fetchToFile } from "../../lib/sources/fetch.ts";
import { refusedUrl, selfSignedCert, startServer, testBytes } from "../_helpers/http.ts";
import { exists, withDir } from "../_helpers/fixtures.ts";
import { events } from "../_helpers/sources.ts";

function options(log: FetchOptions["log"], extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    log,
    progressId: "download:test/file",
    label: "file",
    owner: "pkg",
    origin: "line 1 of /repo/pkg/sources",
    retryDelayMs: 10,
    ...extra,
  };
}

Deno.test("fetchToFile downloads a file, asks for no content encoding, and leaves no .part", async () => {
  const body = testBytes(300_000);
  const server = startServer({ "/a.tar.gz": { body } });
  await withDir(async (dir) => {
    const { log } = events();
    await fetchToFile(server.url("/a.tar.gz"), `${dir}/sub/a.tar.gz`, options(log));
    assert.deepEqual(await Deno.readFile(`${dir}/sub/a.tar.gz`), body);
    assert.ok(!exists(`${dir}/sub/a.tar.gz.part`));
    assert.equal(server.requests[0].acceptEncoding, "identity");
  }).finally(() => server.close());
});

Deno.test("fetchToFile follows redirects", async () => {
  const body = testBytes(5000, 2);
  const server = startServer({ "/old": { redirect: "/mid" }, "/mid": { redirect: "/new" }, "/new": { body } });
  await withDir(async (dir) => {
    await fetchToFile(server.url("/old"), `${dir}/f`, options(events().log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.deepEqual(server.requests.map((r) => r.path), ["/old", "/mid", "/new"]);
  }).finally(() => server.close());
});

Deno.test("fetchToFile stops at 404 at once, naming the URL, the owner and the sources line", async () => {
  const server = startServer({});
  await withDir(async (dir) => {
    const url = server.url("/missing.tar.xz");
    const err = await fetchToFile(url, `${dir}/f`, options(events().log)).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^pkg: cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing\.tar\.xz: HTTP 404/);
    assert.match(err.hint!, /line 1 of \/repo\/pkg\/sources/);
    assert.equal(server.hits("/missing.tar.xz"), 1, "a 404 is not retried");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), []);
  }).finally(() => server.close());
});

Deno.test("fetchToFile retries a 500 and succeeds", async () => {
  const body = testBytes(10_000, 5);
  const server = startServer({ "/f": { body, failFirst: 2 } });
  await withDir(async (dir) => {
    const { log, reporter } = events();
    await fetchToFile(server.url("/f"), `${dir}/f`, options(log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.equal(server.hits("/f"), 3);
    assert.equal(reporter.lines("debug").filter((l) => l.includes("HTTP 500")).length, 2);
  }).finally(() => server.close());
});

Deno.test("fetchToFile gives up after the bounded number of tries on a server that keeps failing", async () => {
  const server = startServer({ "/f": { body: testBytes(10), failFirst: 100 } });
  await withDir(async (dir) => {
    const err = await fetchToFile(server.url("/f"), `${dir}/f`, options(events().log, { tries: 3 })).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /HTTP 500 Internal Server Error \(3 attempts\)/);
    assert.equal(server.hits("/f"), 3);
    assert.ok(!exists(`${dir}/f`) && !exists(`${dir}/f.part`));
  }).finally(() => server.close());
});

Deno.test("fetchToFile reports a refused connection after retrying, with nothing written", async () => {
  await withDir(async (dir) => {
    const url = refusedUrl("/f.tar.gz");
    const err = await fetchToFile(url, `${dir}/f.tar.gz`, options(events().log, { tries: 2 })).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(
      err.message,
      /^pkg: cannot fetch http:\/\/127\.0\.0\.1:\d+\/f\.tar\.gz: cannot connect: .*\(2 attempts\)/,
    );
    assert.match(err.hint!, /check the network/);
    assert.ok(!exists(`${dir}/f.tar.gz`) && !exists(`${dir}/f.tar.gz.part`));
  });
});

Deno.test("a body cut short is an error; the final name is never written and the .part is kept", async () => {
  const body = testBytes(200_000, 9);
  const server = startServer({ "/f": { body, truncateAt: 50_000, ranges: false } });
  await withDir(async (dir) => {
    const err = await fetchToFile(server.url("/f"), `${dir}/f`, options(events().log, { tries: 2 })).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /(cut short|connection broke) .*\(2 attempts\)/);
    assert.match(err.hint!, /resume/);
    assert.ok(!exists(`${dir}/f`));
    assert.equal((await Deno.stat(`${dir}/f.part`)).size, 50_000);
  }).finally(() => server.close());
});

Deno.test("a body cut short is resumed with a Range request on the next try", async () => {
  const body = testBytes(200_000, 10);
  const server = startServer({ "/f": { body, truncateAt: 70_000, truncateTimes: 1 } });
  await withDir(async (dir) => {
    await fetchToFile(server.url("/f"), `${dir}/f`, options(events().log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.deepEqual(server.requests.map((r) => r.range), [null, "bytes=70000-"]);
  }).finally(() => server.close());
});

Deno.test("a .part from an earlier run is resumed with Range (206) and only the rest is sent", async () => {
  const body = testBytes(120_000, 12);
  const server = startServer({ "/f": { body } });
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/f.part`, body.subarray(0, 40_000));
    const { log, reporter } = events();
    await fetchToFile(server.url("/f"), `${dir}/f`, options(log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.deepEqual(server.requests.map((r) => r.range), ["bytes=40000-"]);
    const progress = reporter.events.filter((e) => e.type === "progress");
    assert.deepEqual(progress.at(0), {
      type: "progress",
      id: "download:test/file",
      phase: "download",
      label: "file",
      done: 40_000,
      total: 120_000,
    });
    assert.equal((progress.at(-1) as { done: number }).done, 120_000);
  }).finally(() => server.close());
});

Deno.test("a .part is started over when the server ignores Range (200)", async () => {
  const body = testBytes(50_000, 13);
  const server = startServer({ "/f": { body, ranges: false } });
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/f.part`, testBytes(30_000, 99));
    await fetchToFile(server.url("/f"), `${dir}/f`, options(events().log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.equal(server.requests[0].range, "bytes=30000-");
  }).finally(() => server.close());
});

Deno.test("a .part longer than the file (416) is dropped and the file fetched whole", async () => {
  const body = testBytes(1000, 14);
  const server = startServer({ "/f": { body } });
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/f.part`, testBytes(5000, 15));
    await fetchToFile(server.url("/f"), `${dir}/f`, options(events().log));
    assert.deepEqual(await Deno.readFile(`${dir}/f`), body);
    assert.deepEqual(server.requests.map((r) => r.range), ["bytes=5000-", null]);
  }).finally(() => server.close());
});

Deno.test("a slow server is reported with progress events as bytes arrive, throttled, then done", async () => {
  const body = testBytes(64 * 1024, 16);
  // Each piece of /slow is sent only once the last one's progress was reported: every piece shows.
  const { log, reporter } = events();
  let reported = 0;
  const waiting: { sent: number; go: () => void }[] = [];
  const watched = new Log({
    emit(e) {
      reporter.emit(e);
      if (e.type !== "progress") return;
      reported = Math.max(reported, e.done);
      for (const w of waiting.filter((w) => w.sent <= reported)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.go();
      }
    },
  });
  const beforePiece = (sent: number) => new Promise<void>((go) => sent <= reported ? go() : waiting.push({ sent, go }));
  const server = startServer({
    "/slow": { body, dripBytes: 4096, beforePiece },
    "/pieces": { body, dripBytes: 4096 },
  });
  await withDir(async (dir) => {
    const run = async (path: string, progressIntervalMs: number, logTo: Log) => {
      const start = reporter.events.length;
      await fetchToFile(server.url(path), `${dir}/slow`, options(logTo, { progressIntervalMs }));
      assert.deepEqual(await Deno.readFile(`${dir}/slow`), body);
      await Deno.remove(`${dir}/slow`);
      return reporter.events.slice(start).filter((e): e is Extract<KilnEvent, { type: "progress" }> =>
        e.type === "progress"
      );
    };
    const every = await run("/slow", 0, watched);
    const done = every.map((p) => p.done);
    assert.ok(every.length >= 17, `${every.length} progress events for 16 pieces`);
    assert.deepEqual(done, [...done].sort((a, b) => a - b), "progress only grows");
    assert.equal(done[0], 0);
    assert.equal(done.at(-1), body.length);
    for (let piece = 1; piece <= 16; piece++) assert.ok(done.includes(piece * 4096), `piece ${piece} shows`);
    assert.ok(every.every((p) => p.total === body.length && p.phase === "download" && p.label === "file"));
    // Throttled: only the first and the last event within one interval.
    const throttled = await run("/pieces", 60_000, log);
    assert.deepEqual(throttled.map((p) => p.done), [0, body.length]);
  }).finally(() => server.close());
});

Deno.test("the accept check runs on the complete .part; refusing it leaves no file under the final name", async () => {
  const body = testBytes(1000, 17);
  const server = startServer({ "/f": { body } });
  await withDir(async (dir) => {
    let seen: Uint8Array | undefined;
    const err = await fetchToFile(server.url("/f"), `${dir}/f`, {
      ...options(events().log),
      accept: async (part) => {
        seen = await Deno.readFile(part);
        await Deno.remove(part);
        throw new KilnError("refused");
      },
    }).catch((e) => e);
    assert.equal(err.message, "refused");
    assert.deepEqual(seen, body);
    assert.ok(!exists(`${dir}/f`));
  }).finally(() => server.close());
});

Deno.test("file:// URLs are copied like a download; a missing one names the URL", async () => {
  await withDir(async (dir) => {
    const body = testBytes(3000, 18);
    await Deno.writeFile(`${dir}/src file.tar`, body);
    const { log } = events();
    await fetchToFile(`file://${dir}/src%20file.tar`, `${dir}/cache/src.tar`, options(log));
    assert.deepEqual(await Deno.readFile(`${dir}/cache/src.tar`), body);
    const err = await fetchToFile(`file://${dir}/nope.tar`, `${dir}/cache/nope.tar`, options(log)).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^pkg: cannot fetch file:\/\/.*\/nope\.tar: no such file$/);
    assert.ok(!exists(`${dir}/cache/nope.tar`) && !exists(`${dir}/cache/nope.tar.part`));
  });
});

Deno.test("a redirect loop and an unsupported scheme fail at once, naming the URL", async () => {
  const server = startServer({ "/a": { redirect: "/b" }, "/b": { redirect: "/a" } });
  await withDir(async (dir) => {
    const loop = await fetchToFile(server.url("/a"), `${dir}/f`, options(events().log)).catch((e) => e);
    assert.ok(loop instanceof KilnError);
    assert.match(loop.message, /^pkg: cannot fetch http:\/\/127\.0\.0\.1:\d+\/a: .*redirects/i);
    assert.equal(server.hits("/a"), 11, "one attempt: 21 requests in all, 11 of them to /a");
    const ftp = await fetchToFile("ftp://127.0.0.1/x.tar", `${dir}/x.tar`, options(events().log)).catch((e) => e);
    assert.ok(ftp instanceof KilnError);
    assert.match(ftp.message, /^pkg: cannot fetch ftp:\/\/127\.0\.0\.1\/x\.tar: .*scheme/i);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  }).finally(() => server.close());
});

Deno.test("a cache directory that cannot be made is a clear error", async () => {
  const server = startServer({ "/f": { body: testBytes(10) } });
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/blocker`, "a file where the cache's directory should be");
    const err = await fetchToFile(server.url("/f"), `${dir}/blocker/sub/f`, options(events().log)).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^pkg: cannot create the cache directory .*\/blocker\/sub: /);
    assert.match(err.hint!, /KISS_CACHE/);
    assert.equal(server.requests.length, 0);
  }).finally(() => server.close());
});

Deno.test("TLS is verified: a server with an untrusted certificate is refused at once, with nothing written", async () => {
  await withDir(async (dir) => {
    const server = startServer({ "/f.tar.gz": { body: testBytes(100) } }, await selfSignedCert(dir));
    try {
      const url = server.url("/f.tar.gz");
      assert.match(url, /^https:/);
      const err = await fetchToFile(url, `${dir}/cache/f.tar.gz`, options(events().log)).catch((e) => e);
      assert.ok(err instanceof KilnError);
      assert.match(
        err.message,
        /^pkg: cannot fetch https:\/\/127\.0\.0\.1:\d+\/f\.tar\.gz: the TLS connection failed: .*certificate/,
      );
      assert.match(err.hint!, /certificate/);
      assert.deepEqual([...Deno.readDirSync(`${dir}/cache`)], []);
    } finally {
      await server.close();
    }
  });
});
