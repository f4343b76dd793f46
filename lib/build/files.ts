/**
 * Which files of a built package are worth looking at as programs and
 * libraries, and how paths resolve inside a root directory.
 *
 * kiss looks only under `bin/`, `sbin/`, `lib/` and `libNN/`…`libNNNN/`
 * directories (e.g. `lib64`, `libexec`), at any depth, and never at symlinks;
 * kiln does the same so that a package of data files costs nothing.
 *
 * @module
 */

import { PackageDir, type PackageEntry, typeOf } from "./pkgdir.ts";

/** The package's database entry, relative to the package directory. */
export const DB_PATH = "var/db/kiss/installed";

const CANDIDATE = /(?:^|\/)(?:s?bin|lib(?:[^/]{2,4})?)\/[^/]/;

/** True when the package-relative `path` lies where kiss looks for ELF files. */
export function isObjectCandidate(path: string): boolean {
  return CANDIDATE.test(path) && !path.startsWith(`${DB_PATH}/`);
}

/**
 * Package-relative paths (no leading `/`) of the regular files of `pkgdir`
 * that may be programs or libraries, in byte order. Symlinks are skipped.
 */
export function objectCandidates(pkgdir: string): Promise<string[]> {
  using pkg = PackageDir.open(pkgdir);
  return Promise.resolve(objectEntries(pkg).map((e) => e.rel));
}

/**
 * The entries of {@linkcode objectCandidates}, with what `statx` said of
 * each, walked through the package directory's descriptor (no link
 * followed, `var/db` not entered).
 */
export function objectEntries(pkg: PackageDir): PackageEntry[] {
  return pkg.walk(byteOrder, (rel) => rel === "var/db")
    .filter((e) => typeOf(e.stat.mode) === "file" && isObjectCandidate(e.rel))
    .sort((a, b) => byteOrder(a.rel, b.rel));
}

/** Compare strings by UTF-8 byte order (as `sort` does in the C locale). */
export function byteOrder(a: string, b: string): number {
  const ea = new TextEncoder().encode(a), eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i] - eb[i];
  return ea.length - eb.length;
}

/**
 * Resolve the absolute `path` inside the directory `base` as a process
 * chrooted there would: symlinks are followed, absolute link targets are
 * taken relative to `base`, `..` never climbs above it. Resolves to the
 * resolved path (absolute, as seen inside `base`) when it exists, or
 * `undefined` when it does not (or loops).
 *
 * With `followLast: false` the last component is not followed, so a symlink
 * itself is found (kiss resolves the parent directories of a library, not
 * the library's own symlink, before asking who owns it).
 */
export function resolveIn(base: string, path: string, followLast = true): Promise<string | undefined> {
  return resolveWith(
    async (rel) => {
      const info = await Deno.lstat(`${base}/${rel}`);
      return info.isSymlink ? await Deno.readLink(`${base}/${rel}`) : null;
    },
    path,
    followLast,
  );
}

/**
 * {@linkcode resolveIn} for the build's package directory: each component
 * is looked at through the directory's descriptor (`statx` and `readlinkat`
 * beneath it, no link followed by the system), so the links it meets are
 * only ever read, and only as the emulated root's.
 */
export function resolveInPackage(pkg: PackageDir, path: string, followLast = true): Promise<string | undefined> {
  return resolveWith(
    (rel) => {
      const stat = pkg.stat(rel);
      if (stat === undefined) throw new Error("missing");
      return Promise.resolve(typeOf(stat.mode) === "symlink" ? pkg.readLink(rel) : null);
    },
    path,
    followLast,
  );
}

/** The walk of {@linkcode resolveIn}: `look(rel)` is a link's target, null for anything else, throws when missing. */
async function resolveWith(
  look: (rel: string) => Promise<string | null>,
  path: string,
  followLast: boolean,
): Promise<string | undefined> {
  const pending = path.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    let target: string | null;
    try {
      target = await look([...done, part].join("/"));
    } catch {
      return undefined;
    }
    if (target !== null && (followLast || pending.length > 0)) {
      if (++hops > 40) return undefined;
      if (target.startsWith("/")) done.length = 0;
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    done.push(part);
  }
  return "/" + done.join("/");
}
