/**
 * `kiln download [PKG…]` (`d`): fetch the sources of the named packages (or
 * of the package in the current directory) into the cache and verify their
 * checksums, without building. With `--dry-run`, list what would be fetched,
 * with sizes.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { packageTargets } from "../args.ts";
import { downloadSources } from "../../sources/download.ts";
import { previewDownloads } from "../../sources/preview.ts";

/** Fetch and verify; or print the plan (`--dry-run`, as JSON with `--json`). */
export async function run(ctx: CommandContext): Promise<number> {
  const { names, repos } = packageTargets(ctx);
  const recipes = names.map((name) => repos.find(name));
  if (ctx.config.dryRun) {
    const plan = await previewDownloads(recipes, ctx.config, { sizes: true });
    if (ctx.config.json) {
      ctx.out(JSON.stringify(plan, null, 2));
      return 0;
    }
    let total = 0;
    let count = 0;
    for (const f of plan) {
      if (f.cached) {
        ctx.log.info(`${f.pkg}: ${f.kind === "git" ? "git checkout" : "file"} in the cache: ${f.path}`);
        continue;
      }
      count++;
      total += f.size ?? 0;
      const size = f.size === undefined ? "size unknown" : formatSize(f.size);
      ctx.log.info(`${f.pkg}: would fetch ${f.url} (${f.kind === "git" ? "git" : size}) to ${f.path}`);
    }
    ctx.log.info(`${count} to fetch, ${formatSize(total)} known in all; nothing was changed (--dry-run)`);
    return 0;
  }
  await downloadSources(recipes, ctx.config, ctx.log);
  return 0;
}

function formatSize(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
