/**
 * Test helpers for archives: temporary directories, GNU tar and the
 * compressor tools run for real, a check of the errors kiln reports, trees
 * with awkward contents (long names, links), and hand-made archives with
 * malicious or broken contents.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type TarEntry, writeTar } from "../../lib/archive/tar.ts";
import { KilnError } from "../../lib/errors.ts";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-archive-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A validator for `assert.throws`/`assert.rejects`: the error is a
 * {@linkcode KilnError} with a hint whose message includes every one of
 * `includes`.
 */
export function isKilnError(...includes: string[]): (err: Error) => boolean {
  return (err: Error) => {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    for (const text of includes) assert.ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    assert.ok(err.hint);
    return true;
  };
}

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs a program; throws (with its stderr) when it fails unless `allowFailure`. */
export async function run(
  program: string,
  args: string[],
  options: { cwd?: string; stdin?: Uint8Array; allowFailure?: boolean; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Feed stdin while stdout is read, or a large input fills the pipes and both sides wait.
  const feeding = options.stdin
    ? (async () => {
      const writer = child.stdin.getWriter();
      await writer.write(options.stdin!);
      await writer.close();
    })()
    : Promise.resolve();
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).bytes(),
    new Response(child.stderr).text(),
    child.status,
    feeding,
  ]);
  const result = { code: status.code, stdout, stderr };
  if (status.code !== 0 && !options.allowFailure) {
    throw new Error(`${program} ${args.join(" ")} exited ${status.code}: ${stderr}`);
  }
  return result;
}

/** Runs a program and returns its stdout as text. */
export async function runText(program: string, args: string[], cwd?: string): Promise<string> {
  return new TextDecoder().decode((await run(program, args, { cwd })).stdout);
}

/** True when `program` is in PATH. */
export async function have(program: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** A name component of `n` characters (for names longer than the 100-byte field). */
export function longName(n: number, char = "n"): string {
  return char.repeat(n);
}

/** Writes a file, making its parent directories. */
export async function put(path: string, content: string | Uint8Array, mode?: number): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  if (mode !== undefined) await Deno.chmod(path, mode);
}

/**
 * Makes a tree with what archives must carry: nested directories, a file of
 * several blocks, an empty file, an executable, a setgid directory, names of
 * more than 100 and more than 255 bytes, symlinks (one with a long target,
 * one dangling), and hard links (one under a long name). Returns the paths
 * of the files, relative to `root`. With `fitUstar`, every name component
 * and link target fits the ustar format's fields (paths still exceed 100).
 */
export async function makeAwkwardTree(root: string, options: { fitUstar?: boolean } = {}): Promise<string[]> {
  const long1 = longName(options.fitUstar ? 60 : 120, "d");
  const long2 = longName(options.fitUstar ? 80 : 150, "e");

  const files: Record<string, string | Uint8Array> = {
    "top/README": "hello\n",
    "top/empty": "",
    "top/bin/tool": "#!/bin/sh\necho tool\n",
    "top/data/blocks.bin": new Uint8Array(5000).map((_, i) => (i * 7) & 0xff),
    [`top/${long1}/${long2}/deep.txt`]: "deep\n",
    [`top/${longName(99, "x")}`]: "ninety-nine\n",
    "top/unicodé/ファイル.txt": "utf-8 names\n",
  };
  for (const [path, content] of Object.entries(files)) await put(`${root}/${path}`, content);
  await Deno.chmod(`${root}/top/bin/tool`, 0o755);
  await Deno.chmod(`${root}/top/data`, 0o2775);
  await Deno.symlink("README", `${root}/top/link`);
  await Deno.symlink(options.fitUstar ? "bin/tool" : `${long1}/${long2}/deep.txt`, `${root}/top/longlink`);
  await Deno.symlink("does-not-exist", `${root}/top/dangling`);
  await Deno.link(`${root}/top/README`, `${root}/top/hardlink`);
  if (!options.fitUstar) {
    await Deno.link(`${root}/top/${long1}/${long2}/deep.txt`, `${root}/top/${long1}/hard-${longName(110, "h")}`);
  }
  return Object.keys(files);
}

/** An entry for a hand-made archive, with defaults for everything but the path. */
export function entry(path: string, fields: Partial<TarEntry> = {}): TarEntry {
  return { path, type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 1_600_000_000, size: 0, ...fields };
}

/** A file entry with its content. */
export function fileItem(
  path: string,
  text: string,
  fields: Partial<TarEntry> = {},
): { entry: TarEntry; body: Uint8Array } {
  const body = new TextEncoder().encode(text);
  return { entry: entry(path, { size: body.length, ...fields }), body };
}

/** Hand-made malicious archives, by what they try. */
export function maliciousArchives(): Record<string, Uint8Array> {
  return {
    "dot-dot": writeTar([fileItem("top/ok", "ok"), fileItem("top/../../escaped", "evil")]),
    "absolute": writeTar([fileItem("/tmp/kiln-absolute-escape", "evil")]),
    "symlink-then-file": writeTar([
      { entry: entry("top/dir", { type: "directory", mode: 0o755 }) },
      { entry: entry("top/dir/out", { type: "symlink", mode: 0o777, linkName: "../../.." }) },
      fileItem("top/dir/out/escaped", "evil"),
    ]),
    "symlink-absolute-then-file": writeTar([
      { entry: entry("evil", { type: "symlink", mode: 0o777, linkName: "/tmp" }) },
      fileItem("evil/kiln-escaped", "evil"),
    ]),
    "hardlink-outside": writeTar([
      { entry: entry("top/passwd", { type: "hardlink", linkName: "../../../etc/passwd" }) },
    ]),
    "hardlink-through-symlink": writeTar([
      { entry: entry("up", { type: "symlink", mode: 0o777, linkName: ".." }) },
      { entry: entry("grab", { type: "hardlink", linkName: "up/secret" }) },
    ]),
  };
}

/** Flips one byte of a header so that its checksum no longer matches. */
export function corruptHeader(archive: Uint8Array, headerOffset = 0): Uint8Array {
  const copy = archive.slice();
  copy[headerOffset + 10] ^= 0x01;
  return copy;
}

/** Lists an archive with GNU tar: `tar -tv` lines, split into fields. */
export async function gnuList(archive: string): Promise<string[][]> {
  const text = await runText("tar", ["--numeric-owner", "--full-time", "-tvf", archive]);
  return text.trimEnd().split("\n").filter((l) => l).map((l) => l.split(/\s+/));
}

/** Reads every regular file under `dir` into a map of relative path → content. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isSymlink) out.set(path, `-> ${await Deno.readLink(`${dir}/${path}`)}`);
      else out.set(path, new TextDecoder().decode(await Deno.readFile(`${dir}/${path}`)));
    }
  };
  await walk("");
  return out;
}
