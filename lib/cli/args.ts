/**
 * The packages a command works on: those named on the command line, or, when
 * none is named, the package in the current directory — whose parent
 * directory is then searched before `KISS_PATH`, as kiss does.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import { UsageError } from "../errors.ts";
import { isFile } from "../fs_queries.ts";
import { isPackageName } from "../recipe/names.ts";
import { checkName } from "./check_name.ts";
import { Repositories } from "../repo/repositories.ts";

/** The packages to work on and the repositories to find them in. */
export interface PackageTargets {
  /** Package names, as named (or the current directory's name). */
  readonly names: string[];
  /** Repositories in search order (the current package's parent first when it is the target). */
  readonly repos: Repositories;
}

/**
 * The named packages, or the current directory as the package when none is
 * named. Throws {@linkcode UsageError} for an argument that is not a package
 * name, or when nothing is named and the current directory is not a package.
 */
export function packageTargets(ctx: CommandContext): PackageTargets {
  if (ctx.args.length === 0) return currentPackage(ctx);
  for (const name of ctx.args) checkName(name);
  return { names: [...ctx.args], repos: new Repositories(ctx.config) };
}

/**
 * The package in the current directory: its name, and repositories that
 * search its parent directory first. Throws {@linkcode UsageError} when the
 * directory holds no `version` or `build` file.
 */
export function currentPackage(ctx: CommandContext): PackageTargets {
  const cwd = ctx.cwd.replace(/\/+$/, "") || "/";
  const name = cwd.slice(cwd.lastIndexOf("/") + 1);
  if (!name || !isPackageName(name) || !(isFile(`${cwd}/version`) || isFile(`${cwd}/build`))) {
    throw new UsageError(
      `no package named, and the current directory ${cwd} is not a package directory`,
      "name a package, or run the command inside a package directory (one with build and version files)",
    );
  }
  const parent = cwd.slice(0, cwd.lastIndexOf("/")) || "/";
  return { names: [name], repos: new Repositories(ctx.config, [parent]) };
}

/**
 * The single package a query such as `depends PKG` works on (the current
 * directory's when none is named). Throws {@linkcode UsageError} when more
 * than one is named.
 */
export function singleTarget(ctx: CommandContext, command: string): { name: string; repos: Repositories } {
  if (ctx.args.length > 1) {
    throw new UsageError(
      `${command} takes one package, got ${ctx.args.length}: ${ctx.args.join(" ")}`,
      `usage: kiln ${command} PKG (or no name inside a package directory)`,
    );
  }
  const { names, repos } = packageTargets(ctx);
  return { name: names[0], repos };
}
