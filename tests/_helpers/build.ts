/**
 * Helpers for the build pipeline's tests: compile C with the host's `cc`,
 * write recipes, run commands and read archives with GNU tar.
 *
 * @module
 */

import { baseEnv } from "./cli.ts";

/** Result of a finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program and collect its output (never throws on a non-zero exit). */
export async function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string; clearEnv?: boolean } = {},
): Promise<Ran> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Run a program; throw with its output when it fails. */
export async function mustRun(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await sh(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Write `source` to `<dir>/<name>.c` and compile it with `cc` and `args`; returns the output path. */
export async function compileC(dir: string, name: string, source: string, args: string[], out = name): Promise<string> {
  const src = `${dir}/${name}.c`;
  await Deno.writeTextFile(src, source);
  await mustRun("cc", [...args, "-o", `${dir}/${out}`, src], { cwd: dir });
  return `${dir}/${out}`;
}

/** Run `fn` with a fresh temporary directory that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix = "kiln-build-test-"): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A recipe to write: file name → contents (`build` is made executable). */
export type RecipeFiles = Record<string, string>;

/** Write a package directory `<repo>/<name>` from `files`; returns its path. */
export async function writeRecipe(repo: string, name: string, files: RecipeFiles): Promise<string> {
  const dir = `${repo}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    const path = `${dir}/${file}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
    if (file === "build" || file === "post-install" || file === "pre-remove") await Deno.chmod(path, 0o755);
  }
  return dir;
}

/** `tar -tvf` of a compressed archive through GNU tar (auto-detecting the compression). */
export async function tarList(archive: string): Promise<string[]> {
  const out = await mustRun("tar", ["--numeric-owner", "-tvaf", archive]);
  return out.split("\n").filter((l) => l !== "");
}

/** `tar -tf` names of an archive through GNU tar. */
export async function tarNames(archive: string): Promise<string[]> {
  const out = await mustRun("tar", ["-taf", archive]);
  return out.split("\n").filter((l) => l !== "");
}

/** True when `path` exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `main.ts` of this checkout. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/**
 * Run kiln as a real subprocess (`deno run -A main.ts ARGS`) with only the
 * environment `env` on top of {@linkcode baseEnv} (PATH, HOME and DENO_DIR
 * from this process, so Deno finds its cache); stdin is not a terminal. Give
 * tests their own KISS_CACHE.
 */
export function kiln(args: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  return sh(Deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args], {
    cwd,
    env: { ...baseEnv(), ...env },
    clearEnv: true,
  });
}

/** The apt sources file the end-to-end test adds when the host has no `deb-src` entry. */
export const DEB_SRC_FILE = "/etc/apt/sources.list.d/kiln-tests-deb-src.sources";

/**
 * Download the upstream (orig) tarballs of Debian source packages into `dir`
 * with `apt-get source --download-only`. When apt has no `deb-src` entry, one
 * matching the host's Debian entries (deb822 `debian.sources`) is added in a
 * file of its own and `apt-get update` is run first.
 *
 * Resolves to package → tarball path, or to the reason the tarballs cannot be had.
 */
export async function debianOrigTarballs(names: string[], dir: string): Promise<Record<string, string> | string> {
  if (Deno.build.os !== "linux") return "not a Debian host";
  const apt = async (args: string[]) => {
    try {
      return await sh("apt-get", args, { cwd: dir, env: { DEBIAN_FRONTEND: "noninteractive" } });
    } catch (err) {
      return { code: 127, stdout: "", stderr: String(err) };
    }
  };
  let got = await apt(["source", "--download-only", "-q", ...names]);
  if (got.code === 127) return "apt-get is not installed";
  if (got.code !== 0 && /deb-src/.test(got.stderr + got.stdout)) {
    let deb822: string;
    try {
      deb822 = await Deno.readTextFile("/etc/apt/sources.list.d/debian.sources");
    } catch {
      return "apt has no deb-src entry and there is no /etc/apt/sources.list.d/debian.sources to derive one from";
    }
    const stanzas = deb822.split(/\n\s*\n/).filter((s) => /^Types:.*\bdeb\b/m.test(s) && /debian\/?\s*$/m.test(s));
    if (stanzas.length === 0) return "no Debian entry in debian.sources to derive a deb-src entry from";
    const src = stanzas.map((s) => s.replace(/^Types:.*$/m, "Types: deb-src").replace(/^#.*\n/gm, "")).join("\n\n");
    await Deno.writeTextFile(DEB_SRC_FILE, src + "\n");
    const update = await apt(["update", "-q"]);
    if (update.code !== 0) return `apt-get update failed: ${update.stderr.trim().split("\n").pop()}`;
    got = await apt(["source", "--download-only", "-q", ...names]);
  }
  if (got.code !== 0) return `apt-get source failed: ${(got.stderr || got.stdout).trim().split("\n").pop()}`;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  const out: Record<string, string> = {};
  for (const name of names) {
    const orig = files.find((f) => f.startsWith(`${name}_`) && /\.orig\.tar\.[a-z0-9]+$/.test(f));
    if (orig === undefined) return `apt-get source gave no ${name}_*.orig.tar.* in ${files.join(" ")}`;
    out[name] = `${dir}/${orig}`;
  }
  return out;
}

/** A test repository with its root and cache (see {@linkcode makeRepo}). */
export interface BuildRepo {
  /** The repository (one KISS_PATH entry). */
  repo: string;
  /** An empty root to build for and install into. */
  root: string;
  /** KISS_CACHE. */
  cache: string;
  /** The mtime given to every recipe file (so SOURCE_DATE_EPOCH is known). */
  epoch: number;
}

const FOO_C = `#include "foo.h"\nint foo_answer(void) { return 42; }\n`;
const FOO_H = `int foo_answer(void);\n`;
const PROG_C =
  `#include <stdio.h>\n#include <foo.h>\nint main(void) { printf("foo says %d\\n", foo_answer()); return 0; }\n`;
const STAMP = `$(date +%s%3N)`;

/** Recipes of the build tests, by package. */
export const TEST_RECIPES: Record<string, RecipeFiles & { dialect?: "classic" | "community" }> = {
  // Classic dialect: SHA-256 checksums, DESTDIR exported.
  libfoo: {
    dialect: "classic",
    version: "1.0 1\n",
    sources: "files/foo.c\nfiles/foo.h\n",
    build: `#!/bin/sh -e
"$CC" $CFLAGS -shared -fPIC -Wl,-soname,libfoo.so.1 -o libfoo.so.1 foo.c
mkdir -p "$DESTDIR/usr/lib" "$DESTDIR/usr/include"
cp libfoo.so.1 "$DESTDIR/usr/lib/"
ln -s libfoo.so.1 "$DESTDIR/usr/lib/libfoo.so"
cp foo.h "$DESTDIR/usr/include/"
`,
    "files/foo.c": FOO_C,
    "files/foo.h": FOO_H,
  },
  // Community dialect: BLAKE3 checksums, $1 only; needs libfoo to build (and, found from DT_NEEDED, to run).
  prog: {
    dialect: "community",
    version: "2.0 3\n",
    depends: "libfoo make\n",
    sources: "files/prog.c\nfiles/prog.conf\n",
    build: `#!/bin/sh -e
[ -z "$DESTDIR" ] || { echo "DESTDIR leaked into a community build"; exit 9; }
"$CC" $CFLAGS -o prog prog.c -lfoo
mkdir -p "$1/usr/bin" "$1/etc"
cp prog "$1/usr/bin/"
cp prog.conf "$1/etc/"
`,
    "files/prog.c": PROG_C,
    "files/prog.conf": "greeting = hello\n",
  },
  // Links libfoo without declaring it: found from DT_NEEDED when libfoo is installed.
  "uses-foo": {
    dialect: "community",
    version: "1 1\n",
    sources: "files/prog.c\n",
    build: `#!/bin/sh -e
"$CC" $CFLAGS -o uses-foo prog.c -lfoo
mkdir -p "$1/usr/bin"
cp uses-foo "$1/usr/bin/"
`,
    "files/prog.c": PROG_C,
  },
  broken: {
    version: "1 1\n",
    build: `#!/bin/sh -e
touch started
i=1
while [ $i -le 30 ]; do echo "output line $i"; i=$((i + 1)); done
exit 3
`,
  },
  "slow-a": {
    version: "1 1\n",
    build: `#!/bin/sh -e
echo "start ${STAMP}"
sleep 2
mkdir -p "$1/usr/share/slow-a"
echo a > "$1/usr/share/slow-a/marker"
echo "end ${STAMP}"
`,
  },
  "slow-b": {
    version: "1 1\n",
    build: `#!/bin/sh -e
echo "start ${STAMP}"
sleep 2
mkdir -p "$1/usr/share/slow-b"
echo b > "$1/usr/share/slow-b/marker"
echo "end ${STAMP}"
`,
  },
  "after-a": {
    version: "1 1\n",
    depends: "slow-a\n",
    build: `#!/bin/sh -e
echo "start ${STAMP}"
if [ -f /usr/share/slow-a/marker ]; then echo "found /usr/share/slow-a/marker"; fi
mkdir -p "$1/usr/share/after-a"
echo c > "$1/usr/share/after-a/marker"
echo "end ${STAMP}"
`,
  },
};

/** Checksums of a recipe's local file sources in its dialect (`sha256sum` / `b3sum -l 33`). */
async function checksumsOf(dir: string, dialect: "classic" | "community"): Promise<string> {
  const sources = (await Deno.readTextFile(`${dir}/sources`)).split("\n").filter((l) => l.trim() !== "");
  const sums: string[] = [];
  for (const s of sources) {
    const file = `${dir}/${s.split(/\s+/)[0]}`;
    const out = dialect === "classic"
      ? await mustRun("sha256sum", [file])
      : await mustRun("b3sum", ["-l", "33", "--no-names", file]);
    sums.push(out.trim().split(/\s+/)[0]);
  }
  return sums.join("\n") + "\n";
}

/** Write {@linkcode TEST_RECIPES} (or `only` of them) into `<dir>/repo`, with `<dir>/root` and `<dir>/cache`. */
export async function makeRepo(dir: string, only?: string[]): Promise<BuildRepo> {
  const repo = `${dir}/repo`, root = `${dir}/root`, cache = `${dir}/cache`, epoch = 1_700_000_000;
  await Deno.mkdir(root, { recursive: true });
  for (const [name, { dialect, ...files }] of Object.entries(TEST_RECIPES)) {
    if (only && !only.includes(name)) continue;
    const pkg = await writeRecipe(repo, name, files);
    if (files.sources && dialect) await Deno.writeTextFile(`${pkg}/checksums`, await checksumsOf(pkg, dialect));
    await touchTree(pkg, epoch);
  }
  return { repo, root, cache, epoch };
}

async function touchTree(path: string, time: number): Promise<void> {
  for await (const e of Deno.readDir(path)) {
    if (e.isDirectory) await touchTree(`${path}/${e.name}`, time);
    await Deno.utime(`${path}/${e.name}`, time, time);
  }
}

/** The environment of a kiln run against a {@linkcode BuildRepo} (host sandbox). */
export function repoEnv(r: BuildRepo): Record<string, string> {
  return { KISS_PATH: r.repo, KISS_ROOT: r.root, KISS_CACHE: r.cache, KISS_SANDBOX: "host", CFLAGS: "-O2" };
}
