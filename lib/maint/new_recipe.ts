/**
 * `kiln new NAME [URL]`: a new recipe in the community dialect. The version
 * is read from the URL's file name (`zlib-1.3.1.tar.gz` → `1.3.1`); the
 * source is downloaded and `checksums` written (BLAKE3); `depends` is
 * empty; `build` is chosen by what the unpacked source holds: meson, cmake,
 * autotools (`configure`), a plain `Makefile`, or a commented template.
 *
 * The recipe is made in a hidden directory of the repository and renamed to
 * its name only when complete: a failed download leaves nothing behind.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { extractSource, isArchiveName } from "../archive/extract.ts";
import { loadRecipe } from "../recipe/load.ts";
import { checksumLines } from "../sources/checksum_lines.ts";
import { planRecipe } from "../sources/plan.ts";

/** The build systems `new` knows, by the file that gives each away. */
export type BuildSystem = "meson" | "cmake" | "autotools" | "make" | "unknown";

const BUILDS: Record<BuildSystem, string> = {
  meson: `#!/bin/sh -e

meson setup \\
    -Dprefix=/usr \\
    -Dbuildtype=release \\
    output

ninja -C output
DESTDIR="$1" ninja -C output install
`,
  cmake: `#!/bin/sh -e

cmake -B build \\
    -DCMAKE_INSTALL_PREFIX=/usr \\
    -DCMAKE_BUILD_TYPE=Release

cmake --build build
DESTDIR="$1" cmake --install build
`,
  autotools: `#!/bin/sh -e

./configure \\
    --prefix=/usr \\
    --sysconfdir=/etc \\
    --mandir=/usr/share/man

make
make DESTDIR="$1" install
`,
  make: `#!/bin/sh -e

make PREFIX=/usr
make DESTDIR="$1" PREFIX=/usr install
`,
  unknown: `#!/bin/sh -e

# Build the software in the current directory (the unpacked sources) and
# install it into the package directory "$1", for example:
#
#   ./configure --prefix=/usr
#   make
#   make DESTDIR="$1" install
`,
};

/** The `build` script for a build system. */
export function buildScript(system: BuildSystem): string {
  return BUILDS[system];
}

/** The build system of an unpacked source directory, by its top-level files. */
export function detectBuildSystem(dir: string): BuildSystem {
  const has = (name: string) => {
    try {
      Deno.lstatSync(`${dir}/${name}`);
      return true;
    } catch {
      return false;
    }
  };
  if (has("meson.build")) return "meson";
  if (has("CMakeLists.txt")) return "cmake";
  if (has("configure") || has("configure.ac")) return "autotools";
  if (has("Makefile") || has("makefile") || has("GNUmakefile")) return "make";
  return "unknown";
}

/** The version in a source file name (`foo-1.2.3.tar.gz`, `foo_v2.0.tgz`), if one can be told. */
export function versionFromUrl(url: string): string | undefined {
  const file = url.replace(/[?#].*$/, "").replace(/\/+$/, "");
  const base = file.slice(file.lastIndexOf("/") + 1)
    .replace(/\.(tar\.[a-z0-9]+|tgz|tbz2?|txz|tzst|zip|tar)$/i, "");
  const match = /(?:^|[-_])v?(\d[0-9A-Za-z.+~]*)$/.exec(base);
  return match ? match[1].replace(/\.$/, "") : undefined;
}

/** What `new` made. */
export interface NewRecipe {
  readonly dir: string;
  readonly version: string;
  readonly build: BuildSystem;
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text, { mode: name === "build" ? 0o755 : 0o644 });
    if (name === "build") await Deno.chmod(`${dir}/${name}`, 0o755);
  }
}

/**
 * Make recipe `name` in `repo`, from `url` when given. Throws a
 * {@linkcode KilnError} when `repo/name` exists, or when the download fails
 * (nothing is left behind).
 */
export async function newRecipe(
  repo: string,
  name: string,
  url: string | undefined,
  config: Config,
  log: Log,
): Promise<NewRecipe> {
  const target = `${repo}/${name}`;
  try {
    Deno.lstatSync(target);
    throw new KilnError(`${target} already exists`, { hint: "choose another name, or edit the existing recipe" });
  } catch (err) {
    if (err instanceof KilnError) throw err;
  }
  const version = url === undefined ? "1.0" : versionFromUrl(url);
  if (version === undefined) log.warn(`cannot tell the version from ${url}: wrote 1.0; edit ${target}/version`);
  const stage = await Deno.makeTempDir({ dir: repo, prefix: ".kiln-new-" });
  try {
    const dir = `${stage}/${name}`;
    await Deno.mkdir(dir);
    await write(dir, { version: `${version ?? "1.0"} 1\n`, build: BUILDS.unknown, depends: "" });
    let system: BuildSystem = "unknown";
    if (url !== undefined) {
      await write(dir, { sources: `${url}\n` });
      const recipe = loadRecipe(dir, { repo, dialect: "community", allowChecksumMismatch: true });
      const [sums] = await checksumLines([recipe], config, log);
      await write(dir, { checksums: sums.map((s) => s + "\n").join("") });
      const [entry] = planRecipe(config, recipe);
      if (entry?.kind === "remote" && isArchiveName(entry.path)) {
        const unpacked = `${stage}/unpacked`;
        await extractSource(entry.path, unpacked, { log });
        system = detectBuildSystem(unpacked);
        await Deno.remove(unpacked, { recursive: true });
      }
      await write(dir, { build: BUILDS[system] });
    }
    await Deno.rename(dir, target);
    return { dir: target, version: version ?? "1.0", build: system };
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}
