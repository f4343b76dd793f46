/**
 * Asking the person at the terminal, as kiss's `prompt` does: the question is
 * reported as an `[INFO]` line, the answer read from standard input. Enter or
 * `y` continues; `n` (or end of input) declines.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";

/** Whether kiln may ask at all: prompts on, and standard input is a terminal. */
export function canAsk(config: Config): boolean {
  return config.prompt && Deno.stdin.isTerminal();
}

/** Ask `question`; resolves to true for Enter or `y`, false for `n` or end of input. */
export async function ask(question: string, log: Log): Promise<boolean> {
  log.info(`${question} [Enter/y to continue, n to skip]`);
  const buf = new Uint8Array(256);
  let line = "";
  while (!line.includes("\n")) {
    const n = await Deno.stdin.read(buf);
    if (n === null) return false;
    line += new TextDecoder().decode(buf.subarray(0, n));
  }
  const answer = line.trim().toLowerCase();
  return answer === "" || answer === "y" || answer === "yes";
}
