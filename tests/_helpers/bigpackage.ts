/**
 * Big packages for the install tests that need many files (the two-thread
 * writing of `lib/install/write_helper.ts` starts at a few thousand): files
 * of every mode a package carries, empty files, links, in directories of
 * 100 — put together in memory (a well-formed package, as `packages.ts`
 * makes them) and compressed by the real `zstd` or `gzip`, so that making
 * one costs no thousands of file writes.
 *
 * @module
 */

import type { FileSpec, PackageSpec } from "./packages.ts";
import { packageItems, tarItems } from "./packages.ts";
import { writeTar } from "../../lib/archive/tar.ts";

/** A package of `count` files named `name` (about 10% executables, some setuid, empty files and links). */
export function bigPackage(name: string, count: number): PackageSpec {
  const files: Record<string, FileSpec> = {};
  for (let i = 0; i < count; i++) {
    const path = `usr/share/${name}/d${Math.floor(i / 100)}/f${i}`;
    if (i % 50 === 7) files[path] = { symlink: `f${i - 1}` };
    else if (i % 10 === 3) files[path] = { content: `#!/bin/sh\necho ${i}\n`, mode: 0o755 };
    else if (i % 500 === 11) files[path] = { content: `${i}\n`, mode: 0o4755 };
    else if (i % 100 === 13) files[path] = "";
    else files[path] = `${name} file ${i}\n`.repeat(1 + (i % 7));
  }
  return { name, version: "1", release: "1", files };
}

/**
 * Write the archive of {@linkcode bigPackage}(name, count) to
 * `<dir>/<name>@1-1.tar.<compress>`; returns its path.
 */
export async function bigArchive(dir: string, name: string, count: number, compress: "zst" | "gz"): Promise<string> {
  const tar = writeTar(tarItems(packageItems(bigPackage(name, count))));
  const [program, ...args] = compress === "zst" ? ["zstd", "-q", "-c"] : ["gzip", "-6", "-c"];
  const child = new Deno.Command(program, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(tar).then(() => writer.close())]);
  if (!out.success) throw new Error(`${program} failed`);
  await Deno.mkdir(dir, { recursive: true });
  const file = `${dir}/${name}@1-1.tar.${compress}`;
  await Deno.writeFile(file, out.stdout);
  return file;
}
