/**
 * `kiln link FILE…`: inside a package directory, replace each FILE with a
 * symbolic link to the same file of the package in the next repository of
 * `KISS_PATH` that has it (kiss's `kiss-link`): a fork that changes only its
 * `build` keeps following the original's `version`, `sources` and
 * `checksums`.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { currentPackage } from "../args.ts";
import { linkRecipeFile } from "../../maint/fork.ts";

/** Link the named files. */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length === 0) {
    throw new UsageError("link needs the files to link", "usage: kiln link FILE… (inside a package)");
  }
  const { names, repos } = currentPackage({ ...ctx, args: [] });
  const name = names[0];
  const here = ctx.cwd.replace(/\/+$/, "");
  const real = (p: string) => {
    try {
      return Deno.realPathSync(p);
    } catch {
      return p;
    }
  };
  const other = repos.paths.slice(1).filter((repo) => repo !== repos.installedDir).map((repo) => `${repo}/${name}`)
    .find((dir) => real(dir) !== real(here) && isDir(dir));
  if (!other) {
    throw new KilnError(`${name} is in no other repository of KISS_PATH`, {
      hint: "add the repository of the original package to KISS_PATH",
    });
  }
  for (const file of ctx.args) {
    const link = linkRecipeFile(here, other, file);
    ctx.log.info(`${link} -> ${other}/${file}`);
  }
  return Promise.resolve(0);
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
