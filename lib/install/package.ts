/**
 * Reading a package archive for installation (SPEC §8.1): the whole archive
 * is decompressed in memory, parsed and checked before anything is written.
 * Its entries are read as the decompressed bytes arrive (from the `zstd`
 * program, `lib/archive/arriving.ts`); should the program fail, the archive
 * is read again with the in-process decoder, whose verdict stands.
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
import { type ArrivingBytes, arrivingBytes, ZSTD_PROGRAM, ZstdProgramFailed } from "../archive/arriving.ts";
import { MORE, TarCursor } from "../archive/tar.ts";
import { DB_PATH } from "../db/manifest.ts";
import { checkContents } from "./validate.ts";
import { HELPER_MIN_FILES, WriteHelper } from "./write_helper.ts";

/** One entry of a package, by its manifest path (`/usr/bin/x`, directories `/usr/bin/`). */
export interface PackageEntry {
  readonly path: string;
  readonly type: "file" | "directory" | "symlink";
  /** Permission bits with setuid, setgid and sticky. */
  readonly mode: number;
  /** A file's content (a view into the archive); empty otherwise. */
  readonly body: Uint8Array;
  /** A symbolic link's target. */
  readonly linkName?: string;
}

/** A read and checked package archive. */
export interface PackageArchive {
  /** The archive file. */
  readonly file: string;
  /** The package's name (its database entry's name). */
  readonly name: string;
  readonly version: string;
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
   * {@linkcode releasePackages}.
   */
  readonly helper?: WriteHelper;
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
 * Read, decompress, parse and check the package archive `file`; a package
 * of `helperFrom` files or more gets a second thread to write with (see
 * `helperThreshold` of `write_helper.ts`). Throws {@linkcode KilnError} when
 * refused. `log` hears (as debug lines) why an archive was read again.
 */
export async function readPackage(file: string, helperFrom = HELPER_MIN_FILES, log?: Log): Promise<PackageArchive> {
  try {
    return await readArchive(file, ZSTD_PROGRAM, helperFrom);
  } catch (err) {
    // The zstd program only makes reading faster: whatever failed while it decompressed is read again
    // in-process, which says whether the archive is damaged (or refused) in its own words.
    if (!(err instanceof ZstdProgramFailed)) throw err;
    log?.debug(`${file}: reading it with the ${ZSTD_PROGRAM} program failed (${err.message}); reading it in-process`);
    return await readArchive(file, false, helperFrom);
  }
}

/** {@linkcode readPackage}, decompressing zstd with `program` (`false`: in-process). */
async function readArchive(file: string, program: string | false, helperFrom: number): Promise<PackageArchive> {
  const base = file.slice(file.lastIndexOf("/") + 1);
  let arriving: ArrivingBytes;
  try {
    arriving = await arrivingBytes(file, base, program);
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
  let size = 0;
  let tar: Uint8Array;
  try {
    // The tar is read as it is decompressed.
    const cursor = new TarCursor(base);
    for (;;) {
      const item = cursor.next(arriving.bytes, arriving.length, arriving.done);
      if (item === null) break;
      if (item === MORE) {
        arriving.more();
        continue;
      }
      const { entry, body } = item;
      if (entry.path === ".") continue;
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
        placed = { path, type: "file", mode: entry.mode, body: target.body };
      } else {
        placed = { path, type, mode: entry.mode, body, linkName: entry.linkName };
      }
      const seen = byPath.get(path);
      if (seen) {
        if (seen.type === "directory" && placed.type === "directory") continue;
        throw refuse(file, `${path} is in the archive twice`);
      }
      size += placed.body.length;
      entries.push(placed);
      byPath.set(path, placed);
    }
    tar = await arriving.finish();
  } catch (err) {
    const failure = await arriving.cancel();
    if (arriving.byProgram) throw failure ?? new ZstdProgramFailed((err as Error).message);
    if (err instanceof KilnError && !err.message.startsWith(file)) throw refuse(file, err.message, err.hint);
    throw err;
  }

  // A big package gets a second thread to write files with, which starts while the checks and planning run.
  const helper = WriteHelper.forArchive(tar, entries.length, helperFrom);

  try {
    return { file, ...checkPackage(file, dbNames, byPath), entries, size, helper };
  } catch (err) {
    helper?.stop();
    throw err;
  }
}

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
