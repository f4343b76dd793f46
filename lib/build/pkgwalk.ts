/**
 * Walking and reading a package directory the build wrote, from directory
 * descriptors (for {@linkcode PackageDir} of `pkgdir.ts`): entries examined
 * with `statx` relative to their directory, directories entered with
 * `O_NOFOLLOW`, names that are not UTF-8 refused.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";
import { AT, closeFile, getdents, O, openatFile, pread, readlinkat, S, type Stat, statx } from "../../ffi/fs.ts";

const DIR_FLAGS = O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;

/** One entry of a package directory, as {@linkcode PackageDir.walk} finds it. */
export interface PackageEntry {
  /** Path relative to the package directory, without a leading `/`. */
  readonly rel: string;
  /** `statx` of the entry itself (a link is not followed). */
  readonly stat: Stat;
  /** The target, for a symbolic link. */
  readonly link?: string;
}

/** The file type of a mode: `file`, `directory`, `symlink` or `special`. */
export function typeOf(mode: number): "file" | "directory" | "symlink" | "special" {
  switch (mode & S.FMT) {
    case S.REG:
      return "file";
    case S.DIR:
      return "directory";
    case S.LNK:
      return "symlink";
    default:
      return "special";
  }
}

/** What a special file is, in words: "a FIFO", "a socket", "a device node". */
export function describeSpecial(mode: number): string {
  const t = mode & S.FMT;
  return t === S.FIFO ? "a FIFO" : t === S.SOCK ? "a socket" : "a device node";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The entries below the open directory `dirFd` (package-relative path `rel`
 * of the package directory `path`), parents before children, each
 * directory's entries in the order `cmp` gives; `skip` prunes directories.
 */
export function walkDirectory(
  dirFd: number,
  rel: string,
  path: string,
  cmp: (a: string, b: string) => number,
  skip?: (rel: string) => boolean,
): PackageEntry[] {
  const out: PackageEntry[] = [];
  const visit = (dirFd: number, rel: string) => {
    const names = getdents(dirFd).map((e) => decodeName(e.name, rel, path)).sort(cmp);
    for (const name of names) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const stat = statx(dirFd, name, AT.SYMLINK_NOFOLLOW);
      const type = typeOf(stat.mode);
      out.push(type === "symlink" ? { rel: child, stat, link: readlinkat(dirFd, name) } : { rel: child, stat });
      if (type !== "directory" || skip?.(child)) continue;
      let fd: number;
      try {
        fd = openatFile(dirFd, name, DIR_FLAGS);
      } catch (err) {
        if (err instanceof SyscallError && (err.errno === ERRNO.ELOOP || err.errno === ERRNO.ENOTDIR)) {
          throw new KilnError(`${path}/${child} changed from a directory while kiln read it`, {
            hint: "make sure nothing the build started still runs, then build again",
          });
        }
        throw err;
      }
      try {
        visit(fd, child);
      } finally {
        closeFile(fd);
      }
    }
  };
  visit(dirFd, rel);
  return out;
}

/** Read `size` bytes of `fd` from its start; a file that shrank is an error naming `path`. */
export function readAll(fd: number, size: number, path: string): Uint8Array {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = pread(fd, buf.subarray(got), got);
    if (n === 0) break;
    got += n;
  }
  if (got !== size) {
    throw new KilnError(`${path} changed while kiln read it`, {
      hint: "make sure nothing the build started still runs, then build again",
    });
  }
  return buf;
}

function decodeName(bytes: Uint8Array, rel: string, path: string): string {
  try {
    const name = utf8.decode(bytes);
    if (name.includes("\0")) throw new TypeError("NUL");
    return name;
  } catch {
    throw new KilnError(`${path}/${rel} holds a file whose name is not UTF-8`, {
      hint: "rename it in the build script: package manifests are text",
    });
  }
}
