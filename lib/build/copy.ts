/**
 * Copying files and trees as kiss does with `cp -PRf` (sources into the build
 * directory: symlinks copied as symlinks) and `cp -LRf` (the recipe into the
 * package's database entry: symlinks followed). Modes are kept; times are not
 * (package archives clamp them anyway).
 *
 * @module
 */

import { KilnError } from "../errors.ts";

/** How symlinks are treated. */
export interface CopyOptions {
  /** Follow symlinks and copy what they point to (`cp -L`); default: copy the links (`cp -P`). */
  readonly dereference?: boolean;
  /**
   * With `dereference`: a symlink is followed only when it resolves inside
   * this directory; one leading out of it is refused (a recipe's link to a
   * host file must not bring that file into a package).
   */
  readonly within?: string;
}

/** Refuse `link` (a symbolic link) when it resolves outside the directory `dir`. */
export async function checkLinkWithin(link: string, dir: string): Promise<void> {
  const [target, top] = await Promise.all([Deno.realPath(link), Deno.realPath(dir)]);
  if (target === top || target.startsWith(top === "/" ? "/" : `${top}/`)) return;
  throw new KilnError(`${link} is a symbolic link leading out of ${dir} (to ${target}); it is not copied`, {
    hint: "replace the link by the file itself",
  });
}

/**
 * Copy the file, symlink or directory `from` to the path `to` (which is
 * replaced if it is a file or symlink, merged into if both are directories).
 */
export async function copyPath(from: string, to: string, options: CopyOptions = {}): Promise<void> {
  if (options.dereference && options.within !== undefined && (await Deno.lstat(from)).isSymlink) {
    await checkLinkWithin(from, options.within);
  }
  const info = options.dereference ? await Deno.stat(from) : await Deno.lstat(from);
  if (info.isSymlink) {
    await removeIfNotDirectory(to);
    await Deno.symlink(await Deno.readLink(from), to);
  } else if (info.isDirectory) {
    await Deno.mkdir(to, { recursive: true });
    await Deno.chmod(to, (info.mode ?? 0o755) & 0o7777);
    await copyContents(from, to, options);
  } else if (info.isFile) {
    await removeIfNotDirectory(to);
    await Deno.copyFile(from, to);
    await Deno.chmod(to, (info.mode ?? 0o644) & 0o7777);
  } else {
    throw new KilnError(`cannot copy ${from}: not a file, directory or symlink`, {
      hint: "remove the special file from the source, or mark the source ?no-extract",
    });
  }
}

/** Copy everything inside the directory `from` into the directory `to` (`cp -R from/. to`). */
export async function copyContents(from: string, to: string, options: CopyOptions = {}): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  const entries: string[] = [];
  for await (const e of Deno.readDir(from)) entries.push(e.name);
  entries.sort();
  for (const name of entries) await copyPath(`${from}/${name}`, `${to}/${name}`, options);
}

async function removeIfNotDirectory(path: string): Promise<void> {
  try {
    const info = await Deno.lstat(path);
    if (!info.isDirectory) await Deno.remove(path);
  } catch {
    // nothing there
  }
}
