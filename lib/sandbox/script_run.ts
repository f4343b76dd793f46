/**
 * Run a package script confined to its root (SPEC §8): kiln's side of
 * `script_root.ts`. Synchronous, as package scripts are run in the middle of
 * an install or a removal.
 *
 * @module
 */

import { helperCommand } from "./launch.ts";
import { inNewPidNamespace } from "./pidns.ts";
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
 * without the capabilities that reach outside) and wait for it. The helper is
 * PID 1 of a new PID namespace: when the script ends, the kernel kills what
 * it left running and this returns only once all of it is gone.
 */
export function runConfinedScript(plan: Omit<ScriptPlan, "output">): ConfinedScriptResult {
  const launch = helperCommand();
  const output = Deno.makeTempFileSync({ prefix: "kiln-script-" });
  try {
    // The same program as the build's helper, with the script helper's sub-command.
    const args = [...launch.args.slice(0, -1), SCRIPT_HELPER_COMMAND, JSON.stringify({ ...plan, output })];
    // No pipes: reading them would start threads, which a thread whose children
    // go to another PID namespace cannot.
    const command = new Deno.Command(launch.command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    });
    const out = inNewPidNamespace(() => command.outputSync());
    const lines: string[] = [];
    let failure: string | undefined;
    for (const line of decoder.decode(Deno.readFileSync(output)).split("\n")) {
      const message = out.code === HELPER_FAILED ? decodeMessage(line) : undefined;
      if (message?.type === "error") failure = message.message;
      else if (line.trim() !== "") lines.push(line);
    }
    const code = out.signal ? 128 + (SIGNALS[out.signal] ?? 0) : out.code;
    return { code, lines, failure };
  } finally {
    Deno.removeSync(output);
  }
}

const SIGNALS: Partial<Record<Deno.Signal, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
