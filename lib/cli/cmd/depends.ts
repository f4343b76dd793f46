/**
 * `kiln depends [PKG]`: a package's dependencies as its `depends` file lists
 * them, build-only ones marked `make`. The package is looked up in search
 * order (`KISS_PATH`, then the installed database); with no name, the
 * current directory's package.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { singleTarget } from "../args.ts";
import { readDepends } from "../../recipe/depends.ts";

/** Print `NAME` or `NAME make`, one per line (`--json`: package, dir, depends). */
export function run(ctx: CommandContext): Promise<number> {
  const { name, repos } = singleTarget(ctx, "depends");
  const found = repos.locate(name);
  if (!found) throw repos.notFound(name);
  const depends = readDepends(found.dir);
  if (ctx.config.json) {
    ctx.out(JSON.stringify(
      { name, dir: found.dir, depends: depends.map((d) => ({ name: d.name, make: d.make })) },
      null,
      2,
    ));
  } else {
    for (const d of depends) ctx.out(d.make ? `${d.name} make` : d.name);
  }
  return Promise.resolve(0);
}
