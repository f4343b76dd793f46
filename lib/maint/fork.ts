/**
 * `kiln fork` and `kiln link`: kiss's contrib `kiss-fork` and `kiss-link`.
 *
 * - fork: copy a package's recipe, from wherever it is found, into another
 *   repository directory, as plain files (links inside the recipe are
 *   copied as what they point to, as `cp -L` does); the database's own
 *   files (`manifest`, `etcsums`) of an installed copy are left out.
 * - link: in a forked package, replace a recipe file with a symbolic link to
 *   the same file of the package in another repository, so that the fork
 *   follows it there.
 *
 * @module
 */

import { KilnError } from "../errors.ts";

/** Files of an installed database entry that are not part of the recipe. */
const DATABASE_FILES = new Set(["manifest", "etcsums"]);

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

function copyTree(from: string, to: string, top: boolean): void {
  Deno.mkdirSync(to, { mode: 0o755 });
  for (const entry of Deno.readDirSync(from)) {
    if (top && DATABASE_FILES.has(entry.name)) continue;
    const source = `${from}/${entry.name}`, target = `${to}/${entry.name}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(source);
    } catch {
      throw new KilnError(`${source} is a symbolic link to nothing`, {
        hint: "fix or remove the link in the recipe, then fork again",
      });
    }
    if (info.isDirectory) copyTree(source, target, false);
    else if (info.isFile) {
      Deno.copyFileSync(source, target);
      Deno.chmodSync(target, (info.mode ?? 0o644) & 0o7777);
    }
  }
}

/**
 * Copy the recipe in `source` to `<destDir>/<name>`. Throws a
 * {@linkcode KilnError} when the destination exists; on a failure halfway,
 * the partial copy is removed.
 */
export function forkRecipe(source: string, destDir: string, name: string): string {
  const target = `${destDir.replace(/\/+$/, "")}/${name}`;
  if (lstat(target)) {
    throw new KilnError(`${target} already exists`, { hint: "remove it first, or fork into another directory" });
  }
  if (!lstat(destDir)?.isDirectory) {
    throw new KilnError(`${destDir} is not a directory`, { hint: "give the repository directory to fork into" });
  }
  try {
    copyTree(source, target, true);
  } catch (err) {
    Deno.removeSync(target, { recursive: true });
    throw err;
  }
  return target;
}

/** A path from directory `from` to `to`, both absolute. */
export function relativePath(from: string, to: string): string {
  const a = from.split("/").filter((p) => p !== ""), b = to.split("/").filter((p) => p !== "");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/") || ".";
}

/**
 * Replace `<pkgDir>/<file>` with a relative symbolic link to
 * `<otherDir>/<file>`. Throws a {@linkcode KilnError} when the other copy
 * has no such file, or `file` leaves the package directory.
 */
export function linkRecipeFile(pkgDir: string, otherDir: string, file: string): string {
  if (file.startsWith("/") || file.split("/").includes("..") || file === "" || file === ".") {
    throw new KilnError(`'${file}' is not a file of the package`, {
      hint: "name a file inside the package, e.g. build",
    });
  }
  const target = `${otherDir}/${file}`;
  if (!lstat(target)) {
    throw new KilnError(`${target} does not exist`, { hint: `the other copy of the package has no ${file}` });
  }
  const link = `${pkgDir}/${file}`;
  const dir = link.slice(0, link.lastIndexOf("/"));
  Deno.mkdirSync(dir, { recursive: true });
  const temp = `${link}.kiln-link-${crypto.randomUUID()}`;
  Deno.symlinkSync(relativePath(dir, target), temp);
  try {
    Deno.renameSync(temp, link);
  } catch (err) {
    Deno.removeSync(temp);
    throw new KilnError(`cannot replace ${link}: ${(err as Error).message}`, { cause: err });
  }
  return link;
}
