/**
 * zstd decoded straight into shared memory: the same bytes the ordinary
 * decoder gives, frame after frame; damaged data is still an error; bounds
 * that are too small make it step aside rather than cut the output short.
 */
import assert from "node:assert/strict";
import { decompress } from "../../lib/archive/compress.ts";
import { decodeZstdShared } from "../../lib/archive/zstd_shared.ts";
import { KilnError } from "../../lib/errors.ts";
import { run, withTempDir } from "../_helpers/archive.ts";

const z = await import("node:zlib");

/** 2 MiB of varied text. */
function sample(seed: number): Uint8Array {
  const words = Array.from({ length: 200_000 }, (_, i) => `${(i * seed) % 9973}-${i % 17}`);
  return new TextEncoder().encode(words.join(" ")).subarray(0, 2 * 1024 * 1024);
}

async function zstd(data: Uint8Array, ...args: string[]): Promise<Uint8Array> {
  return (await run("zstd", ["-q", "-c", ...args], { stdin: data })).stdout;
}

Deno.test("decodeZstdShared: one frame and several, into one SharedArrayBuffer, as the ordinary decoder", async () => {
  const a = sample(7), b = sample(13);
  const fa = await zstd(a), fb = await zstd(b, "--no-check");
  const one = decodeZstdShared(z, [{ bytes: fa, bound: a.length }]);
  assert.ok(one && one.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(new Uint8Array(one), new Uint8Array(z.zstdDecompressSync(fa)));
  // Loose bounds (as block headers give them) leave room unused, never in the result.
  const two = decodeZstdShared(z, [{ bytes: fa, bound: a.length + 300_000 }, { bytes: fb, bound: b.length + 5 }]);
  assert.ok(two);
  assert.equal(two.length, a.length + b.length);
  assert.deepEqual(two.subarray(0, a.length), a);
  assert.deepEqual(two.subarray(a.length), b);
  // decompress() takes this way for zstd, and splits the frames itself.
  const whole = await decompress(new Uint8Array([...fa, ...fb]), "two.zst");
  assert.ok(whole.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(whole.subarray(a.length), b);
});

Deno.test("decodeZstdShared: bounds too small for the data give way to the ordinary decoder", async () => {
  const a = sample(3);
  const fa = await zstd(a);
  assert.equal(decodeZstdShared(z, [{ bytes: fa, bound: 1000 }]), undefined);
  // A frame header that claims too small a size is caught by the decoder itself.
  const forged = await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/data`, a.subarray(0, 100_000));
    return (await run("zstd", ["-q", "-c", `${dir}/data`])).stdout;
  });
  const at = 5 + (forged[4] & 0x20 ? 0 : 1);
  assert.equal(forged[4] >> 6, 2, "a 4-byte content size");
  new DataView(forged.buffer).setUint32(at, 50_000, true);
  await assert.rejects(() => decompress(forged, "forged.zst"), KilnError);
});

Deno.test("decodeZstdShared: corruption and a checksum mismatch are errors, named by decompress()", async () => {
  const a = sample(5);
  const fa = await zstd(a);
  const body = fa.slice();
  body[body.length >> 1] ^= 0xff;
  const sum = fa.slice();
  sum[sum.length - 1] ^= 0xff;
  for (const [bytes, what] of [[body, /corrupt|error/i], [sum, /checksum/i]] as const) {
    assert.throws(() => decodeZstdShared(z, [{ bytes, bound: a.length }]), what);
    await assert.rejects(() => decompress(bytes, "bad.zst"), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(err.message, /^bad\.zst: damaged zstd data: /);
      assert.match(err.message, what);
      return true;
    });
  }
});
