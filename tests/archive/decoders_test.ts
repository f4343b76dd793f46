/**
 * Every valid archive unpacks: a corpus made with the reference programs
 * over the options real tarballs use (xz checks, filters, multi-block,
 * concatenated streams and stream padding; multi-member gzip and pigz;
 * multi-stream bzip2 and pbzip2; multi-frame zstd with skippable frames;
 * lzip members; legacy lzma), each decoded in-process with no program in
 * PATH and compared with the input and with the reference program's own
 * output. Then what kiln's decoders lack is "unsupported", never "damaged",
 * and damaged data is told as damaged.
 */
import assert from "node:assert/strict";
import type { Compression } from "../../lib/config.ts";
import { decompress, decompressStream, detectCompression } from "../../lib/archive/compress.ts";
import { writeTar } from "../../lib/archive/tar.ts";
import { KilnError } from "../../lib/errors.ts";
import { crc32 } from "../../lib/archive/xz_check.ts";
import { entry, fileItem, have, run, withTempDir } from "../_helpers/archive.ts";

/** mulberry32: the same numbers on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A small program compiled with the real compiler: machine code for the x86 filter (empty without cc). */
async function machineCode(): Promise<Uint8Array> {
  if (!(await have("cc"))) return new Uint8Array(0);
  return await withTempDir(async (dir) => {
    const lines = ["#include <stdio.h>"];
    for (let i = 0; i < 200; i++) lines.push(`int f${i}(int x) { return x * ${i} + printf("%d", x); }`);
    lines.push("int main(void) { int s = 0;");
    for (let i = 0; i < 200; i++) lines.push(`s += f${i}(${i});`);
    lines.push("return s; }");
    await Deno.writeTextFile(`${dir}/p.c`, lines.join("\n"));
    await run("cc", ["-O1", "-o", `${dir}/p`, `${dir}/p.c`]);
    return await Deno.readFile(`${dir}/p`);
  });
}

/** Text, noise, a tar of a few files and machine code: about 1 MB. */
async function corpusData(): Promise<Uint8Array> {
  const next = random(2024);
  const words = ["kiln", "builds", "packages", "from", "source", "sandbox", "zlib", "musl", "busybox", "\n", "the"];
  let text = "";
  while (text.length < 400_000) text += words[next() % words.length] + " ";
  const noise = new Uint8Array(150_000).map(() => next() & 0xff);
  const tar = writeTar([
    fileItem("pkg/README", text.slice(0, 50_000)),
    { entry: entry("pkg/data.bin", { size: 60_000 }), body: noise.subarray(0, 60_000) },
    fileItem("pkg/empty", ""),
  ]);
  return concat(new TextEncoder().encode(text), noise, tar, await machineCode());
}

const DATA = await corpusData();
const HALF = DATA.subarray(0, 300_000);

/** Byte equality that reports the first difference. */
function sameBytes(actual: Uint8Array, expected: Uint8Array, message: string) {
  let i = 0;
  const n = Math.min(actual.length, expected.length);
  while (i < n && actual[i] === expected[i]) i++;
  if (i < n || actual.length !== expected.length) {
    assert.fail(`${message}: ${actual.length} bytes vs ${expected.length} expected, first difference at ${i}`);
  }
}

async function tool(argv: string[], input: Uint8Array): Promise<Uint8Array> {
  return (await run(argv[0], argv.slice(1), { stdin: input })).stdout;
}

/** One case of the corpus: how to make it, what it decodes to, the programs it needs. */
interface Case {
  name: string;
  format: Compression;
  needs: string[];
  make: () => Promise<Uint8Array>;
  expected: Uint8Array;
  /** The reference program that decodes it. */
  reference: string[];
}

const XZ_D = ["xz", "-dc"];
const cases: Case[] = [];
function add(c: Omit<Case, "expected" | "needs"> & { expected?: Uint8Array; needs?: string[] }) {
  cases.push({ expected: DATA, needs: [c.reference[0]], ...c });
}
const xz = (...args: string[]) => () => tool(["xz", "-c", "-T1", ...args], DATA);

for (const check of ["none", "crc32", "crc64", "sha256"]) {
  add({ name: `xz -C ${check}`, format: "xz", make: xz("-C", check), reference: XZ_D });
}
for (const level of ["-0", "-1", "-6", "-9e"]) {
  add({ name: `xz ${level}`, format: "xz", make: xz(level), reference: XZ_D });
}
for (
  const filter of ["--x86", "--x86=start=4096", "--powerpc", "--ia64", "--arm", "--armthumb", "--arm64", "--sparc"]
) {
  add({ name: `xz ${filter}`, format: "xz", make: xz("-C", "sha256", filter, "--lzma2=preset=6"), reference: XZ_D });
}
for (const dist of [1, 4, 256]) {
  add({ name: `xz --delta=dist=${dist}`, format: "xz", make: xz(`--delta=dist=${dist}`, "--lzma2"), reference: XZ_D });
}
add({
  name: "xz three filters (delta, x86, LZMA2)",
  format: "xz",
  make: xz("--delta=dist=2", "--x86", "--lzma2=preset=1"),
  reference: XZ_D,
});
add({
  name: "xz 4 KiB dictionary (the window slides)",
  format: "xz",
  make: xz("--lzma2=dict=4KiB"),
  reference: XZ_D,
});
add({ name: "xz lc=0 lp=4 pb=4", format: "xz", make: xz("--lzma2=preset=6,lc=0,lp=4,pb=4"), reference: XZ_D });
add({ name: "xz multi-block 64 KiB", format: "xz", make: xz("--block-size=64KiB", "-C", "crc64"), reference: XZ_D });
add({
  name: "xz multi-threaded (sizes in block headers)",
  format: "xz",
  make: () => tool(["xz", "-c", "-T2", "--block-size=100KiB", "-C", "sha256"], DATA),
  reference: XZ_D,
});
add({
  name: "xz incompressible (stored LZMA2 chunks)",
  format: "xz",
  make: () => tool(["xz", "-c", "-T1"], DATA.subarray(400_000, 550_000)),
  expected: DATA.subarray(400_000, 550_000),
  reference: XZ_D,
});
add({
  name: "xz empty input",
  format: "xz",
  make: () => tool(["xz", "-c", "-C", "sha256"], new Uint8Array(0)),
  expected: new Uint8Array(0),
  reference: XZ_D,
});
add({
  name: "xz concatenated streams with stream padding",
  format: "xz",
  make: async () => {
    const a = await tool(["xz", "-c", "-C", "crc32"], HALF);
    const b = await tool(["xz", "-c", "-C", "sha256", "--x86", "--lzma2"], DATA);
    return concat(a, new Uint8Array(4), b, new Uint8Array(8));
  },
  expected: concat(HALF, DATA),
  reference: XZ_D,
});
add({
  name: "xz --format=lzma",
  format: "lzma",
  make: () => tool(["xz", "-c", "--format=lzma", "-9"], DATA),
  reference: ["xz", "--format=lzma", "-dc"],
});
add({
  name: "xz --format=lzma lc=1 lp=2 pb=0",
  format: "lzma",
  make: () => tool(["xz", "-c", "--format=lzma", "--lzma1=preset=6,lc=1,lp=2,pb=0"], DATA),
  reference: ["xz", "--format=lzma", "-dc"],
});
for (const level of ["-0", "-9"]) {
  add({
    name: `lzip ${level}`,
    format: "lz",
    make: () => tool(["lzip", "-c", level], DATA),
    reference: ["lzip", "-dc"],
  });
}
add({
  name: "lzip members (cat, and --member-size)",
  format: "lz",
  make: async () => concat(await tool(["lzip", "-c"], HALF), await tool(["lzip", "-c", "--member-size=100KiB"], DATA)),
  expected: concat(HALF, DATA),
  reference: ["lzip", "-dc"],
});
add({
  name: "gzip members (cat)",
  format: "gz",
  make: async () => concat(await tool(["gzip", "-c", "-1"], HALF), await tool(["gzip", "-c", "-9"], DATA)),
  expected: concat(HALF, DATA),
  reference: ["gzip", "-dc"],
});
add({ name: "pigz", format: "gz", make: () => tool(["pigz", "-c", "-p", "2"], DATA), reference: ["gzip", "-dc"] });
add({
  name: "pigz --independent",
  format: "gz",
  needs: ["pigz", "gzip"],
  make: () => tool(["pigz", "-c", "-p", "2", "--independent", "-b", "64"], DATA),
  reference: ["gzip", "-dc"],
});
add({
  name: "bzip2 streams (cat)",
  format: "bz2",
  make: async () => concat(await tool(["bzip2", "-c", "-1"], HALF), await tool(["bzip2", "-c", "-9"], DATA)),
  expected: concat(HALF, DATA),
  reference: ["bzip2", "-dc"],
});
add({
  name: "pbzip2",
  format: "bz2",
  needs: ["pbzip2", "bzip2"],
  make: () => tool(["pbzip2", "-c", "-p2", "-b1"], DATA),
  reference: ["bzip2", "-dc"],
});
add({
  name: "zstd frames (cat)",
  format: "zst",
  make: async () => concat(await tool(["zstd", "-q", "-c", "-1"], HALF), await tool(["zstd", "-q", "-c", "-19"], DATA)),
  expected: concat(HALF, DATA),
  reference: ["zstd", "-q", "-dc"],
});

/** A zstd skippable frame (magic 0x184D2A5n) carrying `size` bytes. */
function skippable(n: number, size: number): Uint8Array {
  const frame = new Uint8Array(8 + size).fill(0xaa);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 0x184d2a50 + n, true);
  view.setUint32(4, size, true);
  return frame;
}

add({
  name: "zstd with skippable frames first, between and last",
  format: "zst",
  make: async () =>
    concat(
      skippable(0, 16),
      await tool(["zstd", "-q", "-c", "--no-check"], HALF),
      skippable(15, 0),
      await tool(["zstd", "-q", "-c"], DATA),
      skippable(7, 100),
    ),
  expected: concat(HALF, DATA),
  reference: ["zstd", "-q", "-dc"],
});
for (const [format, fmt] of [["gz", "gzip"], ["xz", "xz"], ["lzma", "lzma"]] as const) {
  add({
    name: `zstd --format=${fmt}`,
    format,
    make: () => tool(["zstd", "-q", "-c", `--format=${fmt}`], DATA),
    reference: ["zstd", "-q", "-dc", `--format=${fmt}`],
  });
}

/** Decodes in-process, with PATH emptied so that no program can be used. */
async function inProcess<T>(fn: () => Promise<T>): Promise<T> {
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", "/nonexistent");
  try {
    return await fn();
  } finally {
    Deno.env.set("PATH", path);
  }
}

async function viaStream(bytes: Uint8Array, chunk: number, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.slice(i, i + chunk));
  return await new Response(decompressStream(ReadableStream.from(chunks), name)).bytes();
}

const present = new Map<string, boolean>();
for (const c of cases) for (const t of c.needs) if (!present.has(t)) present.set(t, await have(t));

for (const c of cases) {
  const missing = c.needs.filter((t) => !present.get(t));
  Deno.test({
    name: `${c.name}: decoded in-process as the reference program decodes it${
      missing.length ? ` (skipped: ${missing.join(", ")} not installed)` : ""
    }`,
    ignore: missing.length > 0,
    fn: async () => {
      const packed = await c.make();
      assert.equal(detectCompression(packed), c.format);
      sameBytes(await tool(c.reference, packed), c.expected, "the reference program");
      const name = `corpus.tar.${c.format}`;
      sameBytes(await inProcess(() => decompress(packed, name)), c.expected, "whole");
      sameBytes(await inProcess(() => viaStream(packed, 65_536, name)), c.expected, "streamed");
      sameBytes(await inProcess(() => viaStream(packed, 4_099, name)), c.expected, "streamed in small pieces");
    },
  });
}

/** The error `promise` rejects with, which must be a KilnError. */
async function failure(promise: Promise<unknown>): Promise<KilnError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    return err;
  }
  assert.fail("decoding succeeded");
}

/** Both the whole and the streamed decoder fail on `bytes` with a KilnError naming `name`; returns both. */
async function bothFail(bytes: Uint8Array, name: string): Promise<KilnError[]> {
  const errors = [
    await failure(inProcess(() => decompress(bytes, name))),
    await failure(inProcess(() => viaStream(bytes, 4_099, name))),
  ];
  for (const err of errors) assert.ok(err.message.includes(name), `"${err.message}" does not name ${name}`);
  return errors;
}

function assertDamaged(errors: KilnError[], detail: string) {
  for (const err of errors) {
    assert.match(err.message, /damaged xz data/);
    assert.ok(err.message.includes(detail), `"${err.message}" lacks "${detail}"`);
    assert.match(err.hint ?? "", /download/);
  }
}

function assertUnsupported(errors: KilnError[], detail: string) {
  for (const err of errors) {
    assert.ok(err.message.includes(`unsupported: ${detail}`), `"${err.message}" lacks "unsupported: ${detail}"`);
    assert.doesNotMatch(err.message, /damaged/);
    assert.doesNotMatch(err.hint ?? "", /download/);
    assert.match(err.hint ?? "", /not damaged/);
  }
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const setU32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);

/** Where the check of the last block of a single-stream xz file lies. */
function checkAt(file: Uint8Array, size: number): number {
  const indexSize = (u32(file, file.length - 8) + 1) * 4;
  return file.length - 12 - indexSize - size;
}

/** `packed` (made with `--x86 --lzma2`) with the x86 filter's ID replaced by `id`, the header CRC made right. */
function withFilterId(packed: Uint8Array, id: number): Uint8Array {
  const forged = packed.slice();
  const size = (forged[12] + 1) * 4;
  const header = forged.subarray(12, 12 + size);
  const x86 = header.findIndex((b, i) => i > 1 && b === 0x04 && header[i + 1] === 0 && header[i + 2] === 0x21);
  assert.ok(x86 > 0, "the x86 filter flags are in the block header");
  header[x86] = id;
  setU32(header, size - 4, crc32(header.subarray(0, size - 4)));
  return forged;
}

Deno.test("xz: a filter kiln does not know (RISC-V, or none at all) is unsupported, not damaged", {
  ignore: !present.get("xz"),
}, async () => {
  const packed = await tool(["xz", "-c", "--x86", "--lzma2"], HALF);
  assertUnsupported(await bothFail(withFilterId(packed, 0x0b), "riscv.tar.xz"), "xz filter 0x0B (RISC-V)");
  assertUnsupported(await bothFail(withFilterId(packed, 0x7f), "future.tar.xz"), "xz filter 0x7F");
});

Deno.test("xz: a check kiln does not know (0x02) is unsupported, not damaged", {
  ignore: !present.get("xz"),
}, async () => {
  const packed = await tool(["xz", "-c", "-C", "crc32"], HALF);
  // Check 0x02 stores 4 bytes like CRC-32: the file stays well-formed, with both flag CRCs made right.
  packed[7] = 0x02;
  setU32(packed, 8, crc32(packed.subarray(6, 8)));
  packed[packed.length - 3] = 0x02;
  setU32(packed, packed.length - 12, crc32(packed.subarray(packed.length - 8, packed.length - 2)));
  assertUnsupported(await bothFail(packed, "check2.tar.xz"), "xz check 0x02");
});

for (
  const [option, size, name] of [["crc32", 4, "CRC-32"], ["crc64", 8, "CRC-64"], ["sha256", 32, "SHA-256"]] as const
) {
  Deno.test(`xz: a ${name} check that does not match is damaged data`, { ignore: !present.get("xz") }, async () => {
    const packed = await tool(["xz", "-c", "-C", option], HALF);
    packed[checkAt(packed, size) + size - 1] ^= 1;
    assert.notEqual((await run("xz", ["-t"], { stdin: packed, allowFailure: true })).code, 0, "xz takes it");
    assertDamaged(await bothFail(packed, "bad.tar.xz"), `${name} check mismatch`);
  });
}

Deno.test("xz: cut short anywhere, with garbage after it or odd padding, it is damaged", {
  ignore: !present.get("xz"),
}, async () => {
  const packed = await tool(["xz", "-c", "-C", "sha256", "--x86", "--lzma2"], HALF);
  for (
    const at of [6, 12, 13, 40, 1000, packed.length >> 1, packed.length - 64, packed.length - 13, packed.length - 1]
  ) {
    assertDamaged(await bothFail(packed.subarray(0, at), `cut${at}.tar.xz`), "");
  }
  assertDamaged(await bothFail(concat(packed, new TextEncoder().encode("junk")), "junk.tar.xz"), "");
  assertDamaged(await bothFail(concat(packed, new Uint8Array(2)), "pad2.tar.xz"), "");
  // A flipped byte inside the LZMA2 data: caught by the decoder or by the check, never taken.
  for (const at of [100, 1000, packed.length >> 1]) {
    const flipped = packed.slice();
    flipped[at] ^= 0x40;
    assertDamaged(await bothFail(flipped, `flip${at}.tar.xz`), "");
  }
});

Deno.test("a tarball made as xz-utils makes its releases (tar, xz -C sha256 -e) extracts with no program in PATH", {
  ignore: !present.get("xz") || !(await have("tar")),
}, async () => {
  const { extractSource } = await import("../../lib/archive/extract.ts");
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/src/xz-9.9.9/src/liblzma`, { recursive: true });
    await Deno.writeFile(`${dir}/src/xz-9.9.9/src/liblzma/data.bin`, DATA);
    await Deno.writeTextFile(`${dir}/src/xz-9.9.9/README`, "XZ Utils\n");
    await run("tar", ["--format=ustar", "-C", `${dir}/src`, "-cf", `${dir}/xz-9.9.9.tar`, "xz-9.9.9"]);
    await run("xz", ["-C", "sha256", "-9e", "-T1", `${dir}/xz-9.9.9.tar`]);
    await inProcess(() => extractSource(`${dir}/xz-9.9.9.tar.xz`, `${dir}/out`));
    sameBytes(await Deno.readFile(`${dir}/out/src/liblzma/data.bin`), DATA, "extracted file");
    assert.equal(await Deno.readTextFile(`${dir}/out/README`), "XZ Utils\n");
  });
});

/** Where a single-stream xz file's index starts, and its size. */
function indexOf(file: Uint8Array): { at: number; size: number } {
  const size = (u32(file, file.length - 8) + 1) * 4;
  return { at: file.length - 12 - size, size };
}

/** Skips a variable-length integer at `at`; returns the offset after it. */
function skipVli(file: Uint8Array, at: number): number {
  while (file[at] & 0x80) at++;
  return at + 1;
}

Deno.test("xz: forged structure (index, footer, LZMA2 control) is damaged even with every CRC made right", {
  ignore: !present.get("xz"),
}, async () => {
  const packed = await tool(["xz", "-c", "-C", "crc32", "-T1"], HALF);
  // An index that lists a different uncompressed size, its CRC recomputed.
  const index = packed.slice();
  const { at, size } = indexOf(index);
  const uncompressed = skipVli(index, skipVli(index, at + 1));
  index[uncompressed] ^= 1;
  setU32(index, at + size - 4, crc32(index.subarray(at, at + size - 4)));
  assertDamaged(await bothFail(index, "index.tar.xz"), "index does not match the blocks");
  // A footer whose backward size points elsewhere, its CRC recomputed.
  const footer = packed.slice();
  setU32(footer, footer.length - 8, u32(footer, footer.length - 8) + 1);
  setU32(footer, footer.length - 12, crc32(footer.subarray(footer.length - 8, footer.length - 2)));
  assertDamaged(await bothFail(footer, "footer.tar.xz"), "stream footer does not match index");
  // LZMA2 data whose first chunk does not reset the dictionary (it could reach into memory never written).
  const control = packed.slice();
  const data = 12 + (control[12] + 1) * 4;
  assert.equal(control[data] & 0xe0, 0xe0, "the first LZMA2 chunk resets everything");
  control[data] = (control[data] & 0x1f) | 0xc0;
  assertDamaged(await bothFail(control, "control.tar.xz"), "does not begin with a dictionary reset");
});

Deno.test("xz: a block header claiming a 4 GiB dictionary still decodes (the window grows with the data)", {
  ignore: !present.get("xz"),
}, async () => {
  const packed = await tool(["xz", "-c", "-C", "crc64", "-T1"], HALF);
  const headerSize = (packed[12] + 1) * 4;
  const header = packed.subarray(12, 12 + headerSize);
  const lzma2 = header.findIndex((b, i) => b === 0x21 && header[i + 1] === 1);
  assert.ok(lzma2 > 0, "the LZMA2 filter flags are in the block header");
  header[lzma2 + 2] = 40; // the largest dictionary the format allows
  setU32(header, headerSize - 4, crc32(header.subarray(0, headerSize - 4)));
  sameBytes(await inProcess(() => decompress(packed, "bigdict.tar.xz")), HALF, "4 GiB dictionary");
  sameBytes(await inProcess(() => viaStream(packed, 4_099, "bigdict.tar.xz")), HALF, "4 GiB dictionary, streamed");
});

Deno.test("changed bytes anywhere are refused as damaged (every format but lzma, which has no check)", {
  ignore: ["xz", "lzip", "bzip2", "gzip", "zstd"].some((t) => !present.get(t)),
}, async () => {
  const small = DATA.subarray(0, 60_000);
  const files: [string, Uint8Array, boolean][] = [
    ["x86.tar.xz", await tool(["xz", "-c", "-C", "sha256", "--x86", "--lzma2"], small), true],
    ["delta.tar.xz", await tool(["xz", "-c", "-C", "crc64", "--delta=dist=3", "--lzma2"], small), true],
    ["blocks.tar.xz", await tool(["xz", "-c", "-C", "crc32", "--block-size=16KiB"], small), true],
    ["small.tar.lz", await tool(["lzip", "-c"], small), true],
    ["small.tar.bz2", concat(await tool(["bzip2", "-c"], small), await tool(["bzip2", "-c"], small)), true],
    ["small.tar.gz", await tool(["gzip", "-c"], small), true],
    ["small.tar.zst", await tool(["zstd", "-q", "-c"], small), true],
    ["small.tar.lzma", await tool(["xz", "-c", "--format=lzma"], small), false],
  ];
  const next = random(77);
  for (const [name, packed, checked] of files) {
    for (let n = 0; n < 150; n++) {
      const changed = packed.slice();
      const count = 1 + (next() % 3);
      // Past the magic number, so the format stays the same; each change really changes the byte.
      for (let k = 0; k < count; k++) changed[6 + (next() % (changed.length - 6))] ^= 1 + (next() % 255);
      try {
        await decompress(changed, name);
        if (checked) assert.fail(`${name}: change ${n} was taken`);
      } catch (err) {
        assert.ok(err instanceof KilnError, `${name}: change ${n} gave ${err}`);
        assert.match(err.message, new RegExp(`^${name.replaceAll(".", "\\.")}: (damaged|unsupported)`));
      }
    }
  }
});
