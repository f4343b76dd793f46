/**
 * Checking a package archive's database entry against its contents: the
 * entry must have a `manifest` and a `version`, its `depends` must parse, and
 * the manifest must list exactly what the archive holds (directories may be
 * implied by their contents; `*.la` and `charset.alias`, which kiss leaves
 * out of manifests, may be present unlisted and are then not installed).
 * The entry's name follows the rules of package names, and neither the
 * `version` line nor a manifest line may hold a control character; the entry
 * holds files and directories, never a symbolic link.
 *
 * @module
 */

import type { Dependency } from "../recipe/types.ts";
import { KilnError } from "../errors.ts";
import { parseDepends } from "../recipe/depends.ts";
import { parseVersion } from "../recipe/version.ts";
import { DB_PATH, isManifestExcluded, parseManifest } from "../db/manifest.ts";
import type { PackageEntry } from "./package.ts";
import { isPackageName, PACKAGE_NAME_RULE } from "../recipe/names.ts";
import { hasControl, printable } from "../text.ts";

/** What {@linkcode checkContents} learns from the database entry. */
export interface CheckedContents {
  readonly version: string;
  readonly release: string;
  readonly manifest: readonly string[];
  readonly depends: readonly Dependency[];
  readonly unlisted: ReadonlySet<string>;
}

const decoder = new TextDecoder();
// deno-lint-ignore no-control-regex
const CONTROLS_BUT_LF = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

function fail(file: string, what: string): KilnError {
  return new KilnError(`${file}: ${what}`, { hint: "the archive is refused; nothing was installed" });
}

function listSome(paths: string[]): string {
  const shown = paths.slice(0, 8).join(", ");
  return paths.length > 8 ? `${shown} and ${paths.length - 8} more` : shown;
}

/** True when a manifest line is a clean absolute path (no `//`, `.` or `..` component). */
export function isCleanManifestPath(line: string): boolean {
  if (line.charCodeAt(0) !== 47 || line === "/" || line.includes("\0") || line.includes("//")) return false;
  if (!line.includes("/.")) return true;
  const parts = line.slice(1, line.endsWith("/") ? -1 : undefined).split("/");
  return parts.every((p) => p !== "" && p !== "." && p !== "..");
}

/**
 * Check the database entry of package `name` among the archive's entries
 * (`byPath`, keyed by manifest path). Throws {@linkcode KilnError} naming
 * what is wrong.
 */
export function checkContents(file: string, name: string, byPath: ReadonlyMap<string, PackageEntry>): CheckedContents {
  if (!isPackageName(name)) {
    throw fail(
      file,
      `the database entry ${printable(`${DB_PATH}/${name}/`)} is not named for a package (${PACKAGE_NAME_RULE})`,
    );
  }
  const entry = `${DB_PATH}/${name}`;
  // The entry is the recipe's copy: files, and directories such as `files/` and `patches/`; never a link.
  for (const e of byPath.values()) {
    if (e.type === "symlink" && e.path.startsWith(`${entry}/`)) {
      throw fail(
        file,
        `${printable(e.path)} is a symbolic link in the package's database entry, which holds only files`,
      );
    }
  }
  const text = (what: string): string | undefined => {
    const e = byPath.get(`${entry}/${what}`);
    if (e === undefined) return undefined;
    if (e.type !== "file") throw fail(file, `${entry}/${what} is not a regular file`);
    return decoder.decode(e.body);
  };
  const manifestText = text("manifest");
  if (manifestText === undefined) throw fail(file, `no manifest (${entry}/manifest): this is not a kiss package`);
  const versionText = text("version");
  if (versionText === undefined) throw fail(file, `no version file (${entry}/version) in the database entry`);
  const firstLine = versionText.split("\n", 1)[0];
  if (hasControl(firstLine)) {
    throw fail(file, `${entry}/version has a control character in its first line: ${printable(firstLine)}`);
  }
  let version, depends;
  try {
    version = parseVersion(versionText, `${file}:${entry}/version`);
    depends = parseDepends(text("depends") ?? "", `${file}:${entry}/depends`);
  } catch (err) {
    throw fail(file, (err as Error).message.slice(file.length + 1));
  }

  const manifest = parseManifest(manifestText);
  // Control characters other than the line feed, looked for line by line only when there are some.
  const controls = CONTROLS_BUT_LF.test(manifestText);
  manifest.forEach((line, i) => {
    if (!isCleanManifestPath(line)) {
      throw fail(file, `manifest line ${i + 1} is not a clean absolute path: ${JSON.stringify(line)}`);
    }
    if (controls && hasControl(line)) {
      throw fail(file, `manifest line ${i + 1} has a control character: ${printable(line)}`);
    }
  });
  const listed = new Set(manifest);
  const implied = new Set<string>();
  const unlisted = new Set<string>();
  const extra: string[] = [];
  for (const path of byPath.keys()) {
    // Every ancestor directory, walking up only until one already seen.
    const end = path.endsWith("/") ? path.length - 1 : path.length;
    for (let at = path.lastIndexOf("/", end - 1); at > 0; at = path.lastIndexOf("/", at - 1)) {
      const dir = path.slice(0, at + 1);
      if (implied.has(dir)) break;
      implied.add(dir);
    }
    if (listed.has(path)) continue;
    if (!path.endsWith("/") && isManifestExcluded(path)) unlisted.add(path);
    else extra.push(path);
  }
  // Nothing may lie below a file or a link of the archive: a link would be written through.
  // There are far fewer directories than entries: look each one up, then name the archive's first offender.
  let below = false;
  for (const dir of implied) {
    const e = byPath.get(dir.slice(0, -1));
    if (e !== undefined && e.type !== "directory") below = true;
  }
  if (below) {
    for (const [path, e] of byPath) {
      if (e.type !== "directory" && implied.has(path + "/")) {
        const what = e.type === "symlink" ? "a symbolic link" : "a file";
        throw fail(file, `${path} is ${what} of the archive, yet the archive has entries below it`);
      }
    }
  }
  const missing = manifest.filter((line) => !byPath.has(line) && !(line.endsWith("/") && implied.has(line)));
  if (extra.length > 0 || missing.length > 0) {
    const parts: string[] = [];
    if (extra.length > 0) parts.push(`in the archive but not in its manifest: ${listSome(extra)}`);
    if (missing.length > 0) parts.push(`in the manifest but not in the archive: ${listSome(missing)}`);
    throw fail(file, `the manifest does not match the archive's contents (${parts.join("; ")})`);
  }
  return { version: version.version, release: version.release, manifest, depends, unlisted };
}
