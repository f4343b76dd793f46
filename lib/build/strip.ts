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
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { objectCandidates } from "./files.ts";
import { sniffObject } from "./elf.ts";
import { findProgram } from "./programs.ts";

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
  const seen = new Set<string>();
  for (const rel of await objectCandidates(pkgdir)) {
    const path = `${pkgdir}/${rel}`;
    const info = await Deno.lstat(path);
    const inode = `${info.dev}:${info.ino}`;
    if (info.ino !== null && seen.has(inode)) continue;
    seen.add(inode);
    const kind = await sniffObject(path);
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
  for (const [flags, files] of [[STRIP_DEBUG, result.debug], [STRIP_ALL, result.all]] as const) {
    for (let i = 0; i < files.length; i += BATCH) {
      const batch = files.slice(i, i + BATCH);
      if (await runStrip(strip, flags, batch, pkgdir, log)) continue;
      // The batch failed: retry one by one to find out which files strip refuses.
      for (const rel of batch) {
        if (!(await runStrip(strip, flags, [rel], pkgdir, log, true))) result.failed.push(rel);
      }
    }
  }
  return result;
}

async function runStrip(
  strip: string,
  flags: readonly string[],
  files: string[],
  pkgdir: string,
  log: Log,
  warn = false,
): Promise<boolean> {
  log.debug(`strip ${flags.join(" ")} ${files.join(" ")}`);
  const out = await new Deno.Command(strip, {
    args: [...flags, "--", ...files],
    cwd: pkgdir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return true;
  if (warn) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? `exit status ${out.code}`;
    log.warn(`could not strip ${files[0]}: ${why}`);
  }
  return false;
}
