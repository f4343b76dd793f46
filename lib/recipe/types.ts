/**
 * The recipe model: what a KISS package directory says, parsed (SPEC §2).
 *
 * @module
 */

import type { Dialect } from "../config.ts";

export type { Dialect };

/** How a source is fetched. */
export type SourceKind = "git" | "remote" | "local";

/** One line of `sources`, placeholders already expanded (classic dialect). */
export interface Source {
  /** `git`, `remote` (http, https, file URLs) or `local` (path in or outside the package dir). */
  readonly kind: SourceKind;
  /**
   * For `remote`: the URL without `?no-extract`. For `git`: the repository URL
   * without the `git+` prefix and without `@branch`/`#commit`. For `local`: the
   * absolute path.
   */
  readonly url: string;
  /** Git: the branch or tag after `@`. */
  readonly branch?: string;
  /** Git: the commit after `#`. */
  readonly commit?: string;
  /** Destination directory under the build directory (no leading or trailing slash), if any. */
  readonly dest?: string;
  /** `?no-extract`: keep an archive as it is. */
  readonly noExtract: boolean;
  /** The line as written in `sources` (after placeholder expansion). */
  readonly raw: string;
  /** The SOURCE word exactly as written in `sources`, placeholders unexpanded (what `pre-source` hooks get). */
  readonly word: string;
  /** 1-based line number in `sources`. */
  readonly line: number;
  /** The file name the source is stored under (last path component of the URL). */
  readonly fileName: string;
  /**
   * Index of this source's line in {@linkcode Recipe.checksums}; set for file
   * sources (remote and local files) that have one, unset for git
   * repositories and local directories.
   */
  readonly checksumIndex?: number;
}

/** One line of `depends`. */
export interface Dependency {
  readonly name: string;
  /** `make`: needed only to build. */
  readonly make: boolean;
  /** 1-based line number in `depends`. */
  readonly line: number;
}

/** A parsed package directory. */
export interface Recipe {
  /** Package name (the directory's name). */
  readonly name: string;
  /** Absolute path of the package directory. */
  readonly dir: string;
  /** The repository (KISS_PATH entry, or the installed database) it was found in. */
  readonly repo: string;
  /** First field of `version`: `1.2.11`, `git`, a date, a hash. */
  readonly version: string;
  /** Second field of `version`. */
  readonly release: string;
  /** `sources`, in order. */
  readonly sources: readonly Source[];
  /**
   * `checksums` lines that belong to file sources (remote and local files), in
   * `sources` order; `SKIP` kept as is. Stale extra lines next to git-only
   * sources are dropped. Empty when the package has no file sources.
   */
  readonly checksums: readonly string[];
  /** `depends`, in order. */
  readonly depends: readonly Dependency[];
  /** Dialect of this package (from its checksums, its repository, or KISS_DIALECT). */
  readonly dialect: Dialect;
  /** Whether `post-install` exists. */
  readonly hasPostInstall: boolean;
  /** Whether `pre-remove` exists. */
  readonly hasPreRemove: boolean;
}
