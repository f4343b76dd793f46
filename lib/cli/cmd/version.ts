/**
 * `kiln version` (`v`): print kiln's version.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KILN_VERSION } from "../../version.ts";

/** Print kiln's version (as JSON with `--json`). */
export function run(ctx: CommandContext): Promise<void> {
  ctx.out(ctx.config.json ? JSON.stringify({ version: KILN_VERSION }) : KILN_VERSION);
  return Promise.resolve();
}
