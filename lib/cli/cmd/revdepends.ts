/**
 * `kiln revdepends [PKG]`: the installed packages whose `depends` lists PKG,
 * `make` marked where only building needs it. With no name, the current
 * directory's package.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { singleTarget } from "../args.ts";
import { installedPath, listInstalled } from "../../db/installed.ts";
import { readDepends } from "../../recipe/depends.ts";

/** Print `NAME` or `NAME make` for every installed dependent (`--json`: name, make). */
export function run(ctx: CommandContext): Promise<number> {
  const { name, repos } = singleTarget(ctx, "revdepends");
  if (!repos.locate(name)) throw repos.notFound(name);
  const dependents: { name: string; make: boolean }[] = [];
  for (const pkg of listInstalled(ctx.config)) {
    const dep = readDepends(installedPath(ctx.config, pkg)).find((d) => d.name === name);
    if (dep) dependents.push({ name: pkg, make: dep.make });
  }
  if (ctx.config.json) ctx.out(JSON.stringify(dependents, null, 2));
  else for (const d of dependents) ctx.out(d.make ? `${d.name} make` : d.name);
  return Promise.resolve(0);
}
