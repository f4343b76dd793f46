import assert from "node:assert/strict";
import { KilnError, RecipeError } from "../../lib/errors.ts";
import { hashBytes } from "../../lib/hash/hasher.ts";
import { downloadSources, fetchSources } from "../../lib/sources/download.ts";
import { makeRepo } from "../_helpers/git.ts";
import { startServer, testBytes } from "../_helpers/http.ts";
import { exists, withDir } from "../_helpers/fixtures.ts";
import { config, events, recipe, tree } from "../_helpers/sources.ts";

const b3 = (bytes: Uint8Array) => hashBytes(bytes, "community");
const sha = (bytes: Uint8Array) => hashBytes(bytes, "classic");
const fast = { retryDelayMs: 5 };

Deno.test("all sources of several packages are fetched in parallel, bounded, into kiss's cache layout", async () => {
  const files = Array.from({ length: 6 }, (_, i) => testBytes(48 * 1024, i + 1));
  const routes = Object.fromEntries(
    // No body is sent until four are asked for at once: the downloads must overlap, up to the bound, to end.
    files.map((body, i) => [`/f${i}.tar.gz`, { body, dripBytes: 8192, holdUntilInFlight: 4 }]),
  );
  const server = startServer(routes);
  await withDir(async (dir) => {
    const recipes = await Promise.all([0, 1, 2].map(async (p) =>
      recipe(
        `${dir}/repo/pkg${p}`,
        [server.url(`/f${2 * p}.tar.gz`), server.url(`/f${2 * p + 1}.tar.gz`)],
        [await b3(files[2 * p]), await b3(files[2 * p + 1])],
      )
    ));
    const { log, reporter } = events();
    await downloadSources(recipes, config(`${dir}/cache`), log, { ...fast, concurrency: 4 });
    for (let i = 0; i < 6; i++) {
      assert.deepEqual(await Deno.readFile(`${dir}/cache/sources/pkg${i >> 1}/f${i}.tar.gz`), files[i]);
    }
    assert.equal(server.maxInFlight, 4, "downloads overlap, at most 4 at once");
    const info = reporter.lines("info");
    for (let i = 0; i < 6; i++) {
      assert.ok(info.includes(`fetching remote file ${server.url(`/f${i}.tar.gz`)}`));
      assert.ok(info.includes(`checksum matched ${await b3(files[i])} f${i}.tar.gz`));
    }
    // Every fetch precedes every verification.
    const lastFetch = Math.max(...info.map((l, i) => l.startsWith("fetching") ? i : -1));
    const firstMatch = info.findIndex((l) => l.startsWith("checksum matched"));
    assert.ok(lastFetch < firstMatch);
    const ends = reporter.events.filter((e) => e.type === "progress-end").map((e) => (e as { id: string }).id);
    assert.deepEqual(ends.sort(), files.map((_, i) => `download:pkg${i >> 1}/f${i}.tar.gz`).sort());
  }).finally(() => server.close());
});

Deno.test("a file in the cache with a matching checksum is never fetched again", async () => {
  const body = testBytes(20_000);
  const server = startServer({ "/z.tar.xz": { body } });
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/z`, [server.url("/z.tar.xz")], [await sha(body)], "classic");
    await downloadSources([r], config(`${dir}/cache`), events().log, fast);
    const { log, reporter } = events();
    await downloadSources([r], config(`${dir}/cache`), log, fast);
    assert.equal(server.hits("/z.tar.xz"), 1);
    assert.deepEqual(reporter.lines("info"), [
      "found remote file z.tar.xz",
      `checksum matched ${await sha(body)} z.tar.xz`,
    ]);
  }).finally(() => server.close());
});

Deno.test("DEST subdirectories and ?no-extract sources are stored under the file's own name", async () => {
  const a = testBytes(1000, 1), b = testBytes(2000, 2);
  const server = startServer({ "/a.tar.gz": { body: a }, "/b.tar.gz": { body: b } });
  await withDir(async (dir) => {
    const r = recipe(
      `${dir}/repo/p`,
      [`${server.url("/a.tar.gz")} vendor/a/`, `${server.url("/b.tar.gz")}?no-extract`],
      [await b3(a), await b3(b)],
    );
    await downloadSources([r], config(`${dir}/cache`), events().log, fast);
    assert.deepEqual(tree(`${dir}/cache/sources`), [
      "p",
      "p/b.tar.gz",
      "p/vendor",
      "p/vendor/a",
      "p/vendor/a/a.tar.gz",
    ]);
    assert.deepEqual(await Deno.readFile(`${dir}/cache/sources/p/vendor/a/a.tar.gz`), a);
  }).finally(() => server.close());
});

Deno.test("a download whose checksum differs is refused: named with both hashes, and not kept", async () => {
  const good = testBytes(5000, 1), bad = testBytes(5000, 2);
  const server = startServer({ "/good.tgz": { body: good }, "/bad.tgz": { body: bad } });
  await withDir(async (dir) => {
    const expected = await b3(good);
    const r = recipe(`${dir}/repo/p`, [server.url("/good.tgz"), server.url("/bad.tgz")], [expected, expected]);
    const err = await downloadSources([r], config(`${dir}/cache`), events().log, fast).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.equal(err.message, `p: checksum mismatch for bad.tgz: expected ${expected}, got ${await b3(bad)}`);
    assert.match(err.hint!, /removed from the cache/);
    assert.deepEqual(tree(`${dir}/cache/sources`), ["p", "p/good.tgz"]);
  }).finally(() => server.close());
});

Deno.test("a stale file in the cache that does not match is fetched again", async () => {
  const body = testBytes(4000, 3);
  const server = startServer({ "/s.tar.gz": { body } });
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/cache/sources/p`, { recursive: true });
    await Deno.writeFile(`${dir}/cache/sources/p/s.tar.gz`, testBytes(4000, 4));
    const r = recipe(`${dir}/repo/p`, [server.url("/s.tar.gz")], [await b3(body)]);
    const { log, reporter } = events();
    await downloadSources([r], config(`${dir}/cache`), log, fast);
    assert.deepEqual(await Deno.readFile(`${dir}/cache/sources/p/s.tar.gz`), body);
    assert.deepEqual(reporter.lines("warn"), ["s.tar.gz in the cache does not match its checksum; fetching it again"]);
  }).finally(() => server.close());
});

Deno.test("local files are verified and never removed; local directories take no checksum", async () => {
  await withDir(async (dir) => {
    const pkg = `${dir}/repo/p`;
    await Deno.mkdir(`${pkg}/patches`, { recursive: true });
    await Deno.mkdir(`${pkg}/files/etc`, { recursive: true });
    await Deno.writeTextFile(`${pkg}/patches/fix.patch`, "--- a\n+++ b\n");
    await Deno.writeTextFile(`${pkg}/files/etc/conf`, "x=1\n");
    await Deno.mkdir(`${dir}/shared/tree`, { recursive: true });
    await Deno.writeTextFile(`${dir}/shared/license.txt`, "MIT\n");
    const patch = await Deno.readFile(`${pkg}/patches/fix.patch`);
    const license = await Deno.readFile(`${dir}/shared/license.txt`);
    const r = recipe(pkg, ["patches/fix.patch", "files/", `${dir}/shared/license.txt`, `${dir}/shared/tree`], [
      await b3(patch),
      await b3(license),
    ]);
    const { log, reporter } = events();
    // Sources outside the package directory are read only with KISS_LOCAL_SOURCES=any (see local_test.ts).
    const anywhere = config(`${dir}/cache`, { KISS_LOCAL_SOURCES: "any" });
    await downloadSources([r], anywhere, log);
    assert.deepEqual(reporter.lines("info"), [
      `checksum matched ${await b3(patch)} fix.patch`,
      `checksum matched ${await b3(license)} license.txt`,
    ]);
    assert.ok(!exists(`${dir}/cache/sources`), "local sources are not copied into the cache");

    await Deno.writeTextFile(`${pkg}/patches/fix.patch`, "--- a\n+++ c\n");
    const err = await downloadSources([r], anywhere, events().log).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^p: checksum mismatch for fix\.patch: expected [0-9a-f]{66}, got [0-9a-f]{66}$/);
    assert.match(err.hint!, /kiln checksum p/);
    assert.ok(exists(`${pkg}/patches/fix.patch`), "a local file is never removed");
  });
});

Deno.test("a missing local file is a recipe error naming the sources line", async () => {
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/p`, ["https://example.invalid/x.tar.gz", "patches/missing.patch"], ["SKIP", "SKIP"]);
    const err = await downloadSources([r], config(`${dir}/cache`), events().log).catch((e) => e);
    assert.ok(err instanceof RecipeError);
    assert.equal(err.file, `${dir}/repo/p/sources`);
    assert.equal(err.line, 2);
    assert.match(err.message, /no local file or directory 'patches\/missing\.patch'/);
    assert.ok(!exists(`${dir}/cache`));
  });
});

Deno.test("SKIP lines are honoured and SHA-256 and BLAKE3 lines are told apart by length", async () => {
  const a = testBytes(3000, 5), b = testBytes(3000, 6), c = testBytes(3000, 7);
  const server = startServer({ "/a": { body: a }, "/b": { body: b }, "/c": { body: c } });
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/p`, [server.url("/a"), server.url("/b"), server.url("/c")], [
      await sha(a),
      "SKIP",
      await b3(c),
    ]);
    const { log, reporter } = events();
    await downloadSources([r], config(`${dir}/cache`), log, fast);
    assert.deepEqual(reporter.lines("info").filter((l) => l.startsWith("checksum")), [
      `checksum matched ${await sha(a)} a`,
      "checksum skipped b",
      `checksum matched ${await b3(c)} c`,
    ]);
  }).finally(() => server.close());
});

Deno.test("a wrong number of checksums is refused before anything is fetched", async () => {
  const server = startServer({ "/a": { body: testBytes(10) }, "/b": { body: testBytes(10) } });
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/p`, [server.url("/a"), server.url("/b")], [await b3(testBytes(10))]);
    const err = await downloadSources([r], config(`${dir}/cache`), events().log, fast).catch((e) => e);
    assert.ok(err instanceof RecipeError);
    assert.equal(err.message, `${dir}/repo/p/checksums: 1 checksum for 2 file sources`);
    assert.equal(err.hint, "run 'kiln checksum p' to write them");
    const none = recipe(`${dir}/repo/q`, [server.url("/a")], []);
    const err2 = await downloadSources([none], config(`${dir}/cache`), events().log, fast).catch((e) => e);
    assert.equal(err2.message, `${dir}/repo/q/checksums: no checksums for 1 file source`);
    assert.equal(server.requests.length, 0);
    assert.ok(!exists(`${dir}/cache`));
  }).finally(() => server.close());
});

Deno.test("offline with a warm cache: no network at all; with a cold cache: an error naming each missing file", async () => {
  const a = testBytes(1000, 8), b = testBytes(1000, 9);
  const server = startServer({ "/a.tar.gz": { body: a }, "/b.tar.gz": { body: b } });
  await withDir(async (dir) => {
    const ra = recipe(`${dir}/repo/pa`, [server.url("/a.tar.gz")], [await b3(a)]);
    const rb = recipe(`${dir}/repo/pb`, [server.url("/b.tar.gz")], [await b3(b)]);
    await downloadSources([ra, rb], config(`${dir}/usb`), events().log, fast);
    const before = server.requests.length;
    // A warm cache on a "USB stick", with the network off.
    await downloadSources([ra, rb], config(`${dir}/usb`, {}, true), events().log, fast);
    assert.equal(server.requests.length, before);

    const err = await downloadSources([ra, rb], config(`${dir}/cold`, {}, true), events().log, fast).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^2 sources failed:/);
    assert.match(err.message, /pa: a\.tar\.gz is not in the cache \(.*\/cold\/sources\/pa\/a\.tar\.gz\) and --offline/);
    assert.match(err.message, /pb: b\.tar\.gz is not in the cache/);
    assert.match(err.hint!, /KISS_CACHE/);
    assert.equal(server.requests.length, before);
    assert.deepEqual(tree(`${dir}/cold`), []);
  }).finally(() => server.close());
});

Deno.test("one failed download does not stop the others; the error names it", async () => {
  const a = testBytes(1000, 10);
  const server = startServer({ "/a.tar.gz": { body: a } });
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/p`, [server.url("/gone.tar.gz"), server.url("/a.tar.gz")], ["SKIP", await b3(a)]);
    const err = await downloadSources([r], config(`${dir}/cache`), events().log, fast).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^p: cannot fetch .*\/gone\.tar\.gz: HTTP 404/);
    assert.deepEqual(tree(`${dir}/cache/sources`), ["p", "p/a.tar.gz"]);
  }).finally(() => server.close());
});

Deno.test("git sources are checked out into sources/<pkg>/[dest/]<repo-name>/ and take no checksum", async () => {
  const body = testBytes(500, 11);
  const server = startServer({ "/x.tar.gz": { body } });
  await withDir(async (dir) => {
    const repo = await makeRepo(dir, "project.git");
    const r = recipe(`${dir}/repo/p`, [`git+${repo.url}@${repo.tag.name} third_party`, server.url("/x.tar.gz")], [
      await b3(body),
    ]);
    await downloadSources([r], config(`${dir}/cache`), events().log, fast);
    assert.equal(await Deno.readTextFile(`${dir}/cache/sources/p/third_party/project/version`), "0\n");
    assert.ok(exists(`${dir}/cache/sources/p/x.tar.gz`));
  }).finally(() => server.close());
});

Deno.test("fetchSources fetches without checksums, for 'kiln checksum'", async () => {
  const body = testBytes(700, 12);
  const server = startServer({ "/n.tar.gz": { body } });
  await withDir(async (dir) => {
    const r = recipe(`${dir}/repo/p`, [server.url("/n.tar.gz")], []);
    const { entries, memo } = await fetchSources([r], config(`${dir}/cache`), events().log, fast);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].path, `${dir}/cache/sources/p/n.tar.gz`);
    assert.equal(await memo.hash(entries[0].path, "community"), await b3(body));
  }).finally(() => server.close());
});
