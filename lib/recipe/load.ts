/**
 * Read a package directory into a {@linkcode Recipe}, validating it
 * (SPEC §2): `version` with a release, an executable `build`, sources and
 * checksums that match one for one, a well-formed `depends`. A broken recipe
 * throws a {@linkcode RecipeError} naming the file and line and what to do;
 * nothing is written.
 *
 * @module
 */

import type { Dialect, Recipe, Source } from "./types.ts";
import { KilnError, RecipeError } from "../errors.ts";
import { normalize } from "../config.ts";
import { checksumsDialect, parseChecksums } from "./checksums.ts";
import type { ChecksumLine } from "./checksums.ts";
import { readDepends } from "./depends.ts";
import { decideDialect, repositoryDialect } from "./dialect.ts";
import { needsChecksum, parseSources } from "./sources.ts";
import { readRecipeFile } from "./text.ts";
import { readVersion } from "./version.ts";

/** How to read a package directory. */
export interface LoadOptions {
  /** The repository the package was found in (default: the directory's parent). */
  readonly repo?: string;
  /** `KISS_DIALECT`: overrides what checksums and repository say. */
  readonly dialect?: Dialect;
  /** The repository's majority dialect, when the caller knows it (else counted on demand). */
  readonly repoDialect?: Dialect;
  /**
   * Accept a `checksums` file whose line count does not match the file
   * sources (for `kiln checksum`, which rewrites it). Malformed lines are
   * still refused.
   */
  readonly allowChecksumMismatch?: boolean;
}

/** Read and validate the package directory `dir` (absolute, or relative to the working directory). */
export function loadRecipe(dir: string, options: LoadOptions = {}): Recipe {
  dir = normalize(dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`);
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  const repo = options.repo ?? (dir.slice(0, dir.lastIndexOf("/")) || "/");
  checkDirectory(dir, name);
  const { version, release } = readVersion(dir);
  checkExecutable(`${dir}/build`, true);
  const hasPostInstall = checkExecutable(`${dir}/post-install`, false);
  const hasPreRemove = checkExecutable(`${dir}/pre-remove`, false);

  const checksumsFile = `${dir}/checksums`;
  const checksumsText = readRecipeFile(checksumsFile);
  const lines = checksumsText === undefined ? [] : parseChecksums(checksumsText, checksumsFile);
  const sourcesFile = `${dir}/sources`;
  const sourcesText = readRecipeFile(sourcesFile) ?? "";
  const repository = () => options.repoDialect ?? repositoryDialect(repo);

  const parse = (dialect: Dialect) => {
    const sources = parseSources(sourcesText, sourcesFile, { dir, name, version, release, dialect });
    return { dialect, sources, files: sources.filter(needsChecksum) };
  };
  let parsed = parse(
    decideDialect({ override: options.dialect, checksums: checksumsDialect(lines, checksumsFile), repository }),
  );
  if (parsed.files.length === 0 && !options.dialect) {
    // Only stale lines next to git sources: they say nothing about the dialect.
    const dialect = decideDialect({ repository });
    if (dialect !== parsed.dialect) parsed = parse(dialect);
  }
  const { dialect, files } = parsed;
  if (!options.allowChecksumMismatch) {
    checkCounts(files, lines, checksumsText !== undefined, sourcesFile, checksumsFile);
  }
  const checksums = files.length === 0 ? [] : lines.slice(0, files.length).map((l) => l.value);
  const sources = parsed.sources.map((s): Source => {
    const index = files.indexOf(s);
    return index >= 0 && index < checksums.length ? { ...s, checksumIndex: index } : s;
  });

  return {
    name,
    dir,
    repo,
    version,
    release,
    sources,
    checksums,
    depends: readDepends(dir),
    dialect,
    hasPostInstall,
    hasPreRemove,
  };
}

function checkDirectory(dir: string, name: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(dir);
  } catch (err) {
    throw new KilnError(`package directory ${dir} does not exist`, {
      hint: `check the path, or name the package ('${name}') so that kiln searches KISS_PATH`,
      cause: err,
    });
  }
  if (!info.isDirectory) {
    throw new KilnError(`${dir} is not a package directory`, {
      hint: "a package is a directory holding build, version and the other recipe files",
    });
  }
}

/** Check that `path` is an executable file; resolves to whether it exists. */
function checkExecutable(path: string, required: boolean): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    if (!required) return false;
    throw new RecipeError(
      path,
      undefined,
      "missing: every package needs a build script",
      `create ${path} and make it executable (chmod +x)`,
    );
  }
  if (!info.isFile) {
    throw new RecipeError(path, undefined, "is not a regular file", `replace ${path} with an executable script`);
  }
  if (((info.mode ?? 0) & 0o111) === 0) {
    throw new RecipeError(path, undefined, "is not executable", `run: chmod +x ${path}`);
  }
  return true;
}

function checkCounts(
  files: readonly Source[],
  lines: readonly ChecksumLine[],
  haveFile: boolean,
  sourcesFile: string,
  checksumsFile: string,
): void {
  if (files.length === 0 || files.length === lines.length) return;
  const hint = "run 'kiln checksum' in the package directory to rewrite checksums from the sources";
  if (lines.length < files.length) {
    const missing = files[lines.length];
    const what = haveFile
      ? `source '${missing.fileName}' has no checksum: ${checksumsFile} has ${lines.length} line(s) for ${files.length} file source(s)`
      : `source '${missing.fileName}' needs a checksum, but ${checksumsFile} does not exist`;
    throw new RecipeError(sourcesFile, missing.line, what, hint);
  }
  const extra = lines[files.length];
  throw new RecipeError(
    checksumsFile,
    extra.line,
    `checksum with no file source: ${sourcesFile} has ${files.length} file source(s), this file has ${lines.length} line(s)`,
    hint,
  );
}
