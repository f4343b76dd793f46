import assert from "node:assert/strict";
import { hashBytes } from "../../../lib/hash/hasher.ts";
import { startServer, testBytes } from "../../_helpers/http.ts";
import { exists, withDir } from "../../_helpers/fixtures.ts";
import { kiln, tree, writePackage } from "../../_helpers/sources.ts";

Deno.test("kiln download fetches and verifies several packages, then works offline from the same cache", async () => {
  const a = testBytes(80_000, 1), b = testBytes(90_000, 2);
  const server = startServer({ "/a-1.tar.gz": { body: a }, "/b-2.tar.gz": { body: b } });
  await withDir(async (dir) => {
    writePackage(`${dir}/repo`, "a", [server.url("/a-1.tar.gz")], [await hashBytes(a, "community")]);
    writePackage(`${dir}/repo`, "b", [server.url("/b-2.tar.gz")], [await hashBytes(b, "classic")]);
    const env = { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/usb` };
    const run = await kiln(["download", "a", "b"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(Deno.readFileSync(`${dir}/usb/sources/a/a-1.tar.gz`), a);
    assert.deepEqual(Deno.readFileSync(`${dir}/usb/sources/b/b-2.tar.gz`), b);
    assert.match(run.stderr, new RegExp(`checksum matched ${await hashBytes(a, "community")} a-1\\.tar\\.gz`));
    assert.match(run.stderr, new RegExp(`checksum matched ${await hashBytes(b, "classic")} b-2\\.tar\\.gz`));

    const requests = server.requests.length;
    const offline = await kiln(["--offline", "d", "a", "b"], env);
    assert.equal(offline.code, 0, offline.stderr);
    assert.equal(server.requests.length, requests);
    assert.match(offline.stderr, /found remote file a-1\.tar\.gz/);
  }).finally(() => server.close());
});

Deno.test("kiln download --offline with a cold cache fails naming the missing file and fetches nothing", async () => {
  const server = startServer({ "/a-1.tar.gz": { body: testBytes(10) } });
  await withDir(async (dir) => {
    writePackage(`${dir}/repo`, "a", [server.url("/a-1.tar.gz")], ["SKIP"]);
    const run = await kiln(["--offline", "download", "a"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[ERROR\] a: a-1\.tar\.gz is not in the cache \(.*\/cache\/sources\/a\/a-1\.tar\.gz\)/);
    assert.equal(server.requests.length, 0);
    assert.ok(!exists(`${dir}/cache/sources`));
  }).finally(() => server.close());
});

Deno.test("kiln download refuses a checksum mismatch: exit 1, both hashes named, the download removed", async () => {
  const body = testBytes(5000, 3);
  const server = startServer({ "/x.tar.gz": { body } });
  await withDir(async (dir) => {
    const wrong = await hashBytes(testBytes(5000, 4), "community");
    writePackage(`${dir}/repo`, "x", [server.url("/x.tar.gz")], [wrong]);
    const run = await kiln(["download", "x"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 1);
    assert.ok(
      run.stderr.includes(
        `x: checksum mismatch for x.tar.gz: expected ${wrong}, got ${await hashBytes(body, "community")}`,
      ),
      run.stderr,
    );
    assert.deepEqual(tree(`${dir}/cache/sources`), ["x"]);
  }).finally(() => server.close());
});

Deno.test("kiln download of a package whose checksums do not match its sources says to run kiln checksum", async () => {
  const server = startServer({ "/x.tar.gz": { body: testBytes(10) }, "/y.tar.gz": { body: testBytes(10) } });
  await withDir(async (dir) => {
    writePackage(`${dir}/repo`, "x", [server.url("/x.tar.gz"), server.url("/y.tar.gz")], ["SKIP"]);
    const run = await kiln(["download", "x"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /kiln checksum/);
    assert.equal(server.requests.length, 0);
  }).finally(() => server.close());
});

Deno.test("kiln --dry-run download lists the fetches with sizes and changes nothing", async () => {
  const server = startServer({ "/big.tar.gz": { body: testBytes(123_456) } });
  await withDir(async (dir) => {
    writePackage(`${dir}/repo`, "p", [server.url("/big.tar.gz")], ["SKIP"]);
    const env = { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` };
    const run = await kiln(["--dry-run", "download", "p"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /p: would fetch http:\/\/127\.0\.0\.1:\d+\/big\.tar\.gz \(123\.5 kB\) to .*\/cache\/sources\/p\/big\.tar\.gz/,
    );
    assert.ok(!exists(`${dir}/cache`));
    assert.deepEqual(server.requests.map((r) => r.method), ["HEAD"]);

    const json = await kiln(["--dry-run", "--json", "download", "p"], env);
    assert.equal(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout);
    assert.equal(plan.length, 1);
    assert.equal(plan[0].size, 123_456);
    assert.equal(plan[0].cached, false);
  }).finally(() => server.close());
});

Deno.test("kiln download of an unknown package fails with exit 1 naming it", async () => {
  await withDir(async (dir) => {
    Deno.mkdirSync(`${dir}/repo`);
    const run = await kiln(["download", "nosuchpkg"], { KISS_PATH: `${dir}/repo`, KISS_CACHE: `${dir}/cache` });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /nosuchpkg/);
  });
});
