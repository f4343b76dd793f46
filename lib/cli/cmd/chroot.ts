/**
 * `kiln chroot DIR [CMD…]`: run CMD (default: a login shell) inside the root
 * DIR with `/proc`, `/sys`, `/dev`, `/run`, `/tmp` and `resolv.conf`
 * mounted for the session only (see `lib/maint/chroot.ts`). The exit status
 * is the command's.
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { helperCommand } from "../../sandbox/launch.ts";
import { CHROOT_HELPER } from "../../maint/chroot.ts";

/** Enter the root and wait for the command. */
export async function run(ctx: CommandContext): Promise<number> {
  if (ctx.args.length === 0) throw new UsageError("chroot needs a directory", "usage: kiln chroot DIR [CMD…]");
  const [dir, ...command] = ctx.args;
  const root = dir.startsWith("/") ? dir : `${ctx.cwd}/${dir}`;
  let real: string;
  try {
    real = Deno.realPathSync(root);
    if (!Deno.statSync(real).isDirectory) throw new Error("not a directory");
  } catch (err) {
    throw new KilnError(`cannot enter ${root}: ${(err as Error).message}`, { hint: "give the directory of a root" });
  }
  if (real === "/") throw new KilnError("the root to enter is / itself", { hint: "give another root's directory" });
  const launch = helperCommand(undefined, undefined, CHROOT_HELPER);
  const child = new Deno.Command(launch.command, {
    args: [...launch.args, real, ...command],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  // Ctrl-C belongs to the program inside; kiln waits for it to end.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  try {
    const status = await child.status;
    return status.signal ? 128 + (status.signal === "SIGKILL" ? 9 : status.signal === "SIGTERM" ? 15 : 1) : status.code;
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
  }
}
