/**
 * `kiln update` (`u`): `git pull` each `KISS_PATH` repository, honouring
 * `merge.verifySignatures`; `--require-signed` refuses unsigned commits. One
 * `REPO STATUS DETAIL` line per repository on standard output (`--json`:
 * objects); exit 1 when a pull failed.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { updateRepositories } from "../../repo/update.ts";

/** Update the repositories. */
export function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length > 0) throw new UsageError("update takes no argument", "usage: kiln update [--require-signed]");
  const results = updateRepositories(ctx.config, ctx.log, { requireSigned: ctx.options["require-signed"] === true });
  if (ctx.config.json) ctx.out(JSON.stringify(results, null, 2));
  else for (const r of results) ctx.out(`${r.repo} ${r.status}${r.detail ? ` ${r.detail}` : ""}`);
  if (results.some((r) => r.status !== "failed")) ctx.log.info("run 'kiln upgrade' to upgrade packages");
  return Promise.resolve(results.some((r) => r.status === "failed") ? 1 : 0);
}
