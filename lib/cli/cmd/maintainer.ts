/**
 * `kiln maintainer [PKG]`: who changed the package's recipe last, from the
 * git history of its repository (`NAME <EMAIL>`), as kiss's
 * `kiss-maintainer` does.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError } from "../../errors.ts";
import { singleTarget } from "../args.ts";

/** Print the author of the last commit that touched the recipe. */
export async function run(ctx: CommandContext): Promise<number> {
  const { name, repos } = singleTarget(ctx, "maintainer");
  const found = repos.locate(name);
  if (!found) throw repos.notFound(name);
  if (found.repo === repos.installedDir) {
    throw new KilnError(`${name} was found only in the installed database (${found.dir})`, {
      hint: "add the package's repository to KISS_PATH",
    });
  }
  const out = await new Deno.Command("git", {
    args: ["-C", found.dir, "log", "-1", "--format=%an <%ae>", "--", "."],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((err) => {
    throw new KilnError(`cannot run git: ${(err as Error).message}`, { hint: "install git" });
  });
  const author = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || author === "") {
    throw new KilnError(`no git history for ${found.dir}`, {
      hint: out.success ? "the recipe has never been committed" : "the repository is not a git repository",
    });
  }
  ctx.out(author);
  return 0;
}
