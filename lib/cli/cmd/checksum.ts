/**
 * `kiln checksum [PKG…]` (`c`): write `checksums` for the named packages (or
 * the package in the current directory), SPEC §2.
 *
 * Every file source (remote and local files; not git repositories, not
 * directories) gets one line, in `sources` order, in the package's own
 * dialect: SHA-256 for classic packages, BLAKE3-264 (`b3sum -l 33`) for
 * community and new ones. `SKIP` lines are kept. Remote files are fetched
 * into the cache first. A package with no file sources needs no `checksums`
 * and is left as it is. The file is replaced atomically.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import type { Recipe } from "../../recipe/types.ts";
import { KilnError } from "../../errors.ts";
import { packageTargets } from "../args.ts";
import { loadRecipe } from "../../recipe/load.ts";
import { ALGORITHM } from "../../hash/hasher.ts";
import { checksumLines, replaceFile } from "../../sources/checksum_lines.ts";
import { previewDownloads } from "../../sources/preview.ts";

/** Fetch the sources and write `checksums`; with `--dry-run`, say what would be fetched and written. */
export async function run(ctx: CommandContext): Promise<number> {
  const { config, log } = ctx;
  const { names, repos } = packageTargets(ctx);
  const recipes: Recipe[] = names.map((name) => {
    const found = repos.locate(name);
    if (!found) return repos.find(name); // throws the not-found error naming where it looked
    if (found.repo === repos.installedDir) {
      throw new KilnError(`${name} was found only in the installed database (${found.dir})`, {
        hint: "checksums are written in a repository: add the package's repository to KISS_PATH",
      });
    }
    // Checksums are what this command rewrites: a wrong count is no reason to refuse.
    return loadRecipe(found.dir, { repo: found.repo, dialect: config.dialect, allowChecksumMismatch: true });
  });

  if (config.dryRun) {
    for (const f of await previewDownloads(recipes, config)) {
      if (!f.cached && f.kind === "remote") log.info(`${f.pkg}: would fetch ${f.url}`);
    }
    for (const recipe of recipes) {
      log.info(`${recipe.name}: would write ${recipe.dir}/checksums (${ALGORITHM[recipe.dialect]})`);
    }
    return 0;
  }

  const all = await checksumLines(recipes, config, log);
  for (const [i, recipe] of recipes.entries()) {
    const lines = all[i];
    const file = `${recipe.dir}/checksums`;
    if (lines.length === 0) {
      log.info(`${recipe.name}: no file sources, so no checksums to write`);
      continue;
    }
    await writeAtomically(file, lines.join("\n") + "\n");
    log.info(`${recipe.name}: wrote ${lines.length} ${ALGORITHM[recipe.dialect]} checksum(s) to ${file}`);
  }
  return 0;
}

/** Replace `path` with `text` through a temporary file in the same directory. */
async function writeAtomically(path: string, text: string): Promise<void> {
  try {
    await replaceFile(path, text);
  } catch (err) {
    throw new KilnError(`cannot write ${path}: ${(err as Error).message}`, {
      hint: "check that the package directory is writable",
      cause: err,
    });
  }
}
