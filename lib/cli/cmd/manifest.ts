/**
 * `kiln manifest [PKG]`: the files and directories of an installed package,
 * as its manifest lists them (`--json`: an array). With no argument, the
 * package is the current directory.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { singleTarget } from "../args.ts";
import { readManifest } from "../../db/manifest.ts";

/** Print an installed package's manifest. */
export function run(ctx: CommandContext): Promise<number> {
  const { name } = singleTarget(ctx, "manifest");
  const lines = readManifest(ctx.config.installedDir, name);
  if (ctx.config.json) ctx.out(JSON.stringify(lines, null, 2));
  else for (const l of lines) ctx.out(l);
  return Promise.resolve(0);
}
