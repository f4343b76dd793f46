/**
 * Test data the scenarios make for themselves: package trees laid out as
 * kiss makes them (files plus the database entry with its manifest), the
 * same files packed for kiss/kiln and for pacman, installed databases of many
 * packages, and recipe repositories (chains, independent CPU-bound builds;
 * random dependency graphs come from `bench/gen_repo.ts`).
 *
 * Everything is deterministic (a seeded generator), so two runs measure the
 * same data.
 *
 * @module
 */

import { run } from "./_common.ts";
import { Skip } from "../harness.ts";
import { seeded } from "../gen_repo.ts";

const enc = new TextEncoder();

/**
 * 4 MiB of text made of random words from a small vocabulary: it compresses
 * about as well as a package of programs, libraries and documentation does
 * (roughly 3:1 with zstd -3), so decompression weighs what it weighs in life.
 */
function textPool(seed: number): Uint8Array {
  const rand = seeded(seed);
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const words = Array.from({ length: 4096 }, () => {
    const n = 2 + Math.floor(rand() * 9);
    let w = "";
    for (let i = 0; i < n; i++) w += letters[Math.floor(rand() * rand() * letters.length)];
    return w;
  });
  const pool = new Uint8Array(4 << 20);
  let at = 0;
  while (at < pool.length) {
    const word = words[Math.floor(rand() * words.length)] + (rand() < 0.1 ? "\n" : " ");
    for (let i = 0; i < word.length && at < pool.length; i++) pool[at++] = word.charCodeAt(i);
  }
  return pool;
}

/** What {@linkcode writePackageTree} made. */
export interface PackageTree {
  /** The package directory (as `<pkgdir>` of a build). */
  readonly dir: string;
  readonly name: string;
  /** Files, symlinks and directories in the manifest (the manifest's own line included). */
  readonly entries: number;
  /** Bytes of file content. */
  readonly bytes: number;
  /** One file of the package, absolute inside a root (e.g. `/usr/share/p/d0001/f00001`). */
  readonly sample: string;
}

/** The manifest of a package directory in kiss's order: reverse byte order, directories with `/`. */
export function kissManifest(pkgdir: string, name: string): string[] {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${pkgdir}${rel}`)) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) {
        lines.push(`${path}/`);
        walk(path);
      } else lines.push(path);
    }
  };
  walk("");
  lines.push(`/var/db/kiss/installed/${name}/manifest`);
  const unique = [...new Set(lines)];
  return unique.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}

/**
 * Write a package directory of `files` regular files (plus one symlink per
 * directory and a few executables), with its database entry
 * (`var/db/kiss/installed/<name>/{version,build,manifest}`), as a kiss build
 * leaves it before packing.
 */
export function writePackageTree(dir: string, name: string, files: number, seed = 1): PackageTree {
  const pool = textPool(seed);
  const rand = seeded(seed + 1);
  const perDir = 100;
  let bytes = 0;
  let sample = "";
  Deno.mkdirSync(`${dir}/usr/bin`, { recursive: true });
  for (let i = 0; i < files; i++) {
    const d = `${dir}/usr/share/${name}/d${String(Math.floor(i / perDir)).padStart(4, "0")}`;
    if (i % perDir === 0) {
      Deno.mkdirSync(d, { recursive: true });
      Deno.symlinkSync(`f${String(i).padStart(6, "0")}`, `${d}/link`);
    }
    const size = 200 + Math.floor(rand() * 3800);
    const start = Math.floor(rand() * (pool.length - size));
    const file = `${d}/f${String(i).padStart(6, "0")}`;
    Deno.writeFileSync(file, pool.subarray(start, start + size));
    bytes += size;
    if (i === Math.floor(files / 2)) sample = file.slice(dir.length);
  }
  for (let i = 0; i < 5; i++) Deno.writeTextFileSync(`${dir}/usr/bin/${name}-tool${i}`, "#!/bin/sh\n", { mode: 0o755 });
  const db = `${dir}/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(db, { recursive: true });
  Deno.writeTextFileSync(`${db}/version`, "1.0 1\n");
  Deno.writeTextFileSync(`${db}/build`, "#!/bin/sh -e\n", { mode: 0o755 });
  Deno.chmodSync(`${db}/build`, 0o755);
  const manifest = kissManifest(dir, name);
  Deno.writeTextFileSync(`${db}/manifest`, manifest.join("\n") + "\n");
  return { dir, name, entries: manifest.length, bytes, sample };
}

/** Pack a package directory as kiss does (`tar cf - .` from the pkgdir, zstd), with GNU tar and zstd. */
export async function packKiss(tar: string, zstd: string, pkgdir: string, out: string): Promise<void> {
  const r = await run("/bin/sh", [
    "-c",
    '"$1" -C "$3" --sort=name --owner=0 --group=0 --numeric-owner -cf - . | "$2" -q -3 -T0 -c > "$4"',
    "sh",
    tar,
    zstd,
    pkgdir,
    out,
  ]);
  if (r.code !== 0) throw new Skip(`packing ${out} with tar and zstd failed: ${r.stderr.trim()}`);
}

/**
 * Pack the same files as a pacman 6.0 package: a `.PKGINFO` first, paths
 * without `./`. pacman installs it with signatures off (`SigLevel = Never`);
 * `.MTREE` is only read by `pacman -Qk`, so it is left out.
 */
export async function packPacman(
  tar: string,
  zstd: string,
  tree: PackageTree,
  out: string,
): Promise<void> {
  const info = [
    `pkgname = ${tree.name}`,
    `pkgbase = ${tree.name}`,
    "pkgver = 1.0-1",
    "pkgdesc = benchmark package",
    "url = https://example.org/",
    "builddate = 1700000000",
    "packager = bench",
    `size = ${tree.bytes}`,
    "arch = any",
  ].join("\n") + "\n";
  Deno.writeTextFileSync(`${tree.dir}/.PKGINFO`, info);
  try {
    const r = await run("/bin/sh", [
      "-c",
      '"$1" -C "$3" --sort=name --owner=0 --group=0 --numeric-owner -cf - .PKGINFO usr var | "$2" -q -3 -T0 -c > "$4"',
      "sh",
      tar,
      zstd,
      tree.dir,
      out,
    ]);
    if (r.code !== 0) throw new Skip(`packing ${out} for pacman failed: ${r.stderr.trim()}`);
  } finally {
    Deno.removeSync(`${tree.dir}/.PKGINFO`);
  }
}

/**
 * An installed database in `<root>/var/db/kiss/installed` of `packages`
 * packages with `filesPer` files each in their manifests (the files
 * themselves are not written). Returns the names.
 */
export function writeInstalledDb(root: string, packages: number, filesPer: number): string[] {
  const names: string[] = [];
  for (let p = 0; p < packages; p++) {
    const name = `pkg${String(p).padStart(4, "0")}`;
    names.push(name);
    const db = `${root}/var/db/kiss/installed/${name}`;
    Deno.mkdirSync(db, { recursive: true });
    const lines: string[] = [];
    const dirs = new Set<string>();
    for (let f = 0; f < filesPer; f++) {
      const d = `/usr/lib/${name}/d${f % 10}`;
      dirs.add(`${d}/`);
      lines.push(`${d}/f${String(f).padStart(4, "0")}.so`);
    }
    lines.push(`/usr/lib/${name}/`, "/usr/lib/", "/usr/", ...dirs);
    for (const f of ["version", "build", "manifest", ""]) lines.push(`/var/db/kiss/installed/${name}/${f}`);
    lines.push("/var/db/kiss/installed/", "/var/db/kiss/", "/var/db/", "/var/");
    lines.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    Deno.writeTextFileSync(`${db}/manifest`, lines.join("\n") + "\n");
    Deno.writeTextFileSync(`${db}/version`, `1.${p % 7} 1\n`);
    Deno.writeTextFileSync(`${db}/build`, "#!/bin/sh -e\n", { mode: 0o755 });
    Deno.chmodSync(`${db}/build`, 0o755);
  }
  return names;
}

/** Write one recipe directory: `version`, an executable `build`, and `depends` when there are any. */
export function writeRecipe(dir: string, build: string, depends: readonly string[] = [], version = "1.0 1"): void {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/version`, version + "\n");
  Deno.writeTextFileSync(`${dir}/build`, build, { mode: 0o755 });
  Deno.chmodSync(`${dir}/build`, 0o755);
  if (depends.length) Deno.writeFileSync(`${dir}/depends`, enc.encode(depends.join("\n") + "\n"));
}

/** A shell build script that writes `files` small files into `$1/usr/share/<name>/`. */
export function filesBuild(name: string, files: number): string {
  return [
    "#!/bin/sh -e",
    `mkdir -p "$1/usr/share/${name}"`,
    "i=0",
    `while [ "$i" -lt ${files} ]; do`,
    `  echo "${name} $i" > "$1/usr/share/${name}/f$i"`,
    "  i=$((i + 1))",
    "done",
    "",
  ].join("\n");
}

/** A chain `c01 ← c02 ← … ← cNN`: each package depends on the one before and writes `files` files. */
export function writeChainRepo(dir: string, n: number, files: number): { top: string; names: string[] } {
  const names = Array.from({ length: n }, (_, i) => `c${String(i + 1).padStart(2, "0")}`);
  names.forEach((name, i) => writeRecipe(`${dir}/${name}`, filesBuild(name, files), i > 0 ? [names[i - 1]] : []));
  return { top: names[n - 1], names };
}

/** A shell build script that spins the CPU for `loops` iterations, then installs one file. */
export function cpuBuild(name: string, loops: number): string {
  return [
    "#!/bin/sh -e",
    "i=0",
    `while [ "$i" -lt ${loops} ]; do i=$((i + 1)); done`,
    `mkdir -p "$1/usr/share/${name}"`,
    `echo "$i" > "$1/usr/share/${name}/done"`,
    "",
  ].join("\n");
}
