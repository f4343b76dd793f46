/**
 * Recipe directories on disk for tests: temporary directories that clean
 * themselves up, package directories with any files, whole repositories of
 * packages, installed-database entries, and configurations pointing at them;
 * and whether a path exists.
 *
 * @module
 */

import { type Config, loadConfig } from "../../lib/config.ts";

/** A temporary directory, removed (recursively) when disposed: `await using dir = await tempDir();`. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

/** Make a temporary directory that `await using` removes at the end of the scope. */
export async function tempDir(prefix = "kiln-test-"): Promise<TempDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Run `fn` with a fresh temporary directory, removed (recursively) afterwards. */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether anything (even a dangling link) is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The files of a package directory; every field is the exact text written. */
export interface RecipeFiles {
  /** `version` text; default `"1.0 1\n"`; `null` writes no file. */
  version?: string | null;
  /** `build` text; default a `#!/bin/sh -e` script; `null` writes no file. */
  build?: string | null;
  /** Mode of `build` (default 0o755). */
  buildMode?: number;
  /** `sources` text; written only when given. */
  sources?: string;
  /** `checksums` text; written only when given. */
  checksums?: string;
  /** `depends` text, or a list of `NAME [make]` lines; written only when given. */
  depends?: string | string[];
  /** `post-install` script (made executable). */
  postInstall?: string;
  /** `pre-remove` script (made executable). */
  preRemove?: string;
  /** Any other files, by path relative to the package directory (parents created). */
  files?: Record<string, string>;
  /** Directories to create, relative to the package directory. */
  dirs?: string[];
}

/** Write package `name` into repository directory `repo`; returns the package directory. */
export function writeRecipe(repo: string, name: string, files: RecipeFiles = {}): string {
  const dir = `${repo}/${name}`;
  Deno.mkdirSync(dir, { recursive: true });
  const write = (rel: string, text: string, mode?: number) => {
    const path = `${dir}/${rel}`;
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(path, text);
    if (mode !== undefined) Deno.chmodSync(path, mode);
  };
  if (files.version !== null) write("version", files.version ?? "1.0 1\n");
  if (files.build !== null) write("build", files.build ?? "#!/bin/sh -e\n:\n", files.buildMode ?? 0o755);
  if (files.sources !== undefined) write("sources", files.sources);
  if (files.checksums !== undefined) write("checksums", files.checksums);
  if (files.depends !== undefined) {
    write("depends", Array.isArray(files.depends) ? files.depends.map((l) => l + "\n").join("") : files.depends);
  }
  if (files.postInstall !== undefined) write("post-install", files.postInstall, 0o755);
  if (files.preRemove !== undefined) write("pre-remove", files.preRemove, 0o755);
  for (const [rel, text] of Object.entries(files.files ?? {})) write(rel, text);
  for (const rel of files.dirs ?? []) Deno.mkdirSync(`${dir}/${rel}`, { recursive: true });
  return dir;
}

/**
 * Write a repository of packages given by their dependency lines:
 * `{ app: ["lib", "cmake make"], lib: [] }`. Returns the repository path.
 */
export function writeRepo(repo: string, packages: Record<string, string[] | RecipeFiles>): string {
  Deno.mkdirSync(repo, { recursive: true });
  for (const [name, spec] of Object.entries(packages)) {
    writeRecipe(repo, name, Array.isArray(spec) ? (spec.length > 0 ? { depends: spec } : {}) : spec);
  }
  return repo;
}

/** Record package `name` as installed in `root` (its recipe copy in the installed database). */
export function writeInstalled(root: string, name: string, files: RecipeFiles = {}): string {
  return writeRecipe(`${root}/var/db/kiss/installed`, name, files);
}

/** A configuration for root `root` searching `kissPath`, with more environment in `env`. */
export function testConfig(root: string, kissPath: string[], env: Record<string, string> = {}): Config {
  return loadConfig({ HOME: root, KISS_ROOT: root, KISS_PATH: kissPath.join(":"), ...env }, {}, root, false);
}

/** A repository and a root for the dependency-listing commands (see {@linkcode dependencyWorld}). */
export interface DependencyWorld {
  /** The temporary directory holding both (dispose of it). */
  readonly tmp: TempDir;
  /** `KISS_PATH` (the repository) and `KISS_ROOT` (the root). */
  readonly env: { KISS_PATH: string; KISS_ROOT: string };
  /** The repository. */
  readonly repo: string;
}

/**
 * A repository with `app` (depending on zlib, cmake as a make dependency and
 * musl, with a comment line among them), `zlib` and `lonely`; and a root with
 * curl (depending on zlib and openssl), pigz (zlib, for make), musl and zlib
 * installed.
 */
export async function dependencyWorld(): Promise<DependencyWorld> {
  const tmp = await tempDir();
  const repo = writeRepo(`${tmp.path}/repo`, {
    app: ["zlib", "cmake make", "# comment", "musl"],
    zlib: [],
    lonely: [],
  });
  const root = `${tmp.path}/root`;
  writeInstalled(root, "curl", { depends: ["zlib", "openssl"] });
  writeInstalled(root, "pigz", { depends: ["zlib make"] });
  writeInstalled(root, "musl");
  writeInstalled(root, "zlib");
  return { tmp, env: { KISS_PATH: repo, KISS_ROOT: root }, repo };
}

/** A deterministic hex string of `length` digits (a stand-in checksum), varied by `seed`. */
export function hex(length: number, seed = 0): string {
  let out = "";
  let x = (seed * 2654435761 + 12345) >>> 0;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += (x >>> 16).toString(16).padStart(4, "0");
  }
  return out.slice(0, length);
}

/** A stand-in SHA-256 checksum (64 hex digits, classic dialect). */
export const sha = (seed = 0): string => hex(64, seed);

/** A stand-in BLAKE3-33 checksum (66 hex digits, community dialect). */
export const b3 = (seed = 0): string => hex(66, seed);
