import assert from "node:assert/strict";
import type { Compression } from "../../lib/config.ts";
import {
  compress,
  compressionFromName,
  compressStream,
  decompress,
  decompressStream,
  detectCompression,
} from "../../lib/archive/compress.ts";
import { writeTar } from "../../lib/archive/tar.ts";
import { fileItem, have, isKilnError, run, withTempDir } from "../_helpers/archive.ts";

/** A small, well-mixed pseudo-random generator (mulberry32): the same numbers on every run. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** ~1.5 MB that compresses somewhat: text runs, repeats at many distances, noise. */
function sample(): Uint8Array {
  const out = new Uint8Array(1_500_000);
  const next = mulberry32(12345);
  const words = new TextEncoder().encode("kiln builds packages from source in a sandbox; zlib pigz musl busybox ");
  for (let i = 0; i < out.length;) {
    const kind = next() % 3;
    const n = 1 + (next() % 300);
    for (let j = 0; j < n && i < out.length; j++, i++) {
      if (kind === 0) out[i] = words[(i + j) % words.length];
      else if (kind === 1 && i > 70000) out[i] = out[i - 1 - (next() % 70000)];
      else out[i] = next() & 0xff;
    }
  }
  return out;
}

const DATA = sample();

/** Byte equality that reports the first difference (a deep-equal diff of megabytes takes minutes). */
function sameBytes(actual: Uint8Array, expected: Uint8Array, message = "") {
  let i = 0;
  const n = Math.min(actual.length, expected.length);
  while (i < n && actual[i] === expected[i]) i++;
  if (i < n || actual.length !== expected.length) {
    assert.fail(`${message}: ${actual.length} bytes vs ${expected.length} expected, first difference at ${i}`);
  }
}

/** How each format's reference tool compresses and decompresses. */
const TOOLS: Record<Compression, { c: string[]; d: string[] }> = {
  gz: { c: ["gzip", "-c"], d: ["gzip", "-dc"] },
  zst: { c: ["zstd", "-q", "-c"], d: ["zstd", "-q", "-dc"] },
  xz: { c: ["xz", "-c"], d: ["xz", "-dc"] },
  bz2: { c: ["bzip2", "-c"], d: ["bzip2", "-dc"] },
  lz: { c: ["lzip", "-c"], d: ["lzip", "-dc"] },
  lzma: { c: ["xz", "--format=lzma", "-c"], d: ["xz", "--format=lzma", "-dc"] },
};
const FORMATS = Object.keys(TOOLS) as Compression[];

async function tool(argv: string[], input: Uint8Array): Promise<Uint8Array> {
  return (await run(argv[0], argv.slice(1), { stdin: input })).stdout;
}

async function viaStream(bytes: Uint8Array, chunk = 65_536): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.slice(i, i + chunk));
  return await new Response(decompressStream(ReadableStream.from(chunks), "test")).bytes();
}

for (const format of FORMATS) {
  Deno.test(`${format}: the reference tool's output is decompressed in-process, whole and streamed`, async () => {
    const packed = await tool(TOOLS[format].c, DATA);
    assert.equal(detectCompression(packed), format);
    sameBytes(await decompress(packed, `x.${format}`), DATA);
    sameBytes(await viaStream(packed), DATA);
    sameBytes(await viaStream(packed, 7), DATA.subarray(0, DATA.length), "tiny chunks");
  });

  Deno.test(`${format}: kiln's output is read by the reference tool, and is the same every time`, async () => {
    const tar = writeTar([fileItem("pkg/data", "x".repeat(10_000)), fileItem("pkg/more", "kiln\n")]);
    for (const input of [DATA, tar]) {
      const whole = await compress(input, format);
      assert.equal(detectCompression(whole), format);
      sameBytes(await tool(TOOLS[format].d, whole), input);
      const streamed = await new Response(compressStream(ReadableStream.from([input]), format)).bytes();
      sameBytes(await tool(TOOLS[format].d, streamed), input);
      sameBytes(await compress(input, format), whole, "same bytes on a second run");
      const again = await new Response(compressStream(ReadableStream.from([input]), format)).bytes();
      sameBytes(again, streamed, "same stream bytes on a second run");
    }
  });

  Deno.test(`${format}: damaged data is a KilnError naming the file`, async () => {
    const packed = await tool(TOOLS[format].c, DATA);
    const cut = packed.subarray(0, Math.floor(packed.length / 2));
    await assert.rejects(() => decompress(cut, `broken.tar.${format}`), isKilnError(`broken.tar.${format}`));
    await assert.rejects(
      () => new Response(decompressStream(ReadableStream.from([cut]), `broken.tar.${format}`)).bytes(),
      isKilnError(`broken.tar.${format}`),
    );
    const flipped = packed.slice();
    flipped[Math.floor(flipped.length / 2)] ^= 0x55;
    await assert.rejects(() => decompress(flipped, "flipped"), isKilnError("flipped"));
  });
}

Deno.test("concatenated members/streams decompress to the concatenation", async () => {
  const a = DATA.subarray(0, 200_000);
  const b = DATA.subarray(200_000, 300_000);
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  for (const format of ["gz", "bz2", "lz", "zst", "xz"] as const) {
    const pa = await tool(TOOLS[format].c, a);
    const pb = await tool(TOOLS[format].c, b);
    const joined = new Uint8Array(pa.length + pb.length);
    joined.set(pa);
    joined.set(pb, pa.length);
    sameBytes(await decompress(joined), both, format);
    sameBytes(await viaStream(joined), both, `${format} streamed`);
  }
});

Deno.test("zstd: skippable frames are passed over, a frame cut at a boundary is an error", async () => {
  const a = DATA.subarray(0, 100_000);
  const pa = await tool(TOOLS.zst.c, a);
  const skippable = Uint8Array.of(0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3);
  const joined = new Uint8Array(skippable.length * 2 + pa.length);
  joined.set(skippable);
  joined.set(pa, skippable.length);
  joined.set(skippable, skippable.length + pa.length);
  sameBytes(await decompress(joined), a);
  sameBytes(await viaStream(joined, 5), a);
  // Only the first 4 bytes of a second frame: the data ends inside a frame.
  const cut = new Uint8Array(pa.length + 4);
  cut.set(pa);
  cut.set(pa.subarray(0, 4), pa.length);
  await assert.rejects(() => decompress(cut, "cut.zst"), isKilnError("cut.zst", "cut short"));
  await assert.rejects(
    () => new Response(decompressStream(ReadableStream.from([cut]), "cut.zst")).bytes(),
    isKilnError("cut.zst", "cut short"),
  );
});

Deno.test("lzma with a known size in its header (lzma tool) and lzip multi-member with small dictionary", async () => {
  await withTempDir(async (dir) => {
    // `xz --format=lzma` writes an unknown size; a file compressed by name gets the same header.
    await Deno.writeFile(`${dir}/d`, DATA.subarray(0, 300_000));
    await run("lzip", ["-k", "-s", "4KiB", "-b", "100KiB", `${dir}/d`]);
    sameBytes(await decompress(await Deno.readFile(`${dir}/d.lz`)), DATA.subarray(0, 300_000));
  });
  // Other literal/position parameters than the defaults.
  const odd = await tool(["xz", "--format=lzma", "--lzma1=preset=6,lc=1,lp=2,pb=1", "-c"], DATA.subarray(0, 200_000));
  sameBytes(await decompress(odd), DATA.subarray(0, 200_000), "lc=1 lp=2 pb=1");
  // A hand-made .lzma header with a known size before the same raw data.
  const packed = await tool(TOOLS.lzma.c, DATA.subarray(0, 50_000));
  const sized = packed.slice();
  new DataView(sized.buffer).setBigUint64(5, 50_000n, true);
  sameBytes(await decompress(sized), DATA.subarray(0, 50_000));
});

Deno.test("detectCompression goes by magic, not name; plain tar and other bytes are 'none'", () => {
  const tar = writeTar([fileItem("a", "b")]);
  assert.equal(detectCompression(tar), "none");
  assert.equal(detectCompression(new TextEncoder().encode("#!/bin/sh\necho hi\n".repeat(40))), "none");
  assert.equal(detectCompression(new Uint8Array(0)), "none");
  assert.equal(detectCompression(Uint8Array.of(0x1f, 0x8b, 8)), "gz");
  assert.equal(detectCompression(Uint8Array.of(0x42, 0x5a, 0x68, 0x39)), "bz2");
  assert.equal(detectCompression(Uint8Array.of(0x42, 0x5a, 0x68, 0x20)), "none");
});

Deno.test("compressionFromName knows kiss's suffixes and the short forms", () => {
  const cases: [string, Compression | "none" | undefined][] = [
    ["zlib-1.3.tar.gz", "gz"],
    ["x.tgz", "gz"],
    ["x.tar.bz2", "bz2"],
    ["x.tbz2", "bz2"],
    ["x.tbz", "bz2"],
    ["x.tar.xz", "xz"],
    ["x.txz", "xz"],
    ["x.tar.zst", "zst"],
    ["x.tzst", "zst"],
    ["x.tar.lz", "lz"],
    ["x.tar.lzma", "lzma"],
    ["x.tar", "none"],
    ["X.TAR.GZ", "gz"],
    ["patch.diff", undefined],
  ];
  for (const [name, format] of cases) assert.equal(compressionFromName(name), format, name);
});

Deno.test("uncompressed data passes through decompress and decompressStream unchanged", async () => {
  const tar = writeTar([fileItem("a", "b".repeat(2000))]);
  assert.equal(await decompress(tar), tar);
  assert.deepEqual(await viaStream(tar, 100), tar);
  assert.deepEqual(await viaStream(new Uint8Array(0)), new Uint8Array(0));
});

Deno.test("a missing compressor tool is a clear KilnError", async () => {
  if (!(await have("deno"))) return;
  await withTempDir(async (dir) => {
    const script = `${dir}/missing.ts`;
    await Deno.writeTextFile(
      script,
      `import { compress } from ${JSON.stringify(new URL("../../lib/archive/compress.ts", import.meta.url).href)};
try { await compress(new Uint8Array(10), "lz"); console.log("no error"); }
catch (e) { console.log(e.name + ": " + e.message + " | " + e.hint); }
const out = await compress(new Uint8Array(10), "zst");
console.log("zst " + out.length);`,
    );
    const result = await run(Deno.execPath(), ["run", "-A", "--no-lock", script], { env: { PATH: "/nonexistent" } });
    const text = new TextDecoder().decode(result.stdout);
    assert.match(text, /KilnError: cannot compress with lzip: lzip not found in PATH \| install lzip/);
    assert.match(text, /zst \d+/, "zst is in-process and needs no tool");
  });
});
