/**
 * `kiln list [PKG…]` (`l`): installed packages and their versions, one
 * `NAME VERSION RELEASE` line each, as kiss prints them. Naming a package
 * that is not installed is a failure (exit 1), as in kiss.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError } from "../../errors.ts";
import { checkName } from "../check_name.ts";
import { listInstalledVersions, readInstalledVersion } from "../../db/installed.ts";

/** Print installed packages (`--json`: name, version, release). */
export function run(ctx: CommandContext): Promise<number> {
  for (const name of ctx.args) checkName(name);
  const named = ctx.args.length > 0;
  const rows: { name: string; version: string; release: string }[] = named ? [] : listInstalledVersions(ctx.config);
  const missing: string[] = [];
  for (const name of named ? new Set(ctx.args) : []) {
    const v = readInstalledVersion(ctx.config, name);
    if (v) rows.push({ name, ...v });
    else missing.push(name);
  }
  if (ctx.config.json) ctx.out(JSON.stringify(rows, null, 2));
  else for (const r of rows) ctx.out(`${r.name} ${r.version} ${r.release}`);
  if (missing.length > 0) {
    const list = missing.map((n) => `'${n}'`).join(", ");
    throw new KilnError(
      `${missing.length === 1 ? "package" : "packages"} ${list} not installed in ${ctx.config.root}`,
      {
        hint: `'kiln search ${missing[0]}' shows where it is; build and install it with 'kiln build ${
          missing[0]
        }' and 'kiln install ${missing[0]}'`,
      },
    );
  }
  return Promise.resolve(0);
}
