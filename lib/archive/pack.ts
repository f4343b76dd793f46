/**
 * Reproducible package archives (SPEC §6): the built package directory as
 * `<pkg>@<version>-<release>.tar.<ext>`, the same bytes every time from the
 * same files.
 *
 * The layout is what kiss's `tar cf - .` in the package directory gives, so
 * that kiss installs kiln's archives and kiln installs kiss's: a `./` entry
 * first, then every path as `./usr/bin/x`, directories with a trailing `/`.
 * What makes it reproducible:
 * - entries sorted by path, in byte order (parents before children);
 * - owner and group 0:0, no owner names;
 * - modification times clamped to `SOURCE_DATE_EPOCH` (min(mtime, epoch));
 * - modes as on disk: permission bits with setuid, setgid and sticky;
 * - hard links within the package as hard-link entries to the first path
 *   in sort order; symbolic links as links;
 * - the GNU tar format with nothing from the host: no pax records, no atime
 *   or ctime, no device numbers;
 * - compression with fixed settings (see `compress.ts`).
 * Device nodes, FIFOs and sockets have no place in a package: refused.
 *
 * The archive is written to `<outFile>.tmp-<random>` and renamed into place.
 *
 * @module
 */

import type { Compression } from "../config.ts";
import { KilnError } from "../errors.ts";
import { compressStream } from "./compress.ts";
import type { TarEntry } from "./tar_entry.ts";
import { type TarInput, tarStream } from "./tar_encode.ts";

/** Options of {@linkcode packDirectory}. */
export interface PackOptions {
  /** Compression of the archive (KISS_COMPRESS). */
  compression: Compression;
  /** `SOURCE_DATE_EPOCH`: no entry is newer than this (seconds). */
  sourceDateEpoch: number;
}

/** Files larger than this are streamed into the archive rather than read whole. */
const READ_WHOLE_LIMIT = 16 * 1024 * 1024;

interface Found {
  /** Path relative to the package directory ("." for itself). */
  rel: string;
  info: Deno.FileInfo;
}

const encoder = new TextEncoder();

/** Byte-order comparison of two paths (UTF-16 order differs from UTF-8 byte order past U+FFFF). */
export function compareBytes(a: string, b: string): number {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function walk(pkgdir: string): Found[] {
  const found: Found[] = [{ rel: ".", info: Deno.lstatSync(pkgdir) }];
  const visit = (rel: string) => {
    const dir = rel === "." ? pkgdir : `${pkgdir}/${rel}`;
    for (const item of Deno.readDirSync(dir)) {
      const child = rel === "." ? item.name : `${rel}/${item.name}`;
      const info = Deno.lstatSync(`${pkgdir}/${child}`);
      found.push({ rel: child, info });
      if (info.isDirectory) visit(child);
    }
  };
  visit(".");
  return found.sort((a, b) => (a.rel === "." ? -1 : b.rel === "." ? 1 : compareBytes(a.rel, b.rel)));
}

function kindOf(pkgdir: string, { rel, info }: Found): "file" | "directory" | "symlink" {
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isSymlink) return "symlink";
  const what = info.isFifo ? "a FIFO" : info.isSocket ? "a socket" : "a device node";
  throw new KilnError(`${pkgdir}/${rel}: ${what} cannot go into a package archive`, {
    hint: "remove it from the package directory in the build script (packages hold files, directories and links)",
  });
}

/** The archive's entries, in order, with file contents read as they are pulled. */
async function* entries(pkgdir: string, found: Found[], epoch: number): AsyncGenerator<TarInput> {
  const firstPath = new Map<string, string>();
  for (const item of found) {
    const { rel, info } = item;
    const type = kindOf(pkgdir, item);
    const path = rel === "." ? "." : `./${rel}`;
    const mtime = Math.min(Math.floor((info.mtime?.getTime() ?? 0) / 1000), epoch);
    const entry: TarEntry = { path, type, mode: info.mode! & 0o7777, uid: 0, gid: 0, mtime, size: 0 };
    const full = `${pkgdir}/${rel}`;
    if (type === "symlink") {
      entry.mode = 0o777;
      entry.linkName = Deno.readLinkSync(full);
      yield { entry };
    } else if (type === "directory") {
      yield { entry };
    } else {
      if (info.nlink! > 1) {
        const key = `${info.dev}:${info.ino}`;
        const first = firstPath.get(key);
        if (first !== undefined) {
          yield { entry: { ...entry, type: "hardlink", linkName: first } };
          continue;
        }
        firstPath.set(key, path);
      }
      entry.size = info.size;
      if (info.size > READ_WHOLE_LIMIT) {
        const file = await Deno.open(full);
        yield { entry, body: file.readable };
      } else {
        const body = await Deno.readFile(full);
        if (body.length !== info.size) {
          throw new KilnError(`${full} changed while the package archive was written`, {
            hint: "make sure nothing else writes into the package directory, then build again",
          });
        }
        yield { entry, body };
      }
    }
  }
}

/**
 * Packs `pkgdir` into the compressed archive `outFile`, reproducibly (see
 * the module documentation). Throws a KilnError for a device node or FIFO
 * in the package, or when the compressor fails; no partial `outFile` is
 * ever left behind.
 */
export async function packDirectory(pkgdir: string, outFile: string, options: PackOptions): Promise<void> {
  let found: Found[];
  try {
    found = walk(pkgdir);
  } catch (err) {
    throw new KilnError(`cannot read package directory ${pkgdir}: ${(err as Error).message}`, {
      hint: "the build did not produce a package directory",
      cause: err,
    });
  }
  // Refuse special files before anything is written.
  for (const item of found) kindOf(pkgdir, item);

  const random = crypto.getRandomValues(new Uint32Array(2));
  const tmp = `${outFile}.tmp-${random[0].toString(36)}${random[1].toString(36)}`;
  const out = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    const archive = tarStream(entries(pkgdir, found, options.sourceDateEpoch));
    await compressStream(archive, options.compression).pipeTo(out.writable);
    await Deno.rename(tmp, outFile);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
