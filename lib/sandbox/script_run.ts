/**
 * Run a package script confined to its root (SPEC §8): kiln's side of
 * `script_root.ts`. Synchronous, as package scripts are run in the middle of
 * an install or a removal.
 *
 * @module
 */

import { helperCommand } from "./launch.ts";
import { decodeMessage, HELPER_FAILED } from "./plan.ts";
import { SCRIPT_HELPER_COMMAND, type ScriptPlan } from "./script_root.ts";

/** How a confined script ended. */
export interface ConfinedScriptResult {
  /** Exit status (128 + N when killed by signal N). */
  readonly code: number;
  /** What it wrote (standard error joined to standard output), as lines. */
  readonly lines: string[];
  /** Why it could not be started, when the helper failed before `execve`. */
  readonly failure?: string;
}

const decoder = new TextDecoder();

/**
 * Run `plan.script` inside `plan.root` (pivoted into, in new namespaces,
 * without the capabilities that reach outside) and wait for it.
 */
export function runConfinedScript(plan: ScriptPlan): ConfinedScriptResult {
  const launch = helperCommand();
  // The same program as the build's helper, with the script helper's sub-command.
  const args = [...launch.args.slice(0, -1), SCRIPT_HELPER_COMMAND, JSON.stringify(plan)];
  const out = new Deno.Command(launch.command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).outputSync();
  const lines: string[] = [];
  let failure: string | undefined;
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  for (const line of text.split("\n")) {
    const message = out.code === HELPER_FAILED ? decodeMessage(line) : undefined;
    if (message?.type === "error") failure = message.message;
    else if (line.trim() !== "") lines.push(line);
  }
  const code = out.signal ? 128 + (SIGNALS[out.signal] ?? 0) : out.code;
  return { code, lines, failure };
}

const SIGNALS: Partial<Record<Deno.Signal, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
