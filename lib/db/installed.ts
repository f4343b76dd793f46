/**
 * The installed database, `<root>/var/db/kiss/installed/<pkg>/` (SPEC §3):
 * one directory per installed package, holding a copy of its recipe plus
 * `manifest` and `etcsums`. Read-only queries; the installer writes it.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { isNotFound, KilnError } from "../errors.ts";
import { isDirectory } from "../fs_queries.ts";
import { isPackageName } from "../recipe/names.ts";
import type { PackageVersion } from "../recipe/version.ts";
import { splitWords } from "../recipe/text.ts";

/** The names of the installed packages, sorted in byte order. Entries that are not package directories are skipped. */
export function listInstalled(config: Config): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(config.installedDir)];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw new KilnError(`cannot read the installed database ${config.installedDir}: ${(err as Error).message}`, {
      hint: "check that the directory is readable (run as root for a system root)",
      cause: err,
    });
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!isPackageName(entry.name)) continue;
    if (entry.isDirectory || (entry.isSymlink && isDirectory(`${config.installedDir}/${entry.name}`))) {
      names.push(entry.name);
    }
  }
  return names.sort(byteOrder);
}

/** Compare strings by UTF-16 code units, which is byte order for ASCII names (like `LC_ALL=C sort`). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether package `name` is installed in the configured root. */
export function isInstalled(config: Config, name: string): boolean {
  return isPackageName(name) && isDirectory(`${config.installedDir}/${name}`);
}

/** The directory of an installed package's database entry (whether or not it exists). */
export function installedPath(config: Config, name: string): string {
  return `${config.installedDir}/${name}`;
}

/**
 * The version and release an installed package records, or `undefined`
 * when it is not installed. A missing or unreadable `version` file gives
 * `null` fields, as kiss prints them.
 */
export function readInstalledVersion(
  config: Config,
  name: string,
): { version: string; release: string } | undefined {
  if (!isInstalled(config, name)) return undefined;
  return readVersionFile(installedPath(config, name));
}

/** Every installed package with its version, in byte order of names (what `kiln list` prints). */
export function listInstalledVersions(config: Config): { name: string; version: string; release: string }[] {
  return listInstalled(config).map((name) => ({ name, ...readVersionFile(installedPath(config, name)) }));
}

function readVersionFile(entry: string): PackageVersion {
  let first = "";
  try {
    first = Deno.readTextFileSync(`${entry}/version`).split("\n", 1)[0];
  } catch {
    // kiss prints 'null' for an unreadable version file.
  }
  const [version = "null", release = "null"] = splitWords(first);
  return { version, release };
}
