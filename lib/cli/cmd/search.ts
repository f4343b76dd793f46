/**
 * `kiln search GLOB…` (`s`): where packages are found — every match in every
 * repository and the installed database, in search order, later
 * (shadowed) copies marked. With no argument, the current directory's
 * package.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import type { PackageMatch } from "../../repo/repositories.ts";
import { KilnError } from "../../errors.ts";
import { currentPackage } from "../args.ts";
import { Repositories } from "../../repo/repositories.ts";

/** Print the directory of every match (`--json`: name, dir, repo, shadowed, installed). */
export function run(ctx: CommandContext): Promise<number> {
  const { names: patterns, repos } = ctx.args.length > 0
    ? { names: [...ctx.args], repos: new Repositories(ctx.config) }
    : currentPackage(ctx);
  const found: PackageMatch[] = [];
  const seen = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    const matches = repos.matches(pattern);
    if (matches.length === 0) unmatched.push(pattern);
    for (const m of matches) {
      if (seen.has(m.dir)) continue;
      seen.add(m.dir);
      found.push(m);
    }
  }
  if (ctx.config.json) {
    ctx.out(JSON.stringify(
      found.map((m) => ({ ...m, installed: m.repo === repos.installedDir })),
      null,
      2,
    ));
  } else {
    for (const m of found) ctx.out(m.shadowed ? `${m.dir} (shadowed)` : m.dir);
  }
  if (unmatched.length > 0) {
    throw new KilnError(
      `no package matches ${unmatched.map((p) => `'${p}'`).join(", ")}; searched ${repos.describeSearch()}`,
      { hint: "check the spelling, use a glob such as 'zlib*', or add the repository that has it to KISS_PATH" },
    );
  }
  return Promise.resolve(0);
}
