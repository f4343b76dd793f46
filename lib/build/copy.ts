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
}

/**
 * Copy the file, symlink or directory `from` to the path `to` (which is
 * replaced if it is a file or symlink, merged into if both are directories).
 */
export async function copyPath(from: string, to: string, options: CopyOptions = {}): Promise<void> {
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
