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
 * Device nodes, FIFOs and sockets have no place in a package: refused
 * before anything is opened (a FIFO is never opened, so it cannot stall the
 * packer).
 *
 * The package directory is the build's: it is walked and read through
 * directory descriptors ({@linkcode PackageDir}), so a symbolic link is packed
 * as a link and never followed, and a file is read from the descriptor its
 * `fstat` was checked on, not looked up again by name.
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
import { closeFile, fstat, pread } from "../../ffi/fs.ts";
import { describeSpecial, PackageDir, type PackageEntry, readAll, typeOf } from "../build/pkgdir.ts";

/** Options of {@linkcode packDirectory}. */
export interface PackOptions {
  /** Compression of the archive (KISS_COMPRESS). */
  compression: Compression;
  /** `SOURCE_DATE_EPOCH`: no entry is newer than this (seconds). */
  sourceDateEpoch: number;
}

/** Files larger than this are streamed into the archive rather than read whole. */
const READ_WHOLE_LIMIT = 16 * 1024 * 1024;
/** Bytes per read of a streamed file. */
const STREAM_CHUNK = 1024 * 1024;

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

function walk(pkg: PackageDir): PackageEntry[] {
  const found: PackageEntry[] = [{ rel: ".", stat: fstat(pkg.fd) }, ...pkg.walk(compareBytes)];
  return found.sort((a, b) => (a.rel === "." ? -1 : b.rel === "." ? 1 : compareBytes(a.rel, b.rel)));
}

function kindOf(pkgdir: string, { rel, stat }: PackageEntry): "file" | "directory" | "symlink" {
  const type = typeOf(stat.mode);
  if (type !== "special") return type;
  throw new KilnError(`${pkgdir}/${rel}: ${describeSpecial(stat.mode)} cannot go into a package archive`, {
    hint: "remove it from the package directory in the build script (packages hold files, directories and links)",
  });
}

/** The contents of `fd` (`size` bytes) as a stream of pieces read with `pread`; closes `fd` at the end. */
function streamOf(fd: number, size: number, path: string): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= size) {
        closeFile(fd);
        controller.close();
        return;
      }
      const buf = new Uint8Array(Math.min(STREAM_CHUNK, size - offset));
      const n = pread(fd, buf, offset);
      if (n === 0) {
        closeFile(fd);
        controller.error(changed(path));
        return;
      }
      offset += n;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      closeFile(fd);
    },
  });
}

function changed(path: string): KilnError {
  return new KilnError(`${path} changed while the package archive was written`, {
    hint: "make sure nothing else writes into the package directory, then build again",
  });
}

/**
 * The archive's entries, in order, with file contents read as they are
 * pulled: each file opened beneath the package directory with `O_NOFOLLOW`,
 * and packed only when the descriptor's `fstat` shows the very file the walk
 * found (same device, inode and size).
 */
async function* entries(pkg: PackageDir, found: PackageEntry[], epoch: number): AsyncGenerator<TarInput> {
  const firstPath = new Map<string, string>();
  for (const item of found) {
    const { rel, stat } = item;
    const type = kindOf(pkg.path, item);
    const path = rel === "." ? "." : `./${rel}`;
    const mtime = Math.min(stat.mtime, epoch);
    const entry: TarEntry = { path, type, mode: stat.mode & 0o7777, uid: 0, gid: 0, mtime, size: 0 };
    const full = `${pkg.path}/${rel}`;
    if (type === "symlink") {
      entry.mode = 0o777;
      entry.linkName = item.link!;
      yield { entry };
    } else if (type === "directory") {
      yield { entry };
    } else {
      if (stat.nlink > 1) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = firstPath.get(key);
        if (first !== undefined) {
          yield { entry: { ...entry, type: "hardlink", linkName: first } };
          continue;
        }
        firstPath.set(key, path);
      }
      entry.size = stat.size;
      const opened = pkg.openFile(rel);
      if (opened === undefined) throw changed(full);
      const now = opened.stat;
      if (now.dev !== stat.dev || now.ino !== stat.ino || now.size !== stat.size) {
        closeFile(opened.fd);
        throw changed(full);
      }
      if (stat.size > READ_WHOLE_LIMIT) {
        yield { entry, body: streamOf(opened.fd, stat.size, full) };
      } else {
        let body: Uint8Array;
        try {
          body = readAll(opened.fd, stat.size, full);
        } finally {
          closeFile(opened.fd);
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
  let pkg: PackageDir;
  let found: PackageEntry[];
  try {
    pkg = PackageDir.open(pkgdir);
  } catch (err) {
    throw new KilnError(`cannot read package directory ${pkgdir}: ${(err as Error).message}`, {
      hint: "the build did not produce a package directory",
      cause: err,
    });
  }
  try {
    found = walk(pkg);
    // Refuse special files before anything is written.
    for (const item of found) kindOf(pkgdir, item);

    const random = crypto.getRandomValues(new Uint32Array(2));
    const tmp = `${outFile}.tmp-${random[0].toString(36)}${random[1].toString(36)}`;
    const out = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      const archive = tarStream(entries(pkg, found, options.sourceDateEpoch));
      await compressStream(archive, options.compression).pipeTo(out.writable);
      await Deno.rename(tmp, outFile);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  } finally {
    pkg.close();
  }
}
