/**
 * The (de)compressors behind `compress.ts`, one per format, each with a
 * whole-buffer and a streaming form.
 *
 * In-process: gzip and zstd through `node:zlib`; xz through kiln's own
 * decoder (`xz_decode.ts`); bzip2 through `seek-bzip`; lzip and legacy lzma
 * through `lzip_decode.ts`. All three of kiln's own sit on the LZMA decoder
 * of `lzma_decode.ts`.
 * Writing bz2, xz, lz and lzma runs their command-line tools. Every library
 * is imported only when its format is met.
 *
 * @module
 */

import type { Compression } from "../config.ts";
import { KilnError } from "../errors.ts";
import { filterBytes, type FilterJob, filterStream } from "./cli_filter.ts";
import { throughNode } from "./node_stream.ts";
import { ZstdSplitter } from "./zstd_frames.ts";
import { decodeZstdShared } from "./zstd_shared.ts";

/** zstd level of package archives (the zstd tool's default, as kiss's `zstd -z`). */
export const ZSTD_LEVEL = 3;
/** gzip level of package archives (kiss runs `gzip -6`). */
export const GZIP_LEVEL = 6;

/** Human name of each format, for messages. */
export const FORMAT_NAME: Record<Compression, string> = {
  gz: "gzip",
  zst: "zstd",
  xz: "xz",
  bz2: "bzip2",
  lz: "lzip",
  lzma: "lzma",
};

/**
 * The error for data that does not decompress: damaged data, or (for data
 * that uses a feature kiln's decoder lacks) "unsupported", which is never
 * called damaged.
 */
export function damaged(name: string, format: Compression, err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === "XzUnsupported") {
    return new KilnError(`${name}: unsupported: ${detail}`, {
      hint: `the file is not damaged, but kiln's own ${FORMAT_NAME[format]} decoder does not implement this; ` +
        `unpack it with the ${FORMAT_NAME[format]} tool, or recompress it without that feature`,
      cause: err,
    });
  }
  return new KilnError(`${name}: damaged ${FORMAT_NAME[format]} data: ${detail}`, {
    hint: "the file is corrupt or incomplete: delete it and download or build it again",
    cause: err,
  });
}

type Zlib = typeof import("node:zlib");
let zlibModule: Promise<Zlib> | undefined;
function zlib(): Promise<Zlib> {
  return zlibModule ??= import("node:zlib");
}

function zstdParams(z: Zlib) {
  return {
    params: {
      [z.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
      [z.constants.ZSTD_c_checksumFlag]: 1,
    },
  };
}

function callback<T>(run: (done: (err: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, result) => err ? reject(err) : resolve(result)));
}

function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function oneChunk(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return await new Response(stream).bytes();
}

/** A stream that yields the result of `produce` once `input` is read in full (for decoders that need it all). */
function whole(
  input: ReadableStream<Uint8Array>,
  produce: (bytes: Uint8Array) => Promise<Uint8Array>,
): ReadableStream<Uint8Array> {
  let output: Uint8Array | undefined;
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      output ??= await produce(await collect(input));
      if (pos >= output.length) {
        controller.close();
        return;
      }
      const end = Math.min(output.length, pos + (1 << 20));
      controller.enqueue(output.subarray(pos, end));
      pos = end;
    },
    cancel() {
      return input.cancel().catch(() => {});
    },
  });
}

const CLI_COMPRESS: Record<"bz2" | "xz" | "lz" | "lzma", FilterJob> = {
  bz2: {
    commands: [["bzip2", "-zc", "-9"]],
    what: "compress with bzip2",
    missingHint: "install bzip2, or set KISS_COMPRESS=zst (the default, written by kiln itself)",
  },
  xz: {
    commands: [["xz", "-zc", "-6", "-T1"]],
    what: "compress with xz",
    missingHint: "install xz, or set KISS_COMPRESS=zst (the default, written by kiln itself)",
  },
  lz: {
    commands: [["lzip", "-c", "-6"]],
    what: "compress with lzip",
    missingHint: "install lzip, or set KISS_COMPRESS=zst (the default, written by kiln itself)",
  },
  lzma: {
    commands: [["xz", "--format=lzma", "-zc", "-6"], ["lzma", "-zc", "-6"]],
    what: "compress with lzma",
    missingHint: "install xz, or set KISS_COMPRESS=zst (the default, written by kiln itself)",
  },
};

/**
 * What kiln does with one format: decode a whole buffer or a stream, encode
 * a whole buffer or a stream with kiln's fixed settings. Errors are wrapped
 * by the exported functions below.
 */
interface Codec {
  decodeBytes(bytes: Uint8Array, name: string): Promise<Uint8Array>;
  decodeStream(input: ReadableStream<Uint8Array>, name: string): Promise<ReadableStream<Uint8Array>>;
  encodeBytes(bytes: Uint8Array): Promise<Uint8Array>;
  encodeStream(input: ReadableStream<Uint8Array>, wrap: (err: unknown) => unknown): ReadableStream<Uint8Array>;
}

/** A format decoded only whole: its stream form gathers the input first. */
function wholeOnly(decode: (bytes: Uint8Array) => Promise<Uint8Array>): Pick<Codec, "decodeBytes" | "decodeStream"> {
  return {
    decodeBytes: decode,
    decodeStream: (input) => Promise.resolve(whole(input, decode)),
  };
}

/** A format written by its command-line tool. */
function byTool(job: FilterJob): Pick<Codec, "encodeBytes" | "encodeStream"> {
  return {
    encodeBytes: (bytes) => filterBytes(job, bytes),
    encodeStream: (input) => filterStream(job, input),
  };
}

const CODECS: Record<Compression, Codec> = {
  gz: {
    async decodeBytes(bytes) {
      const z = await zlib();
      const chunkSize = outputChunk(gzipSizeHint(bytes));
      return view(await callback<Uint8Array>((done) => z.gunzip(bytes, { chunkSize }, done)));
    },
    decodeStream: async (input, name) =>
      throughNode(input, (await zlib()).createGunzip(), (err) => damaged(name, "gz", err)),
    async encodeBytes(bytes) {
      const z = await zlib();
      return view(await callback<Uint8Array>((done) => z.gzip(bytes, { level: GZIP_LEVEL }, done)));
    },
    encodeStream: (input, wrap) =>
      lazyStream(async () => throughNode(input, (await zlib()).createGzip({ level: GZIP_LEVEL }), wrap), wrap),
  },
  zst: {
    async decodeBytes(bytes) {
      // Synchronous and frame by frame: see zstdStream for why. Into shared memory where it can be done.
      const z = await zlib();
      const frames = zstdFrames(bytes);
      const shared = decodeZstdShared(z, frames);
      if (shared !== undefined) return shared;
      const decode = (f: { bytes: Uint8Array; bound: number }) =>
        view(z.zstdDecompressSync(f.bytes, { chunkSize: outputChunk(f.bound) }));
      return frames.length === 1 ? decode(frames[0]) : concatBytes(frames.map(decode));
    },
    decodeStream: async (input, name) => ReadableStream.from(zstdStream(input, await zlib(), name)),
    async encodeBytes(bytes) {
      const z = await zlib();
      return view(await callback<Uint8Array>((done) => z.zstdCompress(bytes, zstdParams(z), done)));
    },
    encodeStream: (input, wrap) =>
      lazyStream(async () => {
        const z = await zlib();
        return throughNode(input, z.createZstdCompress(zstdParams(z)), wrap);
      }, wrap),
  },
  xz: {
    decodeBytes: async (bytes) => await collect(await xzStream(oneChunk(bytes))),
    decodeStream: (input) => xzStream(input),
    ...byTool(CLI_COMPRESS.xz),
  },
  bz2: { ...wholeOnly(bunzip), ...byTool(CLI_COMPRESS.bz2) },
  lz: {
    ...wholeOnly(async (bytes) => (await import("./lzip_decode.ts")).decodeLzip(bytes)),
    ...byTool(CLI_COMPRESS.lz),
  },
  lzma: {
    ...wholeOnly(async (bytes) => (await import("./lzip_decode.ts")).decodeLzmaAlone(bytes)),
    ...byTool(CLI_COMPRESS.lzma),
  },
};

/** Decompresses a whole buffer of the given format. */
export async function decodeBytes(format: Compression, bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    return await CODECS[format].decodeBytes(bytes, name);
  } catch (err) {
    throw damaged(name, format, err);
  }
}

/** Decompresses a stream of the given format. */
export function decodeStream(
  format: Compression,
  input: ReadableStream<Uint8Array>,
  name: string,
): ReadableStream<Uint8Array> {
  return lazyStream(() => CODECS[format].decodeStream(input, name), (err) => damaged(name, format, err));
}

/** Compresses a whole buffer with kiln's fixed settings for the format. */
export async function encodeBytes(format: Compression, bytes: Uint8Array): Promise<Uint8Array> {
  return await CODECS[format].encodeBytes(bytes);
}

/** Compresses a stream with kiln's fixed settings for the format. */
export function encodeStream(format: Compression, input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const wrap = (err: unknown) =>
    err instanceof KilnError ? err : new KilnError(`cannot compress with ${FORMAT_NAME[format]}: ${err}`, {
      cause: err,
    });
  return CODECS[format].encodeStream(input, wrap);
}

/** A stream whose source is made asynchronously on first read. */
function lazyStream(
  make: () => Promise<ReadableStream<Uint8Array>>,
  wrap: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        reader ??= (await make()).getReader();
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(wrap(err));
      }
    },
    cancel() {
      return reader?.cancel().catch(() => {});
    },
  });
}

async function xzStream(input: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const { decodeXz } = await import("./xz_decode.ts");
  return ReadableStream.from(decodeXz(input));
}

async function bunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const { default: Bunzip } = await import("seek-bzip");
  return view(Bunzip.decode(bytes, undefined, true));
}

/** The bytes of `parts` one after another, in a new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** The frames of whole zstd data (skippable frames dropped), each with a bound of its decompressed size. */
function zstdFrames(bytes: Uint8Array): { bytes: Uint8Array; bound: number }[] {
  const splitter = new ZstdSplitter();
  const pieces = splitter.push(bytes);
  splitter.finish();
  return pieces.map((p) => ({ bytes: p.bytes, bound: p.bound ?? 0 }));
}

/**
 * How many bytes compressed data of `format` decompresses to at most, as far
 * as its headers tell without decoding (zstd: frame and block headers; gzip:
 * its trailer, exact for a single member) — a hint for sizing buffers,
 * `undefined` when the format or the data gives none. `frames` is the
 * number of zstd frames (1 for gzip).
 */
export function decodedSizeHint(
  format: Compression,
  bytes: Uint8Array,
): { bound: number; frames: number } | undefined {
  try {
    if (format === "gz") return { bound: gzipSizeHint(bytes), frames: 1 };
    if (format === "zst") {
      const frames = zstdFrames(bytes);
      return { bound: frames.reduce((n, f) => n + f.bound, 0), frames: frames.length };
    }
  } catch { /* damaged: the decoder will say so */ }
  return undefined;
}

/** Largest output buffer asked for at once; bigger output is gathered in several. */
const MAX_OUTPUT_CHUNK = 256 * 1024 * 1024;

/**
 * The output chunk size for a frame that decompresses to at most `bound`
 * bytes. One chunk of the whole size is filled in place and returned as it
 * is; many small chunks would be copied into a new buffer at the end, which
 * touches every page twice. Pages of the chunk the output does not reach are
 * never touched, so a loose bound costs nothing.
 */
function outputChunk(bound: number): number {
  return Math.min(MAX_OUTPUT_CHUNK, Math.max(64 * 1024, bound + 1));
}

/**
 * The uncompressed size a gzip file's trailer records (its last member's
 * size modulo 4 GiB): exact for the usual single-member file, and only a
 * hint otherwise.
 */
function gzipSizeHint(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 18) return 0;
  return (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0;
}

/** The most one zstd frame may decompress to in-process (one frame is decoded whole). */
const ZSTD_FRAME_MOST = 1024 ** 3;

/**
 * Decodes a zstd stream frame by frame (at most {@linkcode ZSTD_FRAME_MOST} each). Each frame is gathered and decoded
 * whole with the synchronous decoder: Deno's streaming zstd decoder reports
 * a checksum mismatch as an uncaught exception rather than as a stream
 * error, and stops after the first frame. Memory use is one frame's
 * compressed and decompressed size (the zstd tool writes one frame per file;
 * multi-threaded and `pzstd` output has many smaller ones).
 */
async function* zstdStream(input: ReadableStream<Uint8Array>, z: Zlib, name: string): AsyncGenerator<Uint8Array> {
  const splitter = new ZstdSplitter();
  let frame: Uint8Array[] = [];
  for await (const chunk of input) {
    for (const piece of splitter.push(chunk)) {
      // Pieces are views into `chunk`, which the source may reuse: keep copies.
      if (piece.bytes.length > 0) frame.push(piece.bytes.slice());
      if (!piece.last) continue;
      let out: Uint8Array;
      try {
        out = z.zstdDecompressSync(frame.length === 1 ? frame[0] : concatBytes(frame), {
          chunkSize: outputChunk(Math.min(piece.bound ?? 0, ZSTD_FRAME_MOST)),
          maxOutputLength: ZSTD_FRAME_MOST,
        });
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") throw err;
        throw new KilnError(
          `${name}: a zstd frame decompresses to more than ${ZSTD_FRAME_MOST / 1024 ** 3} GiB, the most kiln ` +
            "decompresses at once in-process",
          { hint: "install the zstd program (kiln then reads the archive as a stream)" },
        );
      }
      frame = [];
      for (let pos = 0; pos < out.length; pos += 1 << 20) yield view(out.subarray(pos, pos + (1 << 20)));
    }
  }
  splitter.finish();
}
