/**
 * `kiln size`: the installed size of a package — the sizes of the files its
 * manifest lists, as they are on disk in the root (links counted as links,
 * never followed), with the biggest files first. kiss's `kiss-size` does the
 * same with `du`.
 *
 * @module
 */

import { isDirectoryLine } from "../db/manifest.ts";

/** One file of a package and its size in bytes. */
export interface FileSize {
  /** The manifest's path (absolute, as in the root). */
  readonly path: string;
  readonly bytes: number;
}

/** A package's installed size. */
export interface PackageSize {
  /** Every regular file and link found, biggest first (ties by path). */
  readonly files: readonly FileSize[];
  /** Their sum. */
  readonly total: number;
  /** Manifest paths that are not in the root any more. */
  readonly missing: readonly string[];
}

/** Measure the files of `manifest` in `root` (`lstat`: a link is measured as a link). */
export function measurePackage(root: string, manifest: readonly string[]): PackageSize {
  const top = root.replace(/\/+$/, "");
  const files: FileSize[] = [];
  const missing: string[] = [];
  let total = 0;
  for (const path of manifest) {
    if (isDirectoryLine(path)) continue;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(`${top}${path}`);
    } catch {
      missing.push(path);
      continue;
    }
    files.push({ path, bytes: info.size });
    total += info.size;
  }
  files.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1));
  return { files, total, missing };
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A size as people read it: `512 B`, `1.5 KiB`, `23 MiB`. */
export function humanSize(bytes: number): string {
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}
