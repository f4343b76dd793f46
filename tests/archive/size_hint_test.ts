/**
 * The decompressed-size hints that size the decoders' output buffers: read
 * from the headers of real zstd and gzip output, never below the true size
 * where the format promises a bound, and never trusted for the result.
 */
import assert from "node:assert/strict";
import { decodedSizeHint } from "../../lib/archive/codecs.ts";
import { decompress } from "../../lib/archive/compress.ts";
import { KilnError } from "../../lib/errors.ts";
import { run, withTempDir } from "../_helpers/archive.ts";

/** Data that compresses well but not to nothing: 3 MiB of counting text with some noise. */
function sample(): Uint8Array {
  const text = new TextEncoder().encode(
    Array.from({ length: 200_000 }, (_, i) => `line ${i} ${(i * 7919) % 1000}`).join("\n"),
  );
  return text.subarray(0, 3 * 1024 * 1024);
}

Deno.test("zstd: a stream without a content size is bounded by its blocks; a file's size is exact", async () => {
  await withTempDir(async (dir) => {
    const data = sample();
    await Deno.writeFile(`${dir}/data`, data);
    // From a pipe, zstd cannot know the size: the frame header has none.
    const piped = (await run("zstd", ["-q", "-c"], { stdin: data })).stdout;
    const hint = decodedSizeHint("zst", piped)!;
    assert.equal(hint.frames, 1);
    assert.ok(hint.bound >= data.length, `bound ${hint.bound} below ${data.length}`);
    assert.ok(hint.bound <= data.length + 128 * 1024 * 2, `bound ${hint.bound} far above ${data.length}`);
    assert.deepEqual(await decompress(piped, "piped.zst"), data);

    await run("zstd", ["-q", "-f", `${dir}/data`, "-o", `${dir}/data.zst`]);
    const file = await Deno.readFile(`${dir}/data.zst`);
    assert.deepEqual(decodedSizeHint("zst", file), { bound: data.length, frames: 1 });

    // Two frames one after another: the bound covers both.
    const both = new Uint8Array([...file, ...piped]);
    const two = decodedSizeHint("zst", both)!;
    assert.equal(two.frames, 2);
    assert.ok(two.bound >= 2 * data.length);
    const out = await decompress(both, "two.zst");
    assert.equal(out.length, 2 * data.length);
    assert.deepEqual(out.subarray(data.length), data);
  });
});

Deno.test("zstd: a frame that claims a wrong content size is an error, not a short or long result", async () => {
  await withTempDir(async (dir) => {
    const data = sample().subarray(0, 100_000);
    await Deno.writeFile(`${dir}/data`, data);
    await run("zstd", ["-q", "-f", "--no-check", `${dir}/data`, "-o", `${dir}/data.zst`]);
    const bytes = await Deno.readFile(`${dir}/data.zst`);
    const descriptor = bytes[4];
    assert.equal(descriptor >> 6, 2, "this zstd writes a 4-byte content size");
    // The content size follows the descriptor (and the window byte when not single-segment).
    const at = 5 + (descriptor & 0x20 ? 0 : 1);
    for (const claimed of [data.length - 1000, data.length * 4]) {
      const forged = bytes.slice();
      new DataView(forged.buffer).setUint32(at, claimed, true);
      assert.equal(decodedSizeHint("zst", forged)?.bound, claimed);
      await assert.rejects(() => decompress(forged, "forged.zst"), (err: unknown) => {
        assert.ok(err instanceof KilnError);
        assert.match(err.message, /forged\.zst: damaged zstd data/);
        return true;
      });
    }
  });
});

Deno.test("gzip: the trailer's size is the hint; several members decode whole", async () => {
  const data = sample();
  const one = (await run("gzip", ["-c", "-6"], { stdin: data })).stdout;
  assert.deepEqual(decodedSizeHint("gz", one), { bound: data.length, frames: 1 });
  assert.deepEqual(await decompress(one, "one.gz"), data);
  // A file of two members: the trailer tells only the last member's size, which is only a hint.
  const small = (await run("gzip", ["-c"], { stdin: new TextEncoder().encode("tail\n") })).stdout;
  const two = new Uint8Array([...one, ...small]);
  assert.equal(decodedSizeHint("gz", two)?.bound, 5);
  const out = await decompress(two, "two.gz");
  assert.equal(out.length, data.length + 5);
  assert.equal(new TextDecoder().decode(out.subarray(data.length)), "tail\n");
});
