/**
 * Package archives for install tests, made the way kiss makes them: a
 * package directory with the database entry inside, its manifest written by
 * kiss's own `find | sort -ur` pipeline, etcsums by `b3sum -l 33` (kiss 6)
 * or `sha256sum` (kiss 5), packed with `tar cf - .` and a compressor — the
 * real GNU tar and compressor programs. Also: whole-tree snapshots to prove
 * a root unchanged, and a consistency check of a root's database.
 *
 * @module
 */

import { type Config, loadConfig } from "../../lib/config.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { parseManifest } from "../../lib/db/manifest.ts";
import { RootResolver } from "../../lib/db/resolve.ts";
import type { TarEntry } from "../../lib/archive/tar.ts";

/** One file of a package: text, bytes, or a description. */
export type FileSpec =
  | string
  | Uint8Array
  | { content: string | Uint8Array; mode?: number }
  | { symlink: string }
  | { dir: true; mode?: number };

/** A package to make. */
export interface PackageSpec {
  name: string;
  version?: string;
  release?: string;
  /** Files by path relative to the package root (`usr/bin/x`); parents are made. */
  files?: Record<string, FileSpec>;
  /** `depends` lines (`NAME` or `NAME make`). */
  depends?: string[];
  /** `post-install` script. */
  postInstall?: string;
  /** `pre-remove` script. */
  preRemove?: string;
}

/** Options for {@linkcode makeArchive}. */
export interface ArchiveOptions {
  /** Compression: `gz` (default, as kiss 5), `zst`, `xz`, `bz2`, or `none` (a plain `.tar`). */
  compress?: "gz" | "zst" | "xz" | "bz2" | "none";
  /** Which sums kiss writes into etcsums: `b3` (kiss 6, default) or `sha256` (kiss 5). */
  sums?: "b3" | "sha256";
  /** Change the package directory after the database is written (to make broken archives). */
  tamper?: (pkgdir: string) => void;
}

const DB = "var/db/kiss/installed";

/** Write the package directory for `spec` in `dir` (files and recipe files, no manifest yet). */
export function writePackageDir(spec: PackageSpec, dir: string): void {
  Deno.mkdirSync(dir, { recursive: true });
  for (const [rel, f] of Object.entries(spec.files ?? {})) {
    const path = `${dir}/${rel}`;
    const parent = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(parent, { recursive: true });
    if (typeof f === "string" || f instanceof Uint8Array) {
      if (typeof f === "string") Deno.writeTextFileSync(path, f);
      else Deno.writeFileSync(path, f);
    } else if ("symlink" in f) {
      Deno.symlinkSync(f.symlink, path);
    } else if ("dir" in f) {
      Deno.mkdirSync(path, { recursive: true });
      if (f.mode !== undefined) Deno.chmodSync(path, f.mode);
    } else {
      if (typeof f.content === "string") Deno.writeTextFileSync(path, f.content);
      else Deno.writeFileSync(path, f.content);
      if (f.mode !== undefined) Deno.chmodSync(path, f.mode);
    }
  }
  const entry = `${dir}/${DB}/${spec.name}`;
  Deno.mkdirSync(entry, { recursive: true });
  Deno.writeTextFileSync(`${entry}/version`, `${spec.version ?? "1.0"} ${spec.release ?? "1"}\n`);
  Deno.writeTextFileSync(`${entry}/build`, "#!/bin/sh -e\n");
  Deno.chmodSync(`${entry}/build`, 0o755);
  if (spec.depends) Deno.writeTextFileSync(`${entry}/depends`, spec.depends.map((d) => d + "\n").join(""));
  for (const [file, text] of [["post-install", spec.postInstall], ["pre-remove", spec.preRemove]] as const) {
    if (text === undefined) continue;
    Deno.writeTextFileSync(`${entry}/${file}`, text);
    Deno.chmodSync(`${entry}/${file}`, 0o755);
  }
}

// kiss's pkg_manifest and pkg_etcsums, as shell (kiss 6.x, sums by b3sum -l 33 or sha256sum).
const KISS_DB_SCRIPT = `
set -e
pkgdir=$1 name=$2 sums=$3
db=var/db/kiss/installed
{
  printf '%s\\n' "$pkgdir/$db/$name/manifest"
  ! [ -d "$pkgdir/etc" ] || printf '%s\\n' "$pkgdir/$db/$name/etcsums"
  find "$pkgdir" ! -path "$pkgdir" -type d -exec printf '%s/\\n' {} + \\
    -o \\( ! -type d -a ! -name \\*.la -a ! -name charset.alias \\) -print
} | LC_ALL=C sort -ur > "$pkgdir.list"
while read -r file; do printf '%s\\n' "\${file#"$pkgdir"}"; done < "$pkgdir.list" > "$pkgdir/$db/$name/manifest"
rm -f "$pkgdir.list"
if [ -d "$pkgdir/etc" ]; then
  set --
  while read -r etc; do case $etc in /etc/*[!/])
    etc=$pkgdir/$etc
    [ -h "$etc" ] && etc=/dev/null
    set -- "$@" "$etc"
  esac done < "$pkgdir/$db/$name/manifest"
  if [ $# -eq 0 ]; then : > "$pkgdir/$db/$name/etcsums"
  elif [ "$sums" = b3 ]; then b3sum -l 33 "$@" | cut -d' ' -f1 > "$pkgdir/$db/$name/etcsums"
  else sha256sum "$@" | cut -d' ' -f1 > "$pkgdir/$db/$name/etcsums"
  fi
fi
`;

async function sh(script: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", ...args], cwd, stderr: "piped" }).output();
  if (!out.success) throw new Error(`shell failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Write the manifest and etcsums of a package directory with kiss's own commands. */
export async function writeKissDatabase(dir: string, name: string, sums: "b3" | "sha256" = "b3"): Promise<void> {
  await sh(KISS_DB_SCRIPT, [dir, name, sums]);
}

const COMPRESSORS: Record<string, string> = {
  gz: "gzip -6",
  zst: "zstd -q -z",
  xz: "xz -z",
  bz2: "bzip2 -z",
  none: "cat",
};

/**
 * Make `<outDir>/<name>@<version>-<release>.tar.<ext>` for `spec` exactly as
 * kiss's `pkg_tar` does (`cd pkgdir; tar cf - . | gzip -6`). Returns its path.
 */
export async function makeArchive(spec: PackageSpec, outDir: string, options: ArchiveOptions = {}): Promise<string> {
  const compress = options.compress ?? "gz";
  const work = await Deno.makeTempDir({ prefix: "kiln-pkg-" });
  try {
    const dir = `${work}/${spec.name}`;
    writePackageDir(spec, dir);
    await writeKissDatabase(dir, spec.name, options.sums);
    options.tamper?.(dir);
    Deno.mkdirSync(outDir, { recursive: true });
    const ext = compress === "none" ? "tar" : `tar.${compress}`;
    const file = `${outDir}/${spec.name}@${spec.version ?? "1.0"}-${spec.release ?? "1"}.${ext}`;
    await sh(`tar cf - . | ${COMPRESSORS[compress]} > "$1"`, [file], dir);
    return file;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** A configuration for `root` with the environment `env` (no KISS_PATH unless given). */
export function rootConfig(root: string, env: Record<string, string> = {}): Config {
  return loadConfig({ HOME: root, KISS_ROOT: root, KISS_FSYNC: "0", ...env }, {}, root, false);
}

/** A Log collecting its events (`events.lines("warn")`). */
export function testLog(): Log & { events: ReturnType<typeof collectEvents> } {
  const events = collectEvents();
  return Object.assign(new Log(events), { events });
}

/** Everything about one path of a tree that a user could notice. */
export type NodeState = string;

/**
 * A snapshot of a whole tree: every path with its type, permission bits,
 * contents (files) or target (links). Paths matching `ignore` are left out.
 */
export function snapshot(root: string, ignore: (rel: string) => boolean = () => false): Map<string, NodeState> {
  const out = new Map<string, NodeState>();
  const walk = (rel: string) => {
    for (const e of [...Deno.readDirSync(root + rel)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const path = `${rel}/${e.name}`;
      if (ignore(path)) continue;
      const info = Deno.lstatSync(root + path);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (info.isSymlink) out.set(path, `link ${Deno.readLinkSync(root + path)}`);
      else if (info.isDirectory) {
        out.set(path, `dir ${mode}`);
        walk(path);
      } else if (info.isFile) {
        out.set(path, `file ${mode} ${new TextDecoder().decode(Deno.readFileSync(root + path))}`);
      } else out.set(path, `other ${mode}`);
    }
  };
  walk("");
  return out;
}

/** Paths where two snapshots differ, described (empty when equal). */
export function diffSnapshots(a: Map<string, NodeState>, b: Map<string, NodeState>): string[] {
  const out: string[] = [];
  for (const [p, s] of a) {
    if (!b.has(p)) out.push(`- ${p} (${s.slice(0, 60)})`);
    else if (b.get(p) !== s) out.push(`~ ${p}: ${s.slice(0, 60)} => ${b.get(p)!.slice(0, 60)}`);
  }
  for (const [p, s] of b) if (!a.has(p)) out.push(`+ ${p} (${s.slice(0, 60)})`);
  return out;
}

/** kiln's own files in a database directory, which are not package files. */
export function isKilnFile(rel: string): boolean {
  return /^\/var\/db\/kiss\/\.kiln-(lock|owners)$/.test(rel);
}

/**
 * Problems with a root's database, as sentences (empty when consistent):
 * every manifest entry exists with the right type, every file on disk is
 * owned by a manifest, directly or through the root's linked directories
 * (except `allowUnowned`), no temporary or journal files.
 */
export function inconsistencies(root: string, allowUnowned: (rel: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  const owned = new Set<string>();
  const resolver = new RootResolver(root);
  const installed = `${root}/var/db/kiss/installed`;
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(installed)].map((e) => e.name);
  } catch { /* no database */ }
  for (const name of names) {
    if (name.startsWith(".")) {
      problems.push(`stray entry ${name} in the database`);
      continue;
    }
    let manifest: string[];
    try {
      manifest = parseManifest(Deno.readTextFileSync(`${installed}/${name}/manifest`));
    } catch {
      problems.push(`${name} has no manifest`);
      continue;
    }
    for (const line of manifest) {
      const path = line.endsWith("/") ? line.slice(0, -1) : line;
      owned.add(path);
      owned.add(resolver.resolve(line).replace(/(.)\/$/, "$1"));
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(root + path);
      } catch {
        problems.push(`${name}: ${line} is missing`);
        continue;
      }
      if (line.endsWith("/") !== info.isDirectory && !(line.endsWith("/") && info.isSymlink)) {
        problems.push(`${name}: ${line} has the wrong type`);
      }
    }
  }
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(root + rel)) {
      const path = `${rel}/${e.name}`;
      if (e.name.startsWith(".kiln-") && !isKilnFile(path)) problems.push(`temporary file ${path}`);
      else if (!owned.has(path) && !isKilnFile(path) && !allowUnowned(path)) problems.push(`unowned ${path}`);
      if (e.isDirectory) walk(path);
    }
  };
  walk("");
  return problems;
}

/** One entry of a hand-made archive (for archives kiss would never make). */
export interface RawItem {
  /** As written in the archive (`./usr/bin/x`, `usr/`, even `../x`). */
  path: string;
  type?: "file" | "directory" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  content?: string | Uint8Array;
  linkName?: string;
  mode?: number;
}

function cleanItemPath(path: string): string {
  return path.replace(/^\.\//, "").replace(/\/$/, "");
}

/**
 * The entries of a well-formed package for `spec` (every parent directory,
 * the files, the database entry with version, build, depends and a manifest
 * listing them all), as {@linkcode RawItem}s to tamper with.
 */
export function packageItems(spec: PackageSpec): RawItem[] {
  const items: RawItem[] = [];
  const dirs = new Set<string>();
  const addDirs = (path: string) => {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        items.push({ path: `./${d}/`, type: "directory", mode: 0o755 });
      }
    }
  };
  const db = `${DB}/${spec.name}`;
  const files: Record<string, FileSpec> = {
    ...spec.files,
    [`${db}/version`]: `${spec.version ?? "1.0"} ${spec.release ?? "1"}\n`,
    [`${db}/build`]: { content: "#!/bin/sh -e\n", mode: 0o755 },
  };
  if (spec.depends) files[`${db}/depends`] = spec.depends.map((d) => d + "\n").join("");
  if (spec.postInstall) files[`${db}/post-install`] = { content: spec.postInstall, mode: 0o755 };
  if (spec.preRemove) files[`${db}/pre-remove`] = { content: spec.preRemove, mode: 0o755 };
  for (const [rel, f] of Object.entries(files).sort(([a], [b]) => a < b ? -1 : 1)) {
    addDirs(rel);
    if (typeof f === "string" || f instanceof Uint8Array) items.push({ path: `./${rel}`, content: f, mode: 0o644 });
    else if ("symlink" in f) items.push({ path: `./${rel}`, type: "symlink", linkName: f.symlink, mode: 0o777 });
    else if ("dir" in f) {
      if (!dirs.has(rel.replace(/\/$/, ""))) {
        dirs.add(rel.replace(/\/$/, ""));
        items.push({ path: `./${rel.replace(/\/$/, "")}/`, type: "directory", mode: f.mode ?? 0o755 });
      }
    } else items.push({ path: `./${rel}`, content: f.content, mode: f.mode ?? 0o644 });
  }
  return withManifest(spec.name, items);
}

/** `items` with the database entry's manifest (re)written to list every item (plus itself). */
export function withManifest(name: string, items: RawItem[]): RawItem[] {
  const manifestItem = `./${DB}/${name}/manifest`;
  const rest = items.filter((i) => i.path !== manifestItem);
  const lines = new Set<string>([`/${DB}/${name}/manifest`]);
  for (const i of rest) {
    const p = cleanItemPath(i.path);
    if (p === "" || p === ".") continue;
    lines.add(i.type === "directory" ? `/${p}/` : `/${p}`);
  }
  if ([...lines].some((l) => l.startsWith("/etc/"))) lines.add(`/${DB}/${name}/etcsums`);
  const sorted = [...lines].sort().reverse();
  return [...rest, { path: manifestItem, content: sorted.join("\n") + "\n", mode: 0o644 }];
}

/** `items` as entries for `writeTar`: owned by root, one fixed mtime, devices 1:3. */
export function tarItems(items: readonly RawItem[]): { entry: TarEntry; body?: Uint8Array }[] {
  const encoder = new TextEncoder();
  return items.map((i) => {
    const body = typeof i.content === "string" ? encoder.encode(i.content) : i.content;
    const type = i.type ?? "file";
    return {
      entry: {
        path: i.path,
        type,
        mode: i.mode ?? 0o644,
        uid: 0,
        gid: 0,
        mtime: 1700000000,
        size: type === "file" ? body?.length ?? 0 : 0,
        linkName: i.linkName,
        devMajor: type === "char" || type === "block" ? 1 : undefined,
        devMinor: type === "char" || type === "block" ? 3 : undefined,
      },
      body: type === "file" ? body ?? new Uint8Array() : undefined,
    };
  });
}

/** Write a hand-made archive of `items` to `file` (gzip-compressed unless it ends in `.tar`). */
export async function rawArchive(file: string, items: RawItem[]): Promise<string> {
  const { writeTar } = await import("../../lib/archive/tar.ts");
  const tar = writeTar(tarItems(items));
  Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  if (file.endsWith(".tar")) Deno.writeFileSync(file, tar);
  else {
    const { compress } = await import("../../lib/archive/compress.ts");
    Deno.writeFileSync(file, await compress(tar, file.endsWith(".zst") ? "zst" : "gz"));
  }
  return file;
}
