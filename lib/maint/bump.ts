/**
 * `kiln bump PKG VERSION`: a new upstream version for a recipe. The version
 * is set and the release reset to 1 (bumping to the same version increases
 * the release instead); in a community recipe, whose `sources` are literal,
 * the old version is replaced by the new one in every source line (classic
 * recipes use the `VERSION` marker and need no rewrite); the sources are
 * downloaded and `checksums` rewritten in the recipe's dialect.
 *
 * Nothing is written until everything is downloaded and hashed: the new
 * recipe is first made as a copy beside the old one (in a hidden directory
 * of the repository), so a failed download leaves the recipe as it was.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import type { Recipe } from "../recipe/types.ts";
import { KilnError } from "../errors.ts";
import { hasControl } from "../text.ts";
import { loadRecipe } from "../recipe/load.ts";
import { checksumLines, replaceFile } from "../sources/checksum_lines.ts";

/** One recipe file's old and new text. */
export interface FileChange {
  /** `version`, `sources` or `checksums`. */
  readonly file: string;
  readonly before: string;
  readonly after: string;
}

/** What a bump changes. */
export interface BumpPlan {
  readonly recipe: Recipe;
  readonly version: string;
  readonly release: string;
  /** The files that change, with their new text (`checksums` only once computed). */
  readonly changes: FileChange[];
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** A version word as the `version` file takes it: no blanks, no `/`. */
function checkVersion(version: string): void {
  if (version === "" || /[\s/]/.test(version) || hasControl(version)) {
    throw new KilnError(`'${version}' is not a version`, {
      hint: "give the new upstream version as one word without '/', e.g. 1.2.13",
    });
  }
}

/** The version and sources changes of bumping `recipe` to `version` (nothing fetched or written). */
export function planBump(recipe: Recipe, version: string): BumpPlan {
  checkVersion(version);
  const same = version === recipe.version;
  const release = same ? String((Number.parseInt(recipe.release, 10) || 0) + 1) : "1";
  const versionText = read(`${recipe.dir}/version`);
  const rest = versionText.includes("\n") ? versionText.slice(versionText.indexOf("\n")) : "\n";
  const changes: FileChange[] = [{ file: "version", before: versionText, after: `${version} ${release}${rest}` }];
  if (!same && recipe.dialect === "community" && recipe.version !== "git") {
    const before = read(`${recipe.dir}/sources`);
    const after = before.split(recipe.version).join(version);
    if (after !== before) changes.push({ file: "sources", before, after });
  }
  return { recipe, version, release, changes };
}

/** Copy the recipe directory (files and subdirectories; links as they are). */
function copyRecipe(from: string, to: string): void {
  Deno.mkdirSync(to);
  for (const entry of Deno.readDirSync(from)) {
    const a = `${from}/${entry.name}`, b = `${to}/${entry.name}`;
    if (entry.isSymlink) Deno.symlinkSync(Deno.readLinkSync(a), b);
    else if (entry.isDirectory) copyRecipe(a, b);
    else Deno.copyFileSync(a, b);
  }
}

/**
 * Download the bumped recipe's sources and add the new `checksums` to the
 * plan's changes (when the recipe has file sources). Works on a staged copy
 * of the recipe; the recipe itself is not touched.
 */
export async function hashBump(plan: BumpPlan, config: Config, log: Log): Promise<void> {
  const { recipe } = plan;
  const repo = recipe.dir.slice(0, recipe.dir.lastIndexOf("/"));
  const stage = await Deno.makeTempDir({ dir: repo, prefix: ".kiln-bump-" });
  try {
    const dir = `${stage}/${recipe.name}`;
    copyRecipe(recipe.dir, dir);
    for (const change of plan.changes) await Deno.writeTextFile(`${dir}/${change.file}`, change.after);
    const old = read(`${recipe.dir}/checksums`);
    const staged = loadRecipe(dir, { repo, dialect: recipe.dialect, allowChecksumMismatch: true });
    // SKIP lines are kept; every other hash is computed anew.
    const fresh = { ...staged, checksums: staged.checksums.map((c) => c === "SKIP" ? c : "") };
    const [lines] = await checksumLines([fresh], config, log);
    if (lines.length > 0) plan.changes.push({ file: "checksums", before: old, after: lines.join("\n") + "\n" });
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

/** Write the plan's changes into the recipe (each file replaced atomically). */
export async function applyBump(plan: BumpPlan): Promise<void> {
  for (const change of plan.changes) await replaceFile(`${plan.recipe.dir}/${change.file}`, change.after);
}
