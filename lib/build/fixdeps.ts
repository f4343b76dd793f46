/**
 * Dependency detection after a build (SPEC §6.3, kiss's `pkg_fix_deps`):
 * read each program's and library's `DT_NEEDED`, find the file the dynamic
 * loader would load — in the package itself or in the root being built
 * for — and add the installed package that owns it to the package's
 * `depends` (the copy in the package's own database entry), promoting a
 * `make` dependency to a runtime one when the library comes from it.
 *
 * Where a library is looked for, in order: the ELF's `DT_RPATH` (only when
 * it has no `DT_RUNPATH`), its `DT_RUNPATH` (`$ORIGIN` is the ELF's own
 * directory as installed), the entries of the root's
 * `/etc/ld-musl-*.path` file, then `/lib`, `/usr/local/lib`, `/usr/lib`,
 * `/lib64`, `/usr/lib64`. The package's own files are looked at first (also
 * through the root's symlinked directories): a library the package ships
 * itself adds nothing. A library found in the
 * root is owned by the package whose manifest lists it, after the
 * directories leading to it are resolved through the root's symlinks (so
 * `/lib/libz.so.1` is `/usr/lib/libz.so.1` when `/lib` links to `usr/lib`).
 *
 * Libraries of the C library and the compiler runtime are never added (every
 * system has them, and kiss ignores the same set): {@linkcode isSystemLibrary}.
 * A package never depends on itself.
 *
 * The package's files are the build's: ELF files are read through
 * descriptors opened beneath the package directory without following links,
 * and `depends` is read and written the same way ({@linkcode PackageDir}); a
 * `depends` the build left as a link is refused, not read.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { normalize } from "../config.ts";
import { isNotFound } from "../errors.ts";
import type { Log } from "../log.ts";
import { close } from "../../ffi/fs.ts";
import { type ElfFile, inspectFile } from "./elf.ts";
import { DB_PATH, objectEntries, resolveIn, resolveInPackage } from "./files.ts";
import { PackageDir } from "./pkgdir.ts";
import { DescriptorFile } from "./reader.ts";
import { type LibraryOwners, ownersOf } from "./libowners.ts";

/**
 * Libraries of musl/glibc and of the compiler runtime, as kiss's list:
 * `ld-*`, `libc.so*`, `libm.so*`, `libc++`, `libc++abi`, `libcrypt`,
 * `libdl`, `libgcc_s`, `libmvec`, `libpthread`, `libresolv`, `librt`,
 * `libstdc++`, `libtrace`, `libunwind`, `libutil`, `libxnet`; plus glibc's
 * `libanl` and `libBrokenLocale`, which kiss's musl systems never meet.
 */
const SYSTEM_LIBRARY =
  /^(?:ld-.*|lib[cm]\.so.*|lib(?:c\+\+|c\+\+abi|crypt|dl|gcc_s|mvec|pthread|resolv|rt|stdc\+\+|trace|unwind|util|xnet|anl|BrokenLocale)\.so.*|ldd)$/;

/** Where the dynamic loader looks when the ELF names no path. */
export const DEFAULT_LIBRARY_DIRS = ["/lib", "/usr/local/lib", "/usr/lib", "/lib64", "/usr/lib64"] as const;

/** True for a library of the C library or compiler runtime, never a dependency. */
export function isSystemLibrary(name: string): boolean {
  return SYSTEM_LIBRARY.test(name.slice(name.lastIndexOf("/") + 1));
}

/** How one `DT_NEEDED` entry was resolved. */
export interface NeededLibrary {
  /** Package-relative path of the ELF that needs it. */
  readonly file: string;
  /** The `DT_NEEDED` value. */
  readonly library: string;
  /**
   * `system` (ignored libc/runtime), `self` (shipped by the package),
   * `package` (owned by an installed package), `unowned` (in the root but
   * in no manifest), `missing` (found nowhere).
   */
  readonly status: "system" | "self" | "package" | "unowned" | "missing";
  /** The path it resolved to (as seen in the root or package). */
  readonly path?: string;
  /** The owning package when `status` is `package`. */
  readonly owner?: string;
}

/** What {@linkcode fixDepends} found and changed. */
export interface FixDependsResult {
  /** Every `DT_NEEDED` entry of every ELF and where it led. */
  readonly libraries: NeededLibrary[];
  /** Packages added to `depends` as runtime dependencies. */
  readonly added: string[];
  /** `make` dependencies turned into runtime ones. */
  readonly promoted: string[];
}

/** Inputs of {@linkcode fixDepends}. */
export interface FixDependsOptions {
  /** The built package's directory (`<proc>/pkg/<name>`). */
  readonly pkgdir: string;
  /** The package's name. */
  readonly name: string;
  readonly config: Config;
  readonly log: Log;
  /** Owner look-ups (defaults to the manifests of `config.root`). */
  readonly owners?: LibraryOwners;
}

/**
 * Detect the runtime dependencies of the package in `pkgdir` from its ELF
 * files and record them in `<pkgdir>/var/db/kiss/installed/<name>/depends`.
 */
export async function fixDepends(options: FixDependsOptions): Promise<FixDependsResult> {
  const { pkgdir, name, config, log } = options;
  const owners = options.owners ?? ownersOf(config);
  const defaults = [...(await muslPathDirs(config.root)), ...DEFAULT_LIBRARY_DIRS];
  const libraries: NeededLibrary[] = [];
  const found = new Map<string, { library: string; file: string }>();

  using pkg = PackageDir.open(pkgdir);
  for (const { rel } of objectEntries(pkg)) {
    let elf: ElfFile | undefined;
    try {
      elf = await readPackageElf(pkg, rel);
    } catch (err) {
      log.warn(`skipping ${rel} of ${name}: ${(err as Error).message}`);
      continue;
    }
    if (elf === undefined || (elf.type !== "EXEC" && elf.type !== "DYN")) continue;
    log.info(`inspecting ELF ${rel} of type ${elf.type}`);
    const origin = "/" + rel.slice(0, rel.lastIndexOf("/"));
    const dirs = [
      ...(elf.runpath.length === 0 ? elf.rpath : []),
      ...elf.runpath,
    ].map((d) => d.replace(/\$(?:\{ORIGIN\}|ORIGIN)/g, origin)).filter((d) => d.startsWith("/"));
    for (const library of elf.needed) {
      const n = await resolveNeeded(rel, library, [...dirs, ...defaults], pkg, config.root, owners);
      libraries.push(n);
      log.debug(describe(n));
      if (n.status === "package" && n.owner !== name && !found.has(n.owner!)) {
        found.set(n.owner!, { library, file: rel });
      }
    }
  }

  const { added, promoted } = recordDepends(pkg, name, found, log);
  return { libraries, added, promoted };
}

/** The ELF file `rel` of the package, read through a descriptor opened without following links. */
async function readPackageElf(pkg: PackageDir, rel: string): Promise<ElfFile | undefined> {
  const opened = pkg.openFile(rel);
  if (opened === undefined) return undefined;
  try {
    const info = await inspectFile(new DescriptorFile(opened.fd), opened.stat.size, `${pkg.path}/${rel}`);
    return info?.format === "elf" ? info : undefined;
  } finally {
    close(opened.fd);
  }
}

function describe(n: NeededLibrary): string {
  switch (n.status) {
    case "system":
      return `${n.file} needs ${n.library}: C library or runtime, ignored`;
    case "self":
      return `${n.file} needs ${n.library}: shipped by the package itself (${n.path})`;
    case "package":
      return `${n.file} needs ${n.library}: ${n.path} from ${n.owner}`;
    case "unowned":
      return `${n.file} needs ${n.library}: ${n.path} is owned by no installed package`;
    case "missing":
      return `${n.file} needs ${n.library}: not found in the package or the root`;
  }
}

async function resolveNeeded(
  file: string,
  library: string,
  dirs: string[],
  pkg: PackageDir,
  root: string,
  owners: LibraryOwners,
): Promise<NeededLibrary> {
  if (isSystemLibrary(library)) return { file, library, status: "system" };
  const candidates = library.includes("/")
    ? (library.startsWith("/") ? [normalize(library)] : [])
    : dirs.map((d) => normalize(`${d}/${library}`));
  // The package's own files first: once installed they take these paths,
  // also where the root reaches them through a symlinked directory.
  for (const candidate of candidates) {
    const inRoot = await resolveParent(root, candidate);
    for (const path of inRoot === undefined || inRoot === candidate ? [candidate] : [candidate, inRoot]) {
      if (await resolveInPackage(pkg, path) !== undefined) return { file, library, status: "self", path };
    }
  }
  for (const candidate of candidates) {
    if (await resolveIn(root, candidate) === undefined) continue;
    const path = (await resolveParent(root, candidate)) ?? candidate;
    const owner = (await owners.owner(path)) ?? (await owners.owner(candidate));
    return owner === undefined
      ? { file, library, status: "unowned", path }
      : { file, library, status: "package", path, owner };
  }
  return { file, library, status: "missing" };
}

/** `path` with its directories resolved through `base`'s symlinks (the last component kept as is). */
async function resolveParent(base: string, path: string): Promise<string | undefined> {
  const slash = path.lastIndexOf("/");
  const parent = await resolveIn(base, path.slice(0, slash) || "/");
  return parent === undefined ? undefined : `${parent === "/" ? "" : parent}${path.slice(slash)}`;
}

/** The directories listed in the root's `/etc/ld-musl-<arch>.path`, if it has one. */
async function muslPathDirs(root: string): Promise<string[]> {
  const etc = `${root === "/" ? "" : root}/etc`;
  try {
    for await (const e of Deno.readDir(etc)) {
      if (/^ld-musl-.*\.path$/.test(e.name)) {
        const text = await Deno.readTextFile(`${etc}/${e.name}`);
        return text.split(/[\s:]+/).filter((d) => d.startsWith("/"));
      }
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return [];
}

/**
 * Add `found` packages to the `depends` file of the package's database entry:
 * a `make` line becomes a runtime line, a missing package is appended (in
 * name order). Comments and the order of existing lines are kept.
 */
function recordDepends(
  pkg: PackageDir,
  name: string,
  found: Map<string, { library: string; file: string }>,
  log: Log,
): { added: string[]; promoted: string[] } {
  const added: string[] = [], promoted: string[] = [];
  if (found.size === 0) return { added, promoted };
  const entry = `${DB_PATH}/${name}`;
  const bytes = pkg.readFile(`${entry}/depends`);
  const text = bytes === undefined ? "" : new TextDecoder().decode(bytes);
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  for (const [dep, why] of [...found].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const at = lines.map((l) => l.trim().split(/\s+/)).findIndex((w) => w[0] === dep);
    if (at < 0) {
      lines.push(dep);
      added.push(dep);
      log.info(`added dependency ${dep} of ${name} (${why.file} needs ${why.library})`);
      continue;
    }
    const words = lines[at].trim().split(/\s+/);
    if (words[1] === "make") {
      lines[at] = dep;
      promoted.push(dep);
      log.info(`promoted make dependency ${dep} of ${name} to runtime (${why.file} needs ${why.library})`);
    }
  }
  if (added.length + promoted.length > 0) {
    const dir = pkg.makeDirectories(entry);
    try {
      PackageDir.replaceFile(dir, "depends", new TextEncoder().encode(lines.join("\n") + "\n"));
    } finally {
      close(dir);
    }
  }
  return { added, promoted };
}
