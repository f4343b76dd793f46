/**
 * Run one sandboxed script from a separate process (so that it can have a
 * terminal of its own as controlling terminal, as kiln run by a user does):
 * `pty_driver.ts REQUEST.json RESULT.json`, where the request holds a
 * {@linkcode Scratch}, the script and the {@linkcode RunOptions}; the result
 * is the script's output lines and exit status. Prints nothing itself.
 *
 * @module
 */

import { type RunOptions, runScript, type Scratch } from "./sandbox.ts";

if (import.meta.main) {
  const [requestFile, resultFile] = Deno.args;
  const request = JSON.parse(Deno.readTextFileSync(requestFile)) as {
    scratch: Scratch;
    script: string;
    options: RunOptions;
  };
  // The build's environment is made from scratch: the terminal's name (from withpty) goes into the script.
  const script = request.script.replaceAll("@TTY@", Deno.env.get("KILN_TTY") ?? "/dev/no-terminal");
  const run = await runScript(request.scratch, script, request.options);
  Deno.writeTextFileSync(resultFile, JSON.stringify({ lines: run.lines, code: run.code }));
}
