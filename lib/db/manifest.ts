/**
 * Package manifests, as kiss writes them: every file and directory of the
 * package, one absolute path per line, directories with a trailing `/`, the
 * manifest's own path (and `etcsums` when the package has `/etc`) included,
 * sorted in reverse byte order so that children come before their parents.
 *
 * Like kiss, libtool archives (`*.la`) and `charset.alias` are left out of the
 * manifest: they may sit in a package archive but are never installed.
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";
import { reverseByteOrder } from "./order.ts";

/** The installed database inside a root or a package (`var/db/kiss/installed`), as a manifest path. */
export const DB_PATH = "/var/db/kiss/installed";
/** The alternatives directory (`var/db/kiss/choices`), as a manifest path. */
export const CHOICES_PATH = "/var/db/kiss/choices";

/** True for files kiss leaves out of manifests (`*.la`, `charset.alias`). */
export function isManifestExcluded(name: string): boolean {
  const base = name.slice(name.lastIndexOf("/") + 1);
  return base.endsWith(".la") || base === "charset.alias";
}

/** True when a manifest line names a directory (it ends with `/`). */
export function isDirectoryLine(line: string): boolean {
  return line.endsWith("/");
}

/** The manifest path of a package's own manifest. */
export function manifestPath(name: string): string {
  return `${DB_PATH}/${name}/manifest`;
}

/** The manifest path of a package's `etcsums`. */
export function etcsumsPath(name: string): string {
  return `${DB_PATH}/${name}/etcsums`;
}

/** Sort manifest lines in kiss order (reverse byte order), dropping duplicates. */
export function sortManifest(lines: Iterable<string>): string[] {
  return [...new Set(lines)].sort(reverseByteOrder);
}

/** Render manifest lines as the file's text (one per line, final newline). */
export function formatManifest(lines: readonly string[]): string {
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/** Split a manifest file's text into its lines (blank lines dropped). */
export function parseManifest(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

/**
 * The manifest of a package directory `pkgdir` (the `DESTDIR` a build
 * installed into) for the package `name`. Symbolic links are listed as files,
 * never followed.
 */
export function generateManifest(pkgdir: string, name: string): string[] {
  const lines: string[] = [manifestPath(name)];
  let hasEtc = false;
  try {
    hasEtc = Deno.lstatSync(`${pkgdir}/etc`).isDirectory;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (hasEtc) lines.push(etcsumsPath(name));
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(pkgdir + rel)];
    } catch (err) {
      throw new KilnError(`cannot read package directory ${pkgdir + rel}: ${(err as Error).message}`, {
        hint: "check that the build finished and the directory is readable",
        cause: err,
      });
    }
    for (const e of entries) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) {
        lines.push(path + "/");
        walk(path);
      } else if (!isManifestExcluded(e.name)) {
        lines.push(path);
      }
    }
  };
  walk("");
  return sortManifest(lines);
}

/**
 * The manifest of the installed package `name`, read from
 * `<installedDir>/<name>/manifest`. Throws a {@linkcode KilnError} when the
 * package is not installed or its manifest is missing.
 */
export function readManifest(installedDir: string, name: string): string[] {
  const file = `${installedDir}/${name}/manifest`;
  try {
    return parseManifest(Deno.readTextFileSync(file));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    let installed = false;
    try {
      installed = Deno.statSync(`${installedDir}/${name}`).isDirectory;
    } catch { /* not installed */ }
    throw new KilnError(
      installed ? `package ${name} has no manifest (${file})` : `package ${name} is not installed (no ${file})`,
      {
        hint: installed
          ? "the database entry is damaged: reinstall the package to write it again"
          : "run 'kiln list' to see the installed packages",
      },
    );
  }
}
