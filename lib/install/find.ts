/**
 * Finding package archives to install: by name in the binary cache
 * (`<cache>/bin/<pkg>@<version>-<release>.tar.<ext>`, the version taken from
 * the package's recipe, `KISS_COMPRESS`'s extension preferred), or the newest
 * of each package in a directory of archives (`--from DIR`), and the runtime
 * dependency closure of the named packages read from the archives' own
 * database entries.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { isFile } from "../fs_queries.ts";
import { isInstalled } from "../db/installed.ts";
import { readVersion } from "../recipe/version.ts";
import { Repositories } from "../repo/repositories.ts";
import { type PackageArchive, readPackage, releasePackages } from "./package.ts";
import { orderByDepends } from "./batch.ts";
import { helperThreshold } from "./write_helper.ts";

/** Extensions of package archives, in kiln's order of preference after `KISS_COMPRESS`. */
export const ARCHIVE_EXTENSIONS = ["zst", "gz", "xz", "bz2", "lz", "lzma"] as const;

/** The archive of `name` at `version-release` in the binary cache, if one exists. */
export function cachedArchive(config: Config, name: string, version: string, release: string): string | undefined {
  const exts = [config.compress, ...ARCHIVE_EXTENSIONS.filter((e) => e !== config.compress)];
  for (const ext of exts) {
    const file = `${config.binDir}/${name}@${version}-${release}.tar.${ext}`;
    if (isFile(file)) return file;
  }
  return undefined;
}

/** The binary-cache archive of `name` at the version its recipe has now. Throws when there is none. */
export function archiveFromCache(config: Config, repos: Repositories, name: string): string {
  const found = repos.locate(name);
  if (!found) throw repos.notFound(name);
  const { version, release } = readVersion(found.dir);
  const file = cachedArchive(config, name, version, release);
  if (file === undefined) {
    throw new KilnError(
      `package ${name} ${version}-${release} is not built yet (no ${name}@${version}-${release}.tar.* in ${config.binDir})`,
      {
        hint: `build it first: kiln build ${name}`,
      },
    );
  }
  return file;
}

/** Split an archive file name into package, version and release (`zlib@1.3.1-2.tar.gz`). */
export function parseArchiveName(file: string): { name: string; version: string; release: string } | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const m = /^(.+)@(.+)-([^-]+)\.(tar|tar\.[a-z0-9]+|tgz|txz|tbz2?|tzst)$/.exec(base);
  return m ? { name: m[1], version: m[2], release: m[3] } : undefined;
}

/** Compare versions as `sort -V` does: digit runs by value, the rest by character. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/(\d+)/), pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "", y = pb[i] ?? "";
    if (x === y) continue;
    if (i % 2 === 1 && x !== "" && y !== "") {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The newest archive of each package in `dir` (by version, then release, then modification time). */
export function newestArchives(dir: string): Map<string, string> {
  const best = new Map<string, { file: string; version: string; release: string; mtime: number }>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    throw new KilnError(`cannot read the package directory ${dir}: ${(err as Error).message}`, {
      hint: "give --from a directory of package archives",
      cause: err,
    });
  }
  for (const e of entries) {
    const parsed = parseArchiveName(e.name);
    if (!parsed || e.isDirectory) continue;
    const file = `${dir}/${e.name}`;
    const mtime = Deno.statSync(file).mtime?.getTime() ?? 0;
    const cur = best.get(parsed.name);
    const cmp = cur === undefined
      ? 1
      : compareVersions(parsed.version, cur.version) || compareVersions(parsed.release, cur.release) ||
        mtime - cur.mtime;
    if (cmp > 0) best.set(parsed.name, { file, ...parsed, mtime });
  }
  return new Map([...best].map(([name, b]) => [name, b.file]));
}

/**
 * Read the archives of `names` and of their runtime dependencies, found with
 * `lookup` (dependencies already installed in `config.root` are skipped), in
 * install order. `where` says where `lookup` looks, for messages.
 */
export async function dependencyClosure(
  config: Config,
  names: readonly string[],
  lookup: (name: string) => string | undefined,
  where: string,
  log: Log,
): Promise<PackageArchive[]> {
  const chosen = new Map<string, PackageArchive>();
  const helperFrom = helperThreshold(config.root);
  const add = async (name: string, neededBy?: string): Promise<void> => {
    if (chosen.has(name) || (neededBy !== undefined && isInstalled(config, name))) return;
    const file = lookup(name);
    if (file === undefined) {
      throw new KilnError(`no archive of ${name}${neededBy ? ` (needed by ${neededBy})` : ""} in ${where}`, {
        hint: neededBy ? `add ${name}'s archive to ${where}, or install ${name} first` : "check the package name",
      });
    }
    log.debug(`reading ${file}`);
    const pkg = await readPackage(file, helperFrom, log, config.root);
    chosen.set(name, pkg);
    for (const d of pkg.depends) if (!d.make) await add(d.name, name);
  };
  try {
    for (const name of names) await add(name);
    return orderByDepends([...chosen.values()]);
  } catch (err) {
    releasePackages([...chosen.values()]);
    throw err;
  }
}

/** The archives of `names` and their dependencies from `--from DIR`. */
export function fromDirectory(
  config: Config,
  dir: string,
  names: readonly string[],
  log: Log,
): Promise<PackageArchive[]> {
  const available = newestArchives(dir);
  return dependencyClosure(config, names, (n) => available.get(n), dir, log);
}

/** The archives of `names` and their dependencies from the binary cache (versions from the repositories). */
export function fromCache(
  config: Config,
  repos: Repositories,
  names: readonly string[],
  log: Log,
): Promise<PackageArchive[]> {
  return dependencyClosure(
    config,
    names,
    (name) => {
      const found = repos.locate(name);
      if (!found) throw repos.notFound(name);
      const { version, release } = readVersion(found.dir);
      return cachedArchive(config, name, version, release);
    },
    `the binary cache ${config.binDir}`,
    log,
  );
}
