/**
 * `kiln owns PATH`: the installed package that owns a file or directory,
 * answered from the owner index; the path is resolved through the root's
 * linked directories (`/bin/sh` finds the owner of `/usr/bin/sh` when `/bin`
 * links to `usr/bin`). Exit 1 when no package owns it.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { findOwners } from "../../db/ownership.ts";

/** Print the owner(s) of a path (`--json`: path, resolved path, owners). */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length !== 1) throw new UsageError("owns takes one path", "usage: kiln owns PATH");
  const found = findOwners(ctx.config, ctx.args[0], ctx.cwd);
  if (ctx.config.json) ctx.out(JSON.stringify(found, null, 2));
  else for (const o of found.owners) ctx.out(o);
  if (found.owners.length === 0) {
    throw new KilnError(
      `no installed package owns ${found.path}${found.resolved !== found.path ? ` (${found.resolved})` : ""}`,
      {
        hint: "the file was made by hand, by a package's script, or the path is mistyped",
      },
    );
  }
  return Promise.resolve(0);
}
