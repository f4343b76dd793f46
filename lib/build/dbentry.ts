/**
 * The database entry a built package carries, `var/db/kiss/installed/<pkg>/`
 * in its package directory (SPEC §6.3): the recipe copied in (`cp -LRf`, as
 * kiss does), files kiss leaves out of manifests removed from the package
 * (libtool `.la` files, `charset.alias`), then `manifest` and, when the
 * package has `/etc`, `etcsums` written.
 *
 * Every one of these steps acts on the build's own directory, so each goes
 * through the package directory's descriptor ({@linkcode PackageDir}):
 *
 * - the entry's directories are made with `mkdirat` one by one; a build that
 *   left `var`, `var/db`, `var/db/kiss`, `var/db/kiss/installed` or the entry
 *   as a symbolic link (to a host directory, say) is refused with an error
 *   naming the link and its target, and nothing is written;
 * - every file kiln writes there replaces what the build left under its name
 *   with `unlinkat` and is made with `O_CREAT | O_EXCL | O_NOFOLLOW`: a link
 *   the build planted as `manifest` is removed, its target is untouched; a
 *   link the build left in the entry that kiln does not replace (a `depends`
 *   the recipe has not) is refused: installs read those files;
 * - `.la` files are removed with `unlinkat` relative to their directory,
 *   found by a walk that never enters a linked directory: a `.la` that is a
 *   link loses the link, not its target;
 * - the manifest is made from that same walk (a name with a line break, which
 *   would add a line of the build's choosing, is refused), and each `/etc` file summed
 *   from a descriptor opened without following links (a link sums as the
 *   empty file, as kiss has it).
 *
 * @module
 */

import { checkLinkWithin } from "./copy.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { EMPTY_SHA256, isEtcFile, sha256 } from "../db/etcsums.ts";
import { etcsumsPath, formatManifest, isManifestExcluded, manifestPath, sortManifest } from "../db/manifest.ts";
import { close } from "../../ffi/fs.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";
import { compareBytes } from "../archive/pack.ts";
import { DB_PATH } from "./files.ts";
import { PackageDir, type PackageEntry, typeOf } from "./pkgdir.ts";

const encoder = new TextEncoder();

/**
 * Copy the recipe directory `recipeDir` (kiln's repository: links in it are
 * followed, as `cp -L` does) into the package's entry
 * `var/db/kiss/installed/<name>/`, and remove any `manifest` or `etcsums`
 * found there (kiln writes its own).
 */
export async function copyRecipe(pkg: PackageDir, name: string, recipeDir: string): Promise<void> {
  const entry = `${DB_PATH}/${name}`;
  const copyDir = async (from: string, rel: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(from)) names.push(e.name);
    names.sort();
    const dir = pkg.makeDirectories(rel);
    try {
      for (const file of names) {
        // A recipe's link to a host file must not bring that file into a package.
        if ((await Deno.lstat(`${from}/${file}`)).isSymlink) await checkLinkWithin(`${from}/${file}`, recipeDir);
        const info = await Deno.stat(`${from}/${file}`);
        if (info.isDirectory) {
          await copyDir(`${from}/${file}`, `${rel}/${file}`);
        } else if (info.isFile) {
          replace(pkg, dir, `${rel}/${file}`, await Deno.readFile(`${from}/${file}`), (info.mode ?? 0o644) & 0o7777);
        } else {
          throw new KilnError(`cannot copy ${from}/${file} into the package: not a file or directory`, {
            hint: "remove the special file from the recipe",
          });
        }
      }
    } finally {
      close(dir);
    }
  };
  await copyDir(recipeDir, entry);
  for (const own of ["manifest", "etcsums"]) pkg.unlink(`${entry}/${own}`);
  const link = pkg.walk(compareBytes, undefined, entry).find((e) => e.link !== undefined);
  if (link !== undefined) {
    throw new KilnError(
      `the build left ${link.rel} as a symbolic link to ${link.link} in ${pkg.path}; ` +
        `a package's database entry holds only kiln's copy of its recipe`,
      { hint: `change the build script so that it writes nothing into ${entry}` },
    );
  }
}

/** Write `bytes` as `rel` (a name in the directory `dir`), replacing what the build left there. */
function replace(pkg: PackageDir, dir: number, rel: string, bytes: Uint8Array, mode = 0o644): void {
  try {
    PackageDir.replaceFile(dir, rel.slice(rel.lastIndexOf("/") + 1), bytes, mode);
  } catch (err) {
    if (err instanceof SyscallError && (err.errno === ERRNO.EISDIR || err.errno === ERRNO.EEXIST)) {
      throw new KilnError(`the build left ${rel} in ${pkg.path} as a directory, where kiln writes a file`, {
        hint: `change the build script so that it does not make ${rel}`,
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Remove the files kiss leaves out of manifests, then write `manifest` (and
 * `etcsums` when the package has `/etc`) into the package's entry. Returns
 * the manifest.
 */
export function writeDatabaseFiles(pkg: PackageDir, name: string, log: Log): string[] {
  let entries = pkg.walk(compareBytes);
  const unlisted = entries.filter((e) => typeOf(e.stat.mode) !== "directory" && isManifestExcluded(e.rel));
  if (unlisted.length > 0) {
    for (const { rel } of unlisted) {
      log.debug(`removing /${rel} from ${name}: not part of a manifest`);
      pkg.unlink(rel);
    }
    entries = pkg.walk(compareBytes);
  }
  const broken = entries.find((e) => e.rel.includes("\n"));
  if (broken !== undefined) {
    throw new KilnError(
      `${pkg.path}/${
        JSON.stringify(broken.rel).slice(1, -1)
      }: a file name with a line break cannot be listed in a manifest`,
      { hint: "rename it in the build script (each manifest line is one path)" },
    );
  }
  const byPath = new Map(entries.map((e) => [`/${e.rel}`, e]));
  const hasEtc = byPath.get("/etc") !== undefined && typeOf(byPath.get("/etc")!.stat.mode) === "directory";
  const manifest = sortManifest([
    manifestPath(name),
    ...(hasEtc ? [etcsumsPath(name)] : []),
    ...entries.map((e) => typeOf(e.stat.mode) === "directory" ? `/${e.rel}/` : `/${e.rel}`),
  ]);
  const dir = pkg.makeDirectories(`${DB_PATH}/${name}`);
  try {
    replace(pkg, dir, `${DB_PATH}/${name}/manifest`, encoder.encode(formatManifest(manifest)));
    if (hasEtc) {
      const sums = manifest.filter(isEtcFile).map((path) => etcSum(pkg, path, byPath.get(path)));
      replace(pkg, dir, `${DB_PATH}/${name}/etcsums`, encoder.encode(formatManifest(sums)));
    }
  } finally {
    close(dir);
  }
  return manifest;
}

/** The SHA-256 of the package's `/etc` file `path`, read through a descriptor; a link sums as the empty file. */
function etcSum(pkg: PackageDir, path: string, entry: PackageEntry | undefined): string {
  const type = entry === undefined ? "missing" : typeOf(entry.stat.mode);
  if (type === "symlink") return EMPTY_SHA256;
  const bytes = type === "file" ? pkg.readFile(path.slice(1)) : undefined;
  if (bytes === undefined) {
    throw new KilnError(`${pkg.path}${path} is listed in the manifest but is not a file`, {
      hint: "make sure nothing the build started still runs, then build again",
    });
  }
  return sha256(bytes);
}
