/**
 * Path helpers for setting up a new root before `pivot_root`: a path inside
 * the new root is resolved component by component, following symbolic links
 * *inside* that root (an absolute link target starts again at the new root,
 * never at the host's `/`), and missing directories are created on the way.
 *
 * @module
 */

import { isNotFound } from "../errors.ts";

const MAX_LINKS = 40;

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * The host path of directory `path` inside the new root `root`, creating the
 * directories that are missing. Throws when a component is not a directory
 * or the links loop.
 */
export function ensureDirIn(root: string, path: string): string {
  const todo = components(path);
  let done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === "..") {
      done.pop();
      continue;
    }
    const host = `${root}/${[...done, name].join("/")}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(host);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      Deno.mkdirSync(host, { mode: 0o755 });
      done.push(name);
      continue;
    }
    if (info.isSymlink) {
      if (++links > MAX_LINKS) throw new Error(`${path}: too many levels of symbolic links inside ${root}`);
      const target = Deno.readLinkSync(host);
      if (target.startsWith("/")) done = [];
      todo.unshift(...components(target));
      continue;
    }
    if (!info.isDirectory) throw new Error(`${path}: /${[...done, name].join("/")} is not a directory inside ${root}`);
    done.push(name);
  }
  return done.length === 0 ? root : `${root}/${done.join("/")}`;
}

/**
 * The host path of file `path` inside the new root `root` (its directory
 * resolved as by {@linkcode ensureDirIn}); an empty file is created when
 * nothing is there, to mount a file over.
 */
export function ensureFileIn(root: string, path: string): string {
  const parts = components(path);
  const name = parts.pop();
  if (name === undefined || name === "..") throw new Error(`${path}: not a file path`);
  const file = `${ensureDirIn(root, parts.join("/"))}/${name}`;
  try {
    const info = Deno.lstatSync(file);
    if (info.isSymlink || info.isDirectory) throw new Error(`${path}: is a link or directory inside ${root}`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    Deno.writeFileSync(file, new Uint8Array(), { mode: 0o644 });
  }
  return file;
}

/** Decode the octal escapes (`\040`) of a path in /proc/self/mountinfo. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct) => String.fromCharCode(parseInt(oct, 8)));
}

/** A mount as listed in /proc/self/mountinfo. */
export interface MountInfo {
  /** Where it is mounted. */
  readonly target: string;
  /** Per-mount options: `rw`, `nosuid`, `nodev`, `noexec`, … */
  readonly options: readonly string[];
}

/** The calling thread's mounts, in mount order. */
export function readMounts(): MountInfo[] {
  const text = Deno.readTextFileSync("/proc/thread-self/mountinfo");
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 6) continue;
    out.push({ target: unescapeMountPath(f[4]), options: f[5].split(",") });
  }
  return out;
}

/** True when `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  if (dir === "/") return true;
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}
