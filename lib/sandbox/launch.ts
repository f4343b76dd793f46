/**
 * How to start the sandbox helper: kiln itself with the hidden sub-command
 * `__sandbox-helper` (a Deno process cannot fork, SPEC §7 step 1).
 *
 * kiln runs three ways, and each needs its own command line:
 * - a `deno compile` executable: `Deno.execPath()` is kiln;
 * - from source (`deno run -A main.ts`, or a test importing this module):
 *   `main.ts` is found relative to this module, never from `Deno.mainModule`;
 * - the single-file bundle (`deno run -A dist/kiln.js`): every module's
 *   `import.meta.url` is the bundle, which is itself the entry point.
 *
 * @module
 */

import { exists } from "../fs_queries.ts";

/** The hidden sub-command main.ts hands to `helperMain`. */
export const HELPER_COMMAND = "__sandbox-helper";

/** A program and its arguments. */
export interface HelperCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** This module's path from the source tree's top: the bundle has another name. */
const SOURCE_SUFFIX = "/lib/sandbox/launch.ts";

/** Flags for `deno run`: all permissions (as kiln has), no type-check, no prompt, no chatter. */
const DENO_FLAGS = ["run", "-A", "--no-check", "--no-prompt", "--quiet"];

/**
 * The command that starts the helper, for code loaded from `moduleUrl`
 * (this module's URL unless testing). The plan file's path follows.
 * `subcommand` names another hidden helper of kiln's (`__chroot-helper`).
 */
export function helperCommand(
  moduleUrl: string = import.meta.url,
  standalone: boolean = Deno.build.standalone,
  subcommand: string = HELPER_COMMAND,
): HelperCommand {
  if (standalone) return { command: Deno.execPath(), args: [subcommand] };
  const url = new URL(moduleUrl);
  if (url.protocol !== "file:") {
    throw new Error(`kiln is loaded from ${moduleUrl}; the sandbox helper needs it on the local disk`);
  }
  if (url.pathname.endsWith(SOURCE_SUFFIX)) {
    const top = decodeURIComponent(url.pathname.slice(0, -SOURCE_SUFFIX.length));
    const config = `${top}/deno.json`;
    return {
      command: Deno.execPath(),
      args: [
        ...DENO_FLAGS,
        exists(config) ? `--config=${config}` : "--no-config",
        `${top}/main.ts`,
        subcommand,
      ],
    };
  }
  return {
    command: Deno.execPath(),
    args: [...DENO_FLAGS, "--no-config", decodeURIComponent(url.pathname), subcommand],
  };
}
