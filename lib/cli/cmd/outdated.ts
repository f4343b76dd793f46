/**
 * `kiln outdated`: installed packages whose repository version differs, one
 * `PKG INSTALLED => AVAILABLE` line each, as kiss prints them before an
 * upgrade (`--json`: objects). Installed packages that no repository has are
 * named in a warning.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { outdated } from "../../db/queries.ts";
import { Repositories } from "../../repo/repositories.ts";

/** Print the outdated packages. */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0) throw new UsageError("outdated takes no argument", "usage: kiln outdated");
  const found = outdated(ctx.config, new Repositories(ctx.config));
  if (ctx.config.json) ctx.out(JSON.stringify(found, null, 2));
  else for (const o of found.outdated) ctx.out(`${o.name} ${o.installed} => ${o.available}`);
  if (found.withoutRepository.length > 0) {
    ctx.log.warn(`installed packages in no repository: ${found.withoutRepository.join(" ")}`);
  }
  return Promise.resolve(0);
}
