/**
 * `SOURCE_DATE_EPOCH` of a build (reproducible-builds.org): the time the
 * package archive's mtimes are clamped to and builds may embed.
 *
 * In order: the `SOURCE_DATE_EPOCH` of kiln's environment; when the recipe
 * lives in a git work tree and has no uncommitted changes, the time of the
 * last commit that touched it (`git log -1 --format=%ct -- DIR`); else the
 * newest mtime among the recipe's files (subdirectories such as `patches/`
 * and `files/` included).
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import type { Recipe } from "../recipe/types.ts";
import { findProgram } from "./programs.ts";

/** The `SOURCE_DATE_EPOCH` for building `recipe`, in seconds since 1970. */
export async function sourceDateEpoch(recipe: Recipe, env: Readonly<Record<string, string>>): Promise<number> {
  const given = env.SOURCE_DATE_EPOCH;
  if (given !== undefined && given !== "") {
    if (!/^\d+$/.test(given)) {
      throw new KilnError(`SOURCE_DATE_EPOCH=${given} is not a number of seconds`, {
        hint: "set SOURCE_DATE_EPOCH to a Unix time such as 1700000000, or unset it",
      });
    }
    return Number(given);
  }
  return (await gitEpoch(recipe.dir, env.PATH)) ?? (await newestMtime(recipe.dir));
}

async function gitEpoch(dir: string, path: string | undefined): Promise<number | undefined> {
  const git = await findProgram("git", path);
  if (git === undefined) return undefined;
  const run = async (args: string[]) => {
    const out = await new Deno.Command(git, {
      args: ["-C", dir, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      env: { GIT_OPTIONAL_LOCKS: "0" },
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  };
  if ((await run(["rev-parse", "--is-inside-work-tree"])) !== "true") return undefined;
  const dirty = await run(["status", "--porcelain", "--ignored=no", "--", "."]);
  if (dirty === undefined || dirty !== "") return undefined;
  const time = await run(["log", "-1", "--format=%ct", "--", "."]);
  return time !== undefined && /^\d+$/.test(time) ? Number(time) : undefined;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  async function walk(path: string): Promise<void> {
    for await (const e of Deno.readDir(path)) {
      const full = `${path}/${e.name}`;
      const info = await Deno.lstat(full);
      newest = Math.max(newest, info.mtime?.getTime() ?? 0);
      if (e.isDirectory) await walk(full);
    }
  }
  await walk(dir);
  return Math.floor(newest / 1000);
}
