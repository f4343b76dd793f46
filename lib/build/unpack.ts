/**
 * Put a package's sources into its build directory (kiss's `pkg_extract`):
 * for each line of `sources`, into `<build>/<pkg>[/DEST]`:
 *
 * - an archive (`*.tar`, `*.tar.gz|bz2|xz|zst|lz|lzma…`, `*.tgz`, `*.txz`,
 *   `*.tbz`…: `isArchiveName`) — downloaded or local — is extracted, its
 *   single top-level directory moved up a level (`extractSource`);
 *   `?no-extract` keeps it as a file;
 * - any other file is copied in under its own name;
 * - a local directory's contents are copied in (`cp -PRf DIR/. .`);
 * - a git checkout's contents are copied in, `.git` included.
 *
 * The same source named twice for the same destination is handled once.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import type { Recipe, Source } from "../recipe/types.ts";
import { extractSource, isArchiveName } from "../archive/extract.ts";
import { sourcePath } from "../sources/cache.ts";
import { copyContents, copyPath } from "./copy.ts";

/** Extract or copy every source of `recipe` into `buildDir`. */
export async function unpackSources(recipe: Recipe, buildDir: string, config: Config, log: Log): Promise<void> {
  await Deno.mkdir(buildDir, { recursive: true });
  const done = new Set<string>();
  for (const source of recipe.sources) {
    const from = sourcePath(config, recipe, source);
    const dest = source.dest ? `${buildDir}/${source.dest}` : buildDir;
    const key = `${from}\0${dest}\0${source.noExtract}`;
    if (done.has(key)) {
      log.debug(`${recipe.name}: ${source.raw} already extracted into ${dest}`);
      continue;
    }
    done.add(key);
    await Deno.mkdir(dest, { recursive: true });
    await unpackOne(recipe, source, from, dest, log);
  }
}

async function unpackOne(recipe: Recipe, source: Source, from: string, dest: string, log: Log): Promise<void> {
  if (source.kind === "git") {
    log.info(`handling git source ${source.url}`);
    await copyContents(from, dest);
    return;
  }
  const info = await Deno.stat(from);
  const name = from.slice(from.lastIndexOf("/") + 1);
  log.info(`handling ${source.kind} source ${source.kind === "remote" ? source.fileName : source.raw.split(/\s+/)[0]}`);
  if (info.isDirectory) {
    await copyContents(from, dest);
  } else if (!source.noExtract && isArchiveName(name)) {
    log.debug(`${recipe.name}: extracting ${from} into ${dest}`);
    await extractSource(from, dest, { log });
  } else {
    await copyPath(from, `${dest}/${name}`, { dereference: true });
  }
}
