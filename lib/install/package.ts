/**
 * Reading a package archive for installation (SPEC §8.1): the archive is
 * decompressed as a stream, parsed and checked before anything is written,
 * in memory that does not grow with the package: the content of its files
 * is read again as they are written, unless it cannot be
 * (`package_source.ts`), and every entry is counted against the free space
 * of the root before its content is read (`space.ts`). Should the `zstd`
 * program fail, the archive is read again with the in-process decoder,
 * whose verdict stands.
 *
 * Refused here: device nodes and fifos, a name listed twice, hard links to
 * anything but an earlier file of the package, and anything under
 * `var/db/kiss/` other than the package's own database entry; entries below
 * a file or symbolic link of the same archive (a link used to write through)
 * are refused by the contents check. Names that are
 * absolute or contain `..` are refused by the tar reader. Hard links become
 * copies, as `cp` makes them when kiss installs.
 *
 * @module
 */

import type { Dependency } from "../recipe/types.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { scanTar } from "../archive/tar_scan.ts";
import type { TarEntry, TarItem } from "../archive/tar_entry.ts";
import type { TarPull } from "../archive/tar_pull.ts";
import { isEtcFile } from "../db/etcsums.ts";
import { DB_PATH } from "../db/manifest.ts";
import {
  type DecompressedSource,
  MemoryBudget,
  openDecompressed,
  shapeOf,
  ZSTD_PROGRAM,
  ZstdProgramFailed,
} from "./package_source.ts";
import { NoRoom, SpaceBudget } from "./space.ts";
import { checkContents } from "./validate.ts";
import { HELPER_MIN_FILES, type WriteHelper } from "./write_helper.ts";

/** One entry of a package, by its manifest path (`/usr/bin/x`, directories `/usr/bin/`). */
export interface PackageEntry {
  /** The manifest path. */
  readonly path: string;
  /** What it is (a hard link is a file). */
  readonly type: "file" | "directory" | "symlink";
  /** Permission bits with setuid, setgid and sticky. */
  readonly mode: number;
  /**
   * A file's content, when it is held in memory (see {@linkcode later});
   * empty otherwise.
   */
  readonly body: Uint8Array;
  /** A file's size in bytes (0 for other entries). */
  readonly size: number;
  /**
   * For a file whose content is not held in memory: the index of the tar
   * entry that carries it, read again as the file is written
   * ({@linkcode PackageArchive.again}).
   */
  readonly later?: number;
  /** A symbolic link's target. */
  readonly linkName?: string;
}

/** A read and checked package archive. */
export interface PackageArchive {
  /** The archive file. */
  readonly file: string;
  /** The package's name (its database entry's name). */
  readonly name: string;
  /** The version, from the database entry's `version` file. */
  readonly version: string;
  /** The release, from the same file. */
  readonly release: string;
  /** Entries in archive order (the archive's root directory left out). */
  readonly entries: readonly PackageEntry[];
  /** The manifest the archive carries. */
  readonly manifest: readonly string[];
  /** Dependencies from the archive's `depends`. */
  readonly depends: readonly Dependency[];
  /** Entries the archive has but its manifest leaves out as kiss does (`*.la`, `charset.alias`): not installed. */
  readonly unlisted: ReadonlySet<string>;
  /** Bytes of file content. */
  readonly size: number;
  /**
   * A second thread holding its own copy of the archive, to write half of a
   * big package's files (`write_helper.ts`); stopped once used, or by
   * {@linkcode releasePackages}. Only for an archive held in shared memory.
   */
  readonly helper?: WriteHelper;
  /**
   * How the content not held in memory is read again while it is written:
   * the decompressor program, and each tar entry's shape
   * ({@linkcode shapeOf}) as first read, which the second reading must
   * match entry for entry.
   */
  readonly again?: { readonly program: string; readonly shapes: readonly string[] };
}

/** Stop the helper threads of packages that will not be installed after all (or are done). */
export function releasePackages(pkgs: readonly PackageArchive[]): void {
  for (const p of pkgs) p.helper?.stop();
}

/** A {@linkcode KilnError} refusing an archive. */
export function refuse(file: string, what: string, hint = "the archive is refused; nothing was installed"): KilnError {
  return new KilnError(`${file}: ${what}`, { hint });
}

/** The package name a file name `NAME@VERSION-RELEASE.tar.EXT` gives (kiss: everything before the last `@`). */
export function nameFromFile(file: string): string | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const at = base.lastIndexOf("@");
  return at > 0 ? base.slice(0, at) : undefined;
}

const DB_AREA = "/var/db/kiss/";
const DB_PARENTS = new Set(["/var/", "/var/db/", DB_AREA, `${DB_PATH}/`]);

/**
 * Read, decompress, parse and check the package archive `file`, to be
 * installed on `root` (whose free space it must fit: see `space.ts`; no
 * root, no check). `helperFrom` is kept for callers (a second writing thread
 * needs the archive in memory, which it no longer is). Throws
 * {@linkcode KilnError} when refused. `log` hears (as debug lines) why an
 * archive was read again.
 */
export async function readPackage(
  file: string,
  _helperFrom = HELPER_MIN_FILES,
  log?: Log,
  root?: string,
): Promise<PackageArchive> {
  try {
    return await readArchive(file, ZSTD_PROGRAM, root);
  } catch (err) {
    // The zstd program only makes reading lighter: whatever failed while it decompressed is read again
    // in-process, which says whether the archive is damaged (or refused) in its own words.
    if (!(err instanceof ZstdProgramFailed)) throw err;
    log?.debug(`${file}: reading it with the ${ZSTD_PROGRAM} program failed (${err.message}); reading it in-process`);
    return await readArchive(file, false, root);
  }
}

/** {@linkcode readPackage}, decompressing zstd with `program` (`false`: in-process). */
async function readArchive(file: string, program: string | false, root?: string): Promise<PackageArchive> {
  const base = file.slice(file.lastIndexOf("/") + 1);
  let source: DecompressedSource;
  try {
    source = await openDecompressed(file, base, program);
  } catch (err) {
    if (err instanceof KilnError) throw refuse(file, `cannot decompress: ${err.message}`, err.hint);
    throw new KilnError(`cannot read package file ${file}: ${(err as Error).message}`, {
      hint: err instanceof Deno.errors.NotFound ? "check the path, or build the package first" : undefined,
      cause: err,
    });
  }

  const entries: PackageEntry[] = [];
  const byPath = new Map<string, PackageEntry>();
  const dbNames = new Set<string>();
  const shapes: string[] = [];
  const budget = new SpaceBudget(file, root);
  const held = new MemoryBudget(file, source.again !== undefined);
  let size = 0;
  // Whether to keep an entry's content in memory: all of it when it cannot be read again, else only what
  // the checks and the plan read (the database entry, /etc files). Every entry is counted against the
  // free space of the root first, before its content is read.
  const keep = (entry: TarEntry) => {
    const path = `/${entry.path}`;
    const hardlinked = entry.type === "hardlink" ? byPath.get(`/${entry.linkName}`) : undefined;
    budget.add(path, entry.type === "hardlink" ? hardlinked?.size ?? 0 : entry.size);
    if (entry.type !== "file") return false;
    const wanted = source.again === undefined || isEtcFile(path) || path.startsWith(DB_AREA);
    if (wanted) held.add(path, entry.size);
    return wanted;
  };
  const take = ({ entry, body }: TarItem) => {
    shapes.push(shapeOf(entry));
    if (entry.path === ".") return;
    const type = entry.type;
    if (type === "char" || type === "block" || type === "fifo") {
      throw refuse(
        file,
        `${entry.path} is a ${type === "fifo" ? "fifo" : "device node"}; packages may not contain one`,
      );
    }
    const path = type === "directory" ? `/${entry.path}/` : `/${entry.path}`;
    if (path.startsWith(DB_AREA) && !DB_PARENTS.has(path)) {
      const rest = path.startsWith(`${DB_PATH}/`) ? path.slice(DB_PATH.length + 1) : "";
      const name = rest.split("/")[0];
      if (!name) throw refuse(file, `${path} is inside kiss's database but not in a package's entry`);
      dbNames.add(name);
    }
    let placed: PackageEntry;
    if (type === "hardlink") {
      const target = byPath.get(`/${entry.linkName}`);
      if (!target || target.type !== "file") {
        throw refuse(
          file,
          `${path} is a hard link to ${entry.linkName}, which is not an earlier file of the package`,
        );
      }
      if (target.later !== undefined && (isEtcFile(path) || path.startsWith(DB_AREA))) {
        throw refuse(file, `${path} is a hard link to ${entry.linkName}, outside /etc and the database entry`);
      }
      placed = { path, type: "file", mode: entry.mode, body: target.body, size: target.size, later: target.later };
    } else {
      const later = type === "file" && entry.size > 0 && body.length === 0 ? shapes.length - 1 : undefined;
      placed = { path, type, mode: entry.mode, body, size: entry.size, linkName: entry.linkName, later };
    }
    const seen = byPath.get(path);
    if (seen) {
      if (seen.type === "directory" && placed.type === "directory") return;
      throw refuse(file, `${path} is in the archive twice`);
    }
    size += placed.size;
    entries.push(placed);
    byPath.set(path, placed);
  };
  try {
    if (source.pull !== undefined) { for (const item of pulled(source.pull, keep)) take(item); }
    else for await (const item of scanTar(source.stream!, keep, { name: base })) take(item);
    const failure = await source.verdict();
    if (failure !== undefined) throw failure;
  } catch (err) {
    const failure = await source.cancel();
    // Too big for the root or for memory: said from the headers alone, and not worth decompressing again.
    if (err instanceof NoRoom) throw err;
    if (source.again !== undefined) throw failure ?? new ZstdProgramFailed((err as Error).message);
    if (err instanceof KilnError && !err.message.startsWith(file)) throw refuse(file, err.message, err.hint);
    throw err;
  }

  const again = source.again === undefined ? undefined : { program: source.again, shapes };
  return { file, ...checkPackage(file, dbNames, byPath), entries, size, again };
}

/** The entries `pull` reads, with the content of those `keep` says to keep (a copy: the window is reused). */
function* pulled(pull: TarPull, keep: (entry: TarEntry) => boolean): Generator<TarItem> {
  for (let entry; (entry = pull.next()) !== null;) {
    let body = EMPTY;
    if (keep(entry) && entry.size > 0) {
      const into = body = new Uint8Array(entry.size);
      let at = 0;
      pull.body((piece) => {
        into.set(piece, at);
        at += piece.length;
      });
    }
    yield { entry, body };
  }
}

const EMPTY = new Uint8Array(0);

/** Check the database entries found (`dbNames`) and the archive's contents against its manifest. */
function checkPackage(file: string, dbNames: ReadonlySet<string>, byPath: ReadonlyMap<string, PackageEntry>) {
  const fromFile = nameFromFile(file);
  if (dbNames.size === 0) {
    throw refuse(file, `no database entry (${DB_PATH}/<name>/) inside: this is not a kiss package`);
  }
  if (dbNames.size > 1) {
    throw refuse(file, `database entries of several packages inside (${[...dbNames].sort().join(", ")})`);
  }
  const [name] = dbNames;
  if (fromFile !== undefined && fromFile !== name) {
    throw refuse(file, `the file is named for package ${fromFile} but holds the database entry of ${name}`);
  }
  return { name, ...checkContents(file, name, byPath) };
}
