/**
 * The hermetic sysroot (SPEC §7, kiss_ng's design): a directory holding hard
 * links to every file in the manifests of the packages a build may use, with
 * symbolic links and directories recreated, so that a build sees those
 * packages and nothing else.
 *
 * Paths are resolved with `openat2(RESOLVE_IN_ROOT)` on both sides, so a
 * symbolic link inside the root being built for (say `/lib -> /usr/lib`) is
 * followed inside that root and inside the sysroot, never on the host. Hard
 * links need one filesystem; when `linkat` reports `EXDEV` the rest is copied
 * (with a warning).
 *
 * @module
 */

import { AT_FDCWD, close, mkdirat, O, openat, openat2, RESOLVE, symlinkat, tryLinkat } from "../../ffi/fs.ts";
import { ERRNO, strerror, SyscallError } from "../../ffi/libc.ts";
import { KilnError } from "../errors.ts";
import type { Log } from "../log.ts";
import { installedEntry } from "./closure.ts";

/** Directories every sysroot has, for the sandbox's own mounts. */
export const MOUNT_POINTS = ["dev", "proc", "tmp"] as const;

/** What went into a sysroot. */
export interface SysrootStats {
  /** The packages whose manifests were used. */
  readonly packages: readonly string[];
  /** Entries hard-linked (files and symbolic links). */
  readonly linked: number;
  /** Entries copied because hard links were impossible. */
  readonly copied: number;
  /** Directories created. */
  readonly dirs: number;
  /** Manifest entries missing from the root (left out). */
  readonly missing: number;
}

interface Entry {
  readonly rel: string;
  readonly dir: boolean;
}

/** Read the manifests of `packages` into one sorted, de-duplicated entry list (parents before children). */
export function manifestEntries(root: string, packages: readonly string[], log: Log): Entry[] {
  const entries = new Map<string, boolean>();
  for (const name of packages) {
    const file = `${installedEntry(root, name)}/manifest`;
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      throw new KilnError(`cannot read the manifest of ${name}: ${file}: ${(err as Error).message}`, {
        hint: `reinstall ${name} into ${root}, or set KISS_SANDBOX=host`,
        cause: err,
      });
    }
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const dir = line.endsWith("/");
      const rel = line.replace(/\/+$/, "").replace(/^\/+/, "");
      if (!line.startsWith("/") || rel.split("/").some((c) => c === "" || c === "." || c === "..")) {
        if (rel !== "") log.warn(`sandbox: ignoring the malformed line '${line}' in ${file}`);
        continue;
      }
      if (!entries.has(rel)) entries.set(rel, dir);
    }
  }
  const key = (rel: string) => rel.replaceAll("/", "\u0000");
  return [...entries].map(([rel, dir]) => ({ rel, dir, k: key(rel) }))
    .sort((a, b) => a.k < b.k ? -1 : a.k > b.k ? 1 : 0)
    .map(({ rel, dir }) => ({ rel, dir }));
}

const DIR_FLAGS = O.PATH | O.DIRECTORY | O.CLOEXEC;

function errnoOf(err: unknown): number | undefined {
  return err instanceof SyscallError ? err.errno : undefined;
}

function dirname(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

function basename(rel: string): string {
  return rel.slice(rel.lastIndexOf("/") + 1);
}

/** A pair of open directories: one in the root, the same one in the sysroot. */
interface DirPair {
  readonly src: number;
  readonly dst: number;
}

/**
 * Fill the empty directory `dest` with the files of `packages` as installed
 * in `root` (hard links, or copies across filesystems), plus the sandbox's
 * mount points. Throws {@linkcode KilnError} when a manifest cannot be read.
 */
export function buildSysroot(root: string, packages: readonly string[], dest: string, log: Log): SysrootStats {
  const entries = manifestEntries(root, packages, log);
  const rootReal = Deno.realPathSync(root);
  const rootFd = openat(AT_FDCWD, rootReal, DIR_FLAGS);
  const destFd = openat(AT_FDCWD, dest, DIR_FLAGS);
  const cache = new Map<string, DirPair | null>();
  let linked = 0, copied = 0, dirs = 0, missing = 0;
  let copying = false;

  const closeCache = () => {
    for (const pair of cache.values()) {
      if (pair) {
        close(pair.src);
        close(pair.dst);
      }
    }
    cache.clear();
  };

  /** Open `canonRel` (symlink-free) in the sysroot, creating missing directories. */
  const destDir = (canonRel: string): number => {
    if (canonRel === "") return openat(destFd, ".", DIR_FLAGS);
    try {
      return openat2(destFd, canonRel, DIR_FLAGS, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS);
    } catch (err) {
      if (errnoOf(err) !== ERRNO.ENOENT) throw err;
    }
    const parent = destDir(dirname(canonRel));
    try {
      try {
        mkdirat(parent, basename(canonRel), 0o755);
        dirs++;
      } catch (err) {
        if (errnoOf(err) !== ERRNO.EEXIST) throw err;
      }
      return openat2(parent, basename(canonRel), DIR_FLAGS, RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS);
    } finally {
      close(parent);
    }
  };

  /** The directory pair for `rel`, or null when `rel` is missing from the root. */
  const pairFor = (rel: string): DirPair | null => {
    const cached = cache.get(rel);
    if (cached !== undefined) return cached;
    if (cache.size >= 64) closeCache();
    let src: number;
    try {
      src = openat2(rootFd, rel === "" ? "." : rel, DIR_FLAGS, RESOLVE.IN_ROOT);
    } catch (err) {
      const n = errnoOf(err);
      if (n !== ERRNO.ENOENT && n !== ERRNO.ENOTDIR) throw err;
      cache.set(rel, null);
      return null;
    }
    // Where the directory really is inside the root: the same place holds it in the sysroot.
    let canonRel = rel;
    try {
      const real = Deno.readLinkSync(`/proc/self/fd/${src}`);
      canonRel = rootReal === "/" ? real.slice(1) : real.slice(rootReal.length + 1);
    } catch {
      // Without /proc the path is taken as it is (RESOLVE_NO_SYMLINKS still keeps it inside).
    }
    const pair = { src, dst: destDir(canonRel) };
    cache.set(rel, pair);
    return pair;
  };

  const lstatOrUndefined = (path: string) => {
    try {
      return Deno.lstatSync(path);
    } catch {
      return undefined;
    }
  };

  const makeDir = (pair: DirPair, name: string) => {
    try {
      mkdirat(pair.dst, name, 0o755);
      dirs++;
    } catch (err) {
      if (errnoOf(err) !== ERRNO.EEXIST) throw err;
    }
  };

  /** Copy one entry (a file with its mode, a link as a link, a directory as a new one). */
  const copyEntry = (pair: DirPair, name: string, rel: string, dir: boolean) => {
    const from = `/proc/self/fd/${pair.src}/${name}`;
    const to = `/proc/self/fd/${pair.dst}/${name}`;
    const info = lstatOrUndefined(from);
    if (info === undefined) {
      if (dir) makeDir(pair, name);
      else {
        missing++;
        log.debug(`sandbox: /${rel} is in a manifest but not in ${root}`);
      }
    } else if (info.isDirectory) {
      makeDir(pair, name);
    } else if (lstatOrUndefined(to) === undefined) {
      if (info.isSymlink) symlinkat(Deno.readLinkSync(from), pair.dst, name);
      else {
        Deno.copyFileSync(from, to);
        if (info.mode !== null) Deno.chmodSync(to, info.mode & 0o7777);
      }
      copied++;
    }
  };

  try {
    for (const { rel, dir } of entries) {
      const pair = pairFor(dirname(rel));
      if (pair === null) {
        missing++;
        continue;
      }
      const name = basename(rel);
      if (copying) {
        copyEntry(pair, name, rel, dir);
        continue;
      }
      // A symbolic link is linked as itself; a directory cannot be hard-linked (EPERM).
      const n = tryLinkat(pair.src, name, pair.dst, name, 0);
      if (n === 0) linked++;
      else if (n === ERRNO.EEXIST) continue;
      else if (n === ERRNO.EPERM) makeDir(pair, name);
      else if (n === ERRNO.ENOENT) {
        if (dir) makeDir(pair, name);
        else {
          missing++;
          log.debug(`sandbox: /${rel} is in a manifest but not in ${root}`);
        }
      } else if (n === ERRNO.EXDEV || n === ERRNO.EMLINK) {
        if (n === ERRNO.EXDEV) {
          copying = true;
          log.warn(
            `sandbox: ${dest} is not on the filesystem of ${root}; copying the sysroot instead of hard-linking (slow)`,
          );
        }
        copyEntry(pair, name, rel, dir);
      } else {
        throw new SyscallError("linkat", n, strerror(n), `/${rel}`);
      }
    }
    for (const mountPoint of MOUNT_POINTS) makeDir(pairFor("")!, mountPoint);
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError(`cannot make the hermetic sysroot in ${dest}: ${(err as Error).message}`, {
      hint: "check that the cache directory (KISS_CACHE, KISS_TMPDIR) is writable and has space",
      cause: err,
    });
  } finally {
    closeCache();
    close(rootFd);
    close(destFd);
  }
  return { packages, linked, copied, dirs, missing };
}
