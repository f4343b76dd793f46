/**
 * Compression of archives: telling the format by its magic number, and
 * (de)compressing whole buffers (the fast path for install) or streams (for
 * archives too large to hold twice in memory).
 *
 * Decompression of every format kiss knows — gz, zst, xz, bz2, lz, lzma —
 * works in-process, so kiln needs no `tar`, `xz` or `zstd` in a fresh chroot.
 * Compression of zst (the default) and gz is in-process; bz2, xz, lz and
 * lzma run the `bzip2`, `xz`, `lzip` tools with fixed settings, and say so
 * clearly when the tool is missing.
 *
 * @example
 * ```ts
 * const bytes = await Deno.readFile("zlib@1.3-1.tar.zst");
 * const tar = await decompress(bytes, "zlib@1.3-1.tar.zst"); // by magic, not by name
 * ```
 *
 * @module
 */

import type { Compression } from "../config.ts";
import { concatBytes, decodeBytes, decodeStream, encodeBytes, encodeStream } from "./codecs.ts";
import { BLOCK, checksumMatches } from "./tar_header.ts";

/** Bytes needed to tell every format apart. */
const MAGIC_BYTES = 16;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

/** A legacy `.lzma` header: properties byte, a sensible dictionary size, unknown or plausible size. */
function looksLikeLzmaAlone(bytes: Uint8Array): boolean {
  if (bytes.length < 13 || bytes[0] >= 225) return false;
  const dictSize = (bytes[1] | (bytes[2] << 8) | (bytes[3] << 16) | (bytes[4] << 24)) >>> 0;
  // Encoders write 2^n or 2^n + 2^(n-1) (or at least a power-of-two-ish size); accept any ≥ 4 KiB and ≤ 4 GiB
  // whose low bits are zero, which leaves out text and tar headers.
  if (dictSize < 4096 || (dictSize & 0xfff) !== 0) return false;
  const size = bytes.subarray(5, 13);
  const unknown = size.every((b) => b === 0xff);
  return unknown || (size[6] === 0 && size[7] === 0);
}

/**
 * The compression of `bytes`, told by its magic number (the first 16 bytes
 * are enough); `"none"` for anything else — a plain tar, or not an archive.
 */
export function detectCompression(bytes: Uint8Array): Compression | "none" {
  if (startsWith(bytes, [0x1f, 0x8b])) return "gz";
  if (startsWith(bytes, [0x28, 0xb5, 0x2f, 0xfd])) return "zst";
  // A zstd skippable frame (magic 0x184D2A50–5F) may come first.
  if (bytes.length >= 4 && (bytes[0] & 0xf0) === 0x50 && bytes[1] === 0x2a && bytes[2] === 0x4d && bytes[3] === 0x18) {
    return "zst";
  }
  if (startsWith(bytes, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(bytes, [0x42, 0x5a, 0x68]) && bytes[3] >= 0x31 && bytes[3] <= 0x39) return "bz2";
  if (startsWith(bytes, [0x4c, 0x5a, 0x49, 0x50])) return "lz";
  if (bytes.length >= BLOCK && checksumMatches(bytes, 0)) return "none";
  if (looksLikeLzmaAlone(bytes)) return "lzma";
  return "none";
}

const SUFFIXES: [string, Compression | "none"][] = [
  [".tar", "none"],
  [".tgz", "gz"],
  [".taz", "gz"],
  [".gz", "gz"],
  [".tbz", "bz2"],
  [".tbz2", "bz2"],
  [".tb2", "bz2"],
  [".bz2", "bz2"],
  [".txz", "xz"],
  [".xz", "xz"],
  [".tzst", "zst"],
  [".tzs", "zst"],
  [".zst", "zst"],
  [".tlz", "lz"],
  [".lz", "lz"],
  [".lzma", "lzma"],
];

/**
 * The compression a file name suggests (`zlib-1.3.tar.gz` → `"gz"`,
 * `x.tar` → `"none"`), or `undefined` when the name says nothing. Only a
 * hint: {@linkcode decompress} goes by the bytes.
 */
export function compressionFromName(name: string): Compression | "none" | undefined {
  const lower = name.toLowerCase();
  for (const [suffix, format] of SUFFIXES) {
    if (lower.endsWith(suffix)) return format;
  }
  return undefined;
}

/**
 * Decompresses a whole buffer, choosing the format by its magic number;
 * returns `bytes` itself when it is not compressed. `name` (the file name)
 * goes into error messages. Throws a KilnError on damaged data.
 */
export async function decompress(bytes: Uint8Array, name = "archive"): Promise<Uint8Array> {
  const format = detectCompression(bytes.subarray(0, Math.max(MAGIC_BYTES, BLOCK)));
  return format === "none" ? bytes : await decodeBytes(format, bytes, name);
}

/**
 * Decompresses a stream, choosing the format by its first bytes; passes an
 * uncompressed stream through. The returned stream errors with a KilnError
 * on damaged data.
 */
export function decompressStream(stream: ReadableStream<Uint8Array>, name = "archive"): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async start() {
      // Read enough to see the magic number (and a tar header, to tell tar from lzma).
      let have = 0;
      let ended = false;
      while (have < BLOCK) {
        const { value, done } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        head.push(value);
        have += value.length;
      }
      const first = head.length === 1 ? head[0] : concatBytes(head);
      const format = detectCompression(first);
      let index = 0;
      const rest = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (index < head.length) {
            controller.enqueue(head[index++]);
            return;
          }
          if (ended) {
            controller.close();
            return;
          }
          const { value, done } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel() {
          return reader.cancel();
        },
      });
      inner = (format === "none" ? rest : decodeStream(format, rest, name)).getReader();
    },
    async pull(controller) {
      const { value, done } = await inner!.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await (inner ?? reader).cancel().catch(() => {});
    },
  });
}

/**
 * Compresses a whole buffer with kiln's fixed settings for `format` (the
 * same input gives the same bytes): zstd level 3 with a checksum, gzip level
 * 6 with no name or time in its header; bz2, xz (single-threaded), lz and
 * lzma through their tools.
 */
export async function compress(bytes: Uint8Array, format: Compression): Promise<Uint8Array> {
  return await encodeBytes(format, bytes);
}

/** Compresses a stream with the same fixed settings as {@linkcode compress}. */
export function compressStream(stream: ReadableStream<Uint8Array>, format: Compression): ReadableStream<Uint8Array> {
  return encodeStream(format, stream);
}
