/**
 * Extensions: an unknown action `X` runs `kiln-X` from `PATH` (SPEC §4), as
 * kiss runs `kiss-X`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Find `kiln-<action>` in `PATH` and run it with `args`; resolves to its exit status. */
export async function runExtension(action: string, args: string[]): Promise<number> {
  const program = `kiln-${action}`;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const path = `${dir}/${program}`;
    try {
      const info = Deno.statSync(path);
      if (!info.isFile || ((info.mode ?? 0) & 0o111) === 0) continue;
    } catch {
      continue;
    }
    const child = new Deno.Command(path, { args, stdin: "inherit", stdout: "inherit", stderr: "inherit" }).spawn();
    const status = await child.status;
    return status.code;
  }
  throw new UsageError(
    `unknown command '${action}', and no '${program}' in PATH`,
    "run 'kiln help' for the list of commands",
  );
}
