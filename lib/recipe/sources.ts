/**
 * The `sources` file: one `SOURCE [DEST]` per line (SPEC §2).
 *
 * - `git+URL`, optionally `@branch` or `#commit`: a git repository;
 * - `scheme://…`: a file to download;
 * - anything else: a file or directory, relative to the package directory
 *   (or absolute).
 *
 * A `?no-extract` suffix keeps an archive as it is. DEST is a directory under
 * the build directory; a trailing slash is allowed. In the classic dialect the
 * version markers of the SOURCE word are expanded (see `placeholders.ts`).
 *
 * @module
 */

import type { Dialect, Source, SourceKind } from "./types.ts";
import { normalize } from "../config.ts";
import { RecipeError } from "../errors.ts";
import { exists, isDirectory } from "../fs_queries.ts";
import { expandPlaceholders } from "./placeholders.ts";
import { recipeLines } from "./text.ts";

/** What parsing `sources` needs to know about its package. */
export interface SourcesContext {
  /** Absolute path of the package directory (local sources are relative to it). */
  readonly dir: string;
  /** The package's name (the `PACKAGE` marker). */
  readonly name: string;
  readonly version: string;
  readonly release: string;
  /** Markers are expanded in the classic dialect only. */
  readonly dialect: Dialect;
}

/** The suffix that keeps an archive unextracted. */
export const NO_EXTRACT = "?no-extract";

/**
 * Parse the text of a `sources` file. `file` is the path named in errors.
 * Throws {@linkcode RecipeError} on an extra word, an empty git URL, a URL
 * without a file name, or a DEST that leaves the build directory.
 */
export function parseSources(text: string, file: string, ctx: SourcesContext): Source[] {
  const out: Source[] = [];
  for (const { line, words } of recipeLines(text)) {
    if (words.length > 2) {
      throw new RecipeError(
        file,
        line,
        `unexpected '${words[2]}' after source '${words[0]}' and destination '${words[1]}'`,
        "a sources line is 'SOURCE [DEST]'; put each source on its own line",
      );
    }
    const written = ctx.dialect === "classic"
      ? expandPlaceholders(words[0], { version: ctx.version, release: ctx.release, name: ctx.name })
      : words[0];
    const dest = words.length === 2 ? parseDest(words[1], file, line) : undefined;
    const raw = dest === undefined ? written : `${written} ${words[1]}`;
    out.push({ ...parseSource(written, dest, raw, file, line, ctx.dir), word: words[0] });
  }
  return out;
}

function parseDest(word: string, file: string, line: number): string | undefined {
  const parts = word.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new RecipeError(
      file,
      line,
      `destination '${word}' leaves the build directory`,
      "give a directory below the build directory, without '..'",
    );
  }
  return parts.length === 0 ? undefined : parts.join("/");
}

function parseSource(
  written: string,
  dest: string | undefined,
  raw: string,
  file: string,
  line: number,
  dir: string,
): Omit<Source, "word"> {
  if (written.startsWith("git+")) return parseGit(written, dest, raw, file, line);
  let url = written;
  let noExtract = false;
  if (url.endsWith(NO_EXTRACT)) {
    url = url.slice(0, -NO_EXTRACT.length);
    noExtract = true;
  }
  const kind: SourceKind = url.includes("://") ? "remote" : "local";
  if (kind === "local") url = localPath(url, dir);
  const fileName = url.slice(url.lastIndexOf("/") + 1);
  if (url === "" || fileName === "") {
    throw new RecipeError(
      file,
      line,
      `'${written}' does not end in a file name`,
      kind === "remote"
        ? "give the URL of a file (ending in its name); a directory is only allowed as a local source"
        : "give the path of a file or directory",
    );
  }
  return { kind, url, dest, noExtract, raw, line, fileName };
}

/**
 * Resolve a local source path as kiss does: relative to the package
 * directory, or, when nothing is there, relative to `/`; absolute paths stay.
 */
function localPath(path: string, dir: string): string {
  if (path.startsWith("/")) return normalize(path);
  const inPackage = normalize(`${dir}/${path}`);
  if (exists(inPackage)) return inPackage;
  const fromRoot = normalize(`/${path}`);
  return exists(fromRoot) ? fromRoot : inPackage;
}

function parseGit(
  written: string,
  dest: string | undefined,
  raw: string,
  file: string,
  line: number,
): Omit<Source, "word"> {
  let url = written.slice("git+".length);
  let branch: string | undefined;
  let commit: string | undefined;
  const hash = url.lastIndexOf("#");
  if (hash >= 0) {
    commit = url.slice(hash + 1);
    url = url.slice(0, hash);
  } else {
    const at = url.lastIndexOf("@");
    if (at > pathStart(url)) {
      branch = url.slice(at + 1);
      url = url.slice(0, at);
    }
  }
  const name = url.replace(/\/+$/, "");
  const fileName = name.slice(name.lastIndexOf("/") + 1).replace(/^.*:/, "");
  if (url === "" || fileName === "" || branch === "" || commit === "") {
    throw new RecipeError(
      file,
      line,
      `'${written}' is not a git source`,
      "write git+URL, optionally followed by @BRANCH or #COMMIT",
    );
  }
  return { kind: "git", url, branch, commit, dest, noExtract: false, raw, line, fileName };
}

/** Where the path of a git URL starts: after `scheme://host`, or after `host:` for scp-like URLs. */
function pathStart(url: string): number {
  const scheme = url.indexOf("://");
  if (scheme >= 0) {
    const slash = url.indexOf("/", scheme + 3);
    return slash < 0 ? url.length : slash;
  }
  return url.indexOf(":");
}

/**
 * Whether a source needs a line in `checksums`: remote files and local files
 * do; git repositories and local directories do not. A local source that does
 * not exist counts as a file (fetching it will report it missing).
 */
export function needsChecksum(source: Source): boolean {
  if (source.kind === "git") return false;
  if (source.kind === "remote") return true;
  return !isDirectory(source.url);
}
