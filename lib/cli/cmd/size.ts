/**
 * `kiln size [PKG]`: an installed package's size and its biggest files
 * (`SIZE PATH` per line, the ten biggest, then `SIZE total`); `--json`: every
 * file with its size in bytes, and the total.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { singleTarget } from "../args.ts";
import { readManifest } from "../../db/manifest.ts";
import { humanSize, measurePackage } from "../../maint/size.ts";
import { printable } from "../../text.ts";

/** How many of the biggest files are printed. */
const BIGGEST = 10;

/** Print the size of an installed package. */
export function run(ctx: CommandContext): Promise<number> {
  const { name } = singleTarget(ctx, "size");
  const size = measurePackage(ctx.config.root, readManifest(ctx.config.installedDir, name));
  if (ctx.config.json) {
    ctx.out(JSON.stringify({ name, total: size.total, files: size.files, missing: size.missing }, null, 2));
    return Promise.resolve(0);
  }
  const width = Math.max(...size.files.slice(0, BIGGEST).map((f) => humanSize(f.bytes).length), 1);
  for (const f of size.files.slice(0, BIGGEST)) ctx.out(`${humanSize(f.bytes).padStart(width)}  ${printable(f.path)}`);
  ctx.out(`${humanSize(size.total).padStart(width)}  total (${size.files.length} files)`);
  if (size.missing.length > 0) {
    ctx.log.warn(
      `${size.missing.length} file(s) of ${name}'s manifest are missing from the root, e.g. ${
        printable(size.missing[0])
      }`,
    );
  }
  return Promise.resolve(0);
}
