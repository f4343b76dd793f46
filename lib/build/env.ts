/**
 * The environment a `build` script runs with (SPEC §6.4, kiss's
 * `pkg_build`). It is made from scratch, not inherited, so that a build sees
 * the same variables whoever starts it:
 *
 * - `AR CC CXX NM RANLIB`: the user's, else `ar cc c++ nm ranlib`;
 * - `CFLAGS CXXFLAGS CPPFLAGS LDFLAGS MAKEFLAGS` (and `RUSTFLAGS GOFLAGS`,
 *   which kiss extends as below), passed through when set;
 * - `RUSTFLAGS="--remap-path-prefix=<build dir>=. …"`, `GOFLAGS="-trimpath
 *   -modcacherw …"`, `GOPATH=<build dir>/go`, as kiss sets them;
 * - `SOURCE_DATE_EPOCH`;
 * - `DESTDIR=<pkgdir>` for the classic dialect only (community recipes use `$1`);
 * - `HOME=/tmp`, `TMPDIR=/tmp` (the sandbox's private `/tmp`), `PATH` (the
 *   user's, else a standard one), `KISS_ROOT` (empty for `/`, as kiss
 *   passes it), `LANG`/`LC_ALL`/`TERM`/`TZ` when set.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Recipe } from "../recipe/types.ts";

/** `PATH` of a build when the user has none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const TOOLS: Readonly<Record<string, string>> = { AR: "ar", CC: "cc", CXX: "c++", NM: "nm", RANLIB: "ranlib" };
const PASSED = ["CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "MAKEFLAGS", "LANG", "LC_ALL", "TERM", "TZ"];

/** Where a build happens. */
export interface BuildPaths {
  /** The build directory (sources extracted here; the script's working directory). */
  readonly buildDir: string;
  /** The package directory the build installs into. */
  readonly pkgdir: string;
}

/** The environment of `recipe`'s build script. */
export function buildEnvironment(
  recipe: Recipe,
  paths: BuildPaths,
  config: Config,
  epoch: number,
): Record<string, string> {
  const user = config.env;
  const env: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(TOOLS)) env[name] = user[name] || fallback;
  for (const name of PASSED) if (user[name]) env[name] = user[name];
  env.RUSTFLAGS = `--remap-path-prefix=${paths.buildDir}=.${user.RUSTFLAGS ? ` ${user.RUSTFLAGS}` : ""}`;
  env.GOFLAGS = `-trimpath -modcacherw${user.GOFLAGS ? ` ${user.GOFLAGS}` : ""}`;
  env.GOPATH = `${paths.buildDir}/go`;
  env.SOURCE_DATE_EPOCH = String(epoch);
  if (recipe.dialect === "classic") env.DESTDIR = paths.pkgdir;
  env.HOME = "/tmp";
  env.TMPDIR = "/tmp";
  env.PATH = user.PATH || DEFAULT_PATH;
  env.KISS_ROOT = config.root === "/" ? "" : config.root;
  return env;
}
