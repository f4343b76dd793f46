/**
 * Strip the programs and libraries of a built package, as kiss's `pkg_strip`
 * does (SPEC §6.3):
 *
 * - object files and static archives (ELF `REL`, `!<arch>`):
 *   `strip -g -R .comment -R .note` (debug symbols only: the symbols a linker
 *   needs stay);
 * - executables and shared libraries (`EXEC`, `DYN`):
 *   `strip -s -R .comment -R .note` (`-s` leaves `.dynsym` alone, so shared
 *   libraries keep their exported symbols).
 *
 * Only files under `bin/`, `sbin/`, `lib*` directories are looked at, symlinks
 * never; each inode is stripped once (hard links). Nothing is done with
 * `KISS_STRIP=0` or when the recipe has a `nostrip` file. A missing `strip`
 * program is a warning, not a failure, as is a file `strip` cannot handle.
 *
 * The files are the build's, and the build may have left links or keep a
 * process that swaps a directory for a link: `strip` given a path in the
 * package would follow it (it writes a new file beside the old and renames
 * it over). So `strip` never sees the package: each file is opened beneath
 * the package directory without following links ({@linkcode PackageDir}),
 * checked to be the file the walk found, copied from that descriptor into a
 * directory of kiln's own, stripped there, and written back through the same
 * descriptor (in place: hard links keep sharing the stripped file, its mode
 * stays). A link to a host program is never opened, so never changed; a file
 * with more hard links than the package has names for it shares its inode
 * with a file outside (a host program the build linked in) and is not
 * stripped, with a warning.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { KilnError } from "../errors.ts";
import type { Log } from "../log.ts";
import { close, ftruncate, O, pread, writeAll } from "../../ffi/fs.ts";
import { byteOrder, objectEntries } from "./files.ts";
import { type ObjectSniff, sniffHead } from "./elf.ts";
import { PackageDir, READ_FLAGS, type Stat, typeOf } from "./pkgdir.ts";
import { findProgram } from "./programs.ts";

/** Flags for opening a file to strip: read and write, no link followed. */
const WRITE_FLAGS = (READ_FLAGS & ~O.RDONLY) | O.RDWR;

/** Flags for object files and static archives. */
export const STRIP_DEBUG = ["-g", "-R", ".comment", "-R", ".note"] as const;
/** Flags for executables and shared libraries. */
export const STRIP_ALL = ["-s", "-R", ".comment", "-R", ".note"] as const;

/** What {@linkcode stripPackage} did. */
export interface StripResult {
  /** Why nothing was stripped, if nothing was attempted. */
  skipped?: "KISS_STRIP=0" | "nostrip" | "no strip program";
  /** Package-relative paths handed to `strip -g`. */
  debug: string[];
  /** Package-relative paths handed to `strip -s`. */
  all: string[];
  /** Package-relative paths `strip` failed on (kept as they were). */
  failed: string[];
}

/** Files per `strip` invocation. */
const BATCH = 64;

/**
 * Strip the ELF files of the package directory `pkgdir`. `recipeDir` is the
 * package's recipe (for `nostrip`).
 */
export async function stripPackage(pkgdir: string, recipeDir: string, config: Config, log: Log): Promise<StripResult> {
  const result: StripResult = { debug: [], all: [], failed: [] };
  if (!config.strip) {
    log.debug("not stripping: KISS_STRIP=0");
    return { ...result, skipped: "KISS_STRIP=0" };
  }
  try {
    await Deno.lstat(`${recipeDir}/nostrip`);
    log.debug(`not stripping: ${recipeDir}/nostrip exists`);
    return { ...result, skipped: "nostrip" };
  } catch {
    // no nostrip file: strip
  }
  using pkg = PackageDir.open(pkgdir);
  // Names of each inode in the package: a file with more links than that is
  // shared with something outside (a hard link to a host file) and is left alone.
  const names = new Map<string, number>();
  for (const { stat } of pkg.walk(byteOrder)) {
    if (typeOf(stat.mode) === "file") names.set(inodeOf(stat), (names.get(inodeOf(stat)) ?? 0) + 1);
  }
  const seen = new Set<string>();
  const found = new Map<string, Stat>();
  for (const { rel, stat } of objectEntries(pkg)) {
    const inode = inodeOf(stat);
    if (seen.has(inode)) continue;
    seen.add(inode);
    if (stat.nlink > (names.get(inode) ?? 0)) {
      log.warn(`not stripping ${rel}: it is a hard link to a file outside the package`);
      continue;
    }
    found.set(rel, stat);
    const kind = sniffFile(pkg, rel);
    if (kind === "REL" || kind === "ar") result.debug.push(rel);
    else if (kind === "EXEC" || kind === "DYN") result.all.push(rel);
  }
  if (result.debug.length + result.all.length === 0) return result;

  const strip = await findProgram("strip", config.env.PATH);
  if (strip === undefined) {
    log.warn(`strip not found in PATH; ${result.debug.length + result.all.length} files left unstripped`);
    return { ...result, skipped: "no strip program" };
  }
  log.info("stripping binaries and libraries");
  // strip runs on copies in a directory of kiln's own; what it makes is
  // written back through descriptors of the package's files.
  const scratch = await Deno.makeTempDir({ prefix: "kiln-strip-" });
  try {
    const job = { strip, pkg, found, scratch, log };
    for (const [flags, files] of [[STRIP_DEBUG, result.debug], [STRIP_ALL, result.all]] as const) {
      for (let i = 0; i < files.length; i += BATCH) {
        const batch = files.slice(i, i + BATCH);
        if (await stripBatch(job, flags, batch)) continue;
        // The batch failed: retry one by one to find out which files strip refuses.
        for (const rel of batch) {
          if (!(await stripBatch(job, flags, [rel], true))) result.failed.push(rel);
        }
      }
    }
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
  return result;
}

/** Pieces in which files are copied out and back (a library may be larger than memory wants to hold). */
const PIECE = 1 << 20;

/** Copy the `size` bytes of the package's file open as `fd` (named `path` in errors) into the new file `to`. */
function copyOut(fd: number, size: number, to: string, path: string): void {
  using out = Deno.openSync(to, { write: true, createNew: true, mode: 0o600 });
  const buf = new Uint8Array(Math.min(PIECE, size));
  for (let at = 0; at < size;) {
    const n = pread(fd, buf.subarray(0, Math.min(buf.length, size - at)), at);
    if (n === 0) {
      throw new KilnError(`${path} changed while kiln stripped the package`, {
        hint: "make sure nothing the build started still runs, then build again",
      });
    }
    for (let w = 0; w < n;) w += out.writeSync(buf.subarray(w, n));
    at += n;
  }
}

/** Replace the contents of the package's file open as `fd` with those of `from` (in place, through `fd`). */
function writeBack(from: string, fd: number): void {
  using input = Deno.openSync(from, { read: true });
  ftruncate(fd, 0);
  const buf = new Uint8Array(PIECE);
  for (;;) {
    const n = input.readSync(buf);
    if (n === null || n === 0) return;
    writeAll(fd, buf.subarray(0, n));
  }
}

function inodeOf(stat: Stat): string {
  return `${stat.dev}:${stat.ino}`;
}

/** What the first bytes of the package's file `rel` say it is, read through a descriptor. */
function sniffFile(pkg: PackageDir, rel: string): ObjectSniff | undefined {
  const opened = pkg.openFile(rel);
  if (opened === undefined) return undefined;
  try {
    const head = new Uint8Array(18);
    let got = 0;
    while (got < head.length) {
      const n = pread(opened.fd, head.subarray(got), got);
      if (n === 0) break;
      got += n;
    }
    return sniffHead(head.subarray(0, got));
  } finally {
    close(opened.fd);
  }
}

interface StripJob {
  readonly strip: string;
  readonly pkg: PackageDir;
  /** What the walk found of each file: a file that is no longer that one is not written. */
  readonly found: Map<string, Stat>;
  readonly scratch: string;
  readonly log: Log;
}

/**
 * Strip `files` (package-relative): each opened beneath the package with
 * `O_RDWR | O_NOFOLLOW` and checked to be the file the walk found, copied
 * from that descriptor into the scratch directory, `strip` run there, and
 * the stripped bytes written back into the same descriptor. Nothing is
 * written back unless `strip` succeeded on the whole batch.
 */
async function stripBatch(job: StripJob, flags: readonly string[], files: string[], warn = false): Promise<boolean> {
  const { pkg, scratch, log } = job;
  log.debug(`strip ${flags.join(" ")} ${files.join(" ")}`);
  const fds: number[] = [];
  try {
    const copies: string[] = [];
    for (const [i, rel] of files.entries()) {
      const opened = pkg.openFile(rel, WRITE_FLAGS);
      const was = job.found.get(rel)!;
      if (opened !== undefined) fds.push(opened.fd);
      const now = opened?.stat;
      if (opened === undefined || now!.dev !== was.dev || now!.ino !== was.ino || now!.nlink !== was.nlink) {
        throw new KilnError(`${pkg.path}/${rel} changed while kiln stripped the package`, {
          hint: "make sure nothing the build started still runs, then build again",
        });
      }
      copies.push(`f${i}`);
      copyOut(opened.fd, opened.stat.size, `${scratch}/f${i}`, `${pkg.path}/${rel}`);
    }
    const out = await new Deno.Command(job.strip, {
      args: [...flags, "--", ...copies],
      cwd: scratch,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      if (warn) {
        const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? `exit status ${out.code}`;
        log.warn(`could not strip ${files[0]}: ${why.replaceAll(copies[0], files[0])}`);
      }
      return false;
    }
    for (const [i, fd] of fds.entries()) writeBack(`${scratch}/${copies[i]}`, fd);
    return true;
  } finally {
    for (const fd of fds) close(fd);
    for (const [i] of files.entries()) await Deno.remove(`${scratch}/f${i}`).catch(() => {});
  }
}
