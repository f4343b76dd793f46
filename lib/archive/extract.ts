/**
 * Extraction of source archives into a build directory (SPEC §2).
 *
 * Any tar archive kiln can decompress (gz, bz2, xz, zst, lz, lzma, or none;
 * told by magic number) is extracted. As in kiss, when every entry lies
 * under one top-level directory, that directory's contents land directly in
 * the destination: kiln writes each entry straight to its shortened path
 * rather than moving files afterwards (no cross-device moves, no name
 * clashes with the top directory).
 *
 * Safety: names that are absolute or contain `..`, paths through a symbolic
 * link, and hard links to anything but a file extracted earlier are refused
 * with an error naming the entry; nothing is ever written outside
 * `destDir` (an archive refused half-way may leave what it wrote inside it).
 * Device nodes and FIFOs are skipped with a warning: builds have no use for
 * them and could not make them unprivileged. Modes (without setuid/setgid),
 * symlinks, hard links and modification times are kept.
 *
 * Which sources are archives is the caller's decision, by name as kiss
 * decides it: see {@linkcode isArchiveName}. kiss extracts only tar
 * archives; single compressed files (`.gz`, `.xz`, …) and `.zip` files are
 * copied as they are.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { Log, silent } from "../log.ts";
import { decompress, decompressStream, detectCompression } from "./compress.ts";
import { stripTopComponent, topComponent } from "./entry_path.ts";
import { parseTar, readTar, type TarItem } from "./tar.ts";
import { BLOCK, checksumMatches } from "./tar_header.ts";
import { TreeWriter } from "./tree_writer.ts";

/** Archives up to this size are decompressed in memory; larger ones are streamed (twice). */
const IN_MEMORY_LIMIT = 256 * 1024 * 1024;

/** Options of {@linkcode extractSource}. */
export interface ExtractOptions {
  /** Receives warnings (skipped device nodes) and debug lines. */
  log?: Log;
  /** Archives larger than this many bytes are streamed instead of read into memory (default 256 MiB). */
  inMemoryLimit?: number;
}

/**
 * True for names kiss extracts: `*.tar`, `*.tar.??`, `*.tar.???`,
 * `*.tar.????` and `*.t?z` (`.tgz`, `.txz`, `.tbz`…). Everything else — a
 * plain `.gz`, a `.zip`, a patch — is copied as it is.
 */
export function isArchiveName(name: string): boolean {
  return /\.tar(\.[^/]{2,4})?$/.test(name) || /\.t[^/]z$/.test(name);
}

/** What the first pass learns: whether to strip the single top-level directory. */
function singleTopDirectory(items: Iterable<TarItem>): string | undefined {
  let top: string | undefined;
  let isDir = false;
  for (const { entry } of items) {
    if (entry.path === ".") continue;
    const first = topComponent(entry.path);
    if (top === undefined) top = first;
    else if (first !== top) return undefined;
    if (entry.path === first) {
      if (entry.type !== "directory") return undefined;
      isDir = true;
    } else {
      isDir = true;
    }
  }
  return isDir ? top : undefined;
}

/** The first `n` bytes of a stream (fewer if it is shorter); the stream is cancelled. */
async function head(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < n) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    have += value.length;
  }
  await reader.cancel();
  const out = new Uint8Array(Math.min(have, n));
  let pos = 0;
  for (const chunk of chunks) {
    out.set(chunk.subarray(0, out.length - pos), pos);
    pos += Math.min(chunk.length, out.length - pos);
  }
  return out;
}

/**
 * Extracts the tar archive `archive` (compressed or not) into `destDir`,
 * which is created if missing. See the module documentation for the rules.
 * Throws a KilnError naming the archive (and entry) when it is missing,
 * damaged, not a tar archive, or unsafe.
 */
export async function extractSource(archive: string, destDir: string, options: ExtractOptions = {}): Promise<void> {
  const log = options.log ?? new Log(silent);
  const name = archive.slice(archive.lastIndexOf("/") + 1);
  let size: number;
  try {
    size = (await Deno.stat(archive)).size;
  } catch (err) {
    throw new KilnError(`cannot read source archive ${archive}: ${(err as Error).message}`, {
      hint: "download the sources again (kiln download)",
      cause: err,
    });
  }

  // The entries are read once in memory (they decide the stripping, then are written: bodies are views
  // into the archive), or streamed twice from the file.
  let items: TarItem[] | undefined;
  let stream: (() => AsyncIterable<TarItem>) | undefined;
  let strip: string | undefined;
  if (size <= (options.inMemoryLimit ?? IN_MEMORY_LIMIT)) {
    const raw = await Deno.readFile(archive);
    const format = detectCompression(raw.subarray(0, BLOCK));
    const tar = await decompress(raw, name);
    checkTar(tar.subarray(0, BLOCK), name, format);
    items = [...parseTar(tar, { name })];
    strip = singleTopDirectory(items);
  } else {
    const open = async () => decompressStream((await Deno.open(archive)).readable, name);
    checkTar(await head(await open(), BLOCK), name, "stream");
    const entries: TarItem[] = [];
    for await (const { entry } of readTar(await open(), { name })) entries.push({ entry, body: new Uint8Array(0) });
    strip = singleTopDirectory(entries);
    stream = async function* () {
      yield* readTar(await open(), { name });
    };
  }

  await Deno.mkdir(destDir, { recursive: true });
  log.debug(`extracting ${name} into ${destDir}${strip === undefined ? "" : ` (contents of ${strip}/)`}`);
  const writer = new TreeWriter(destDir, name);
  let skipped = 0;
  const write = ({ entry, body }: TarItem) => {
    const path = strip === undefined ? entry.path : stripTopComponent(entry.path);
    switch (entry.type) {
      case "file":
        writer.file(path, entry.path, body, entry.mode, entry.mtime);
        break;
      case "directory":
        writer.directory(path, entry.path, entry.mode, entry.mtime);
        break;
      case "symlink":
        writer.symlink(path, entry.path, entry.linkName!);
        break;
      case "hardlink": {
        const target = entry.linkName!;
        const stripped = strip === undefined
          ? target
          : topComponent(target) === strip && target !== strip
          ? stripTopComponent(target)
          : "";
        writer.hardlink(path, entry.path, stripped, target);
        break;
      }
      default:
        skipped++;
        log.warn(`${name}: skipped ${entry.type === "fifo" ? "FIFO" : "device node"} ${entry.path}`);
    }
  };
  if (items !== undefined) items.forEach(write);
  else if (stream !== undefined) { for await (const item of stream()) write(item); }
  writer.finish();
  if (skipped > 0) log.debug(`${name}: ${skipped} special file(s) skipped`);
}

function checkTar(head: Uint8Array, name: string, format: string): void {
  if (head.length === BLOCK && (checksumMatches(head, 0) || head.every((b) => b === 0))) return;
  const what = format === "none" ? "" : format === "stream" ? " after decompression" : ` after ${format} decompression`;
  throw new KilnError(`${name}: not a tar archive${what}`, {
    hint: "kiln extracts tar archives only; add ?no-extract to the source line to copy the file as it is",
  });
}
