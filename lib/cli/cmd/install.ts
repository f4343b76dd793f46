/**
 * `kiln install [PKG|FILE…]` (`i`): install packages from the binary cache by
 * name (the version their recipe has now), from package files
 * (`./zlib@1.3.1-1.tar.zst`), or with `--from DIR` from a directory of
 * package files (each package's newest archive, its runtime dependencies
 * resolved from the archives themselves and installed first). With no
 * argument, the package is the current directory.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { packageTargets } from "../args.ts";
import { checkName } from "../check_name.ts";
import { normalize } from "../../config.ts";
import { archiveFromCache, fromDirectory } from "../../install/find.ts";
import { installArchives, installRead } from "../../install/transaction.ts";
import { Repositories } from "../../repo/repositories.ts";

/** True when an argument names a package file rather than a package. */
export function isArchiveArgument(arg: string): boolean {
  return arg.includes("/") || /\.(tar(\.[A-Za-z0-9]+)?|tgz|txz|tbz2?|tzst)$/.test(arg);
}

/** Install the named packages or files. */
export async function run(ctx: CommandContext): Promise<number> {
  const { config, log } = ctx;
  const files: string[] = [];
  const names: string[] = [];
  for (const arg of ctx.args) {
    if (isArchiveArgument(arg)) files.push(arg.startsWith("/") ? normalize(arg) : normalize(`${ctx.cwd}/${arg}`));
    else {
      checkName(arg);
      names.push(arg);
    }
  }
  if (config.from !== undefined) {
    if (files.length > 0) {
      throw new UsageError("--from DIR takes package names, not files", `usage: kiln install --from DIR PKG…`);
    }
    if (names.length === 0) {
      throw new UsageError("--from DIR needs package names", "usage: kiln install --from DIR PKG…");
    }
    await installRead(config, await fromDirectory(config, config.from, names, log), log);
    return 0;
  }
  let repos = new Repositories(config);
  if (ctx.args.length === 0) {
    const current = packageTargets(ctx);
    names.push(...current.names);
    repos = current.repos;
  }
  const archives = [...files, ...names.map((name) => archiveFromCache(config, repos, name))];
  await installArchives(config, archives, log);
  return 0;
}
