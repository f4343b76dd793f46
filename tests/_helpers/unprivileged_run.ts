/**
 * The child of {@linkcode runAsNobody} (`unprivileged.ts`): runs
 * `runScript(scratch, script, options)` as the unprivileged user it was
 * started as, and prints `{ok, value}` or `{ok: false, error}` as JSON.
 *
 * @module
 */

import { type RunOptions, runScript, type Scratch } from "./sandbox.ts";
import { KilnError } from "../../lib/errors.ts";

const { scratch, script, options } = JSON.parse(Deno.args[0]) as {
  scratch: Scratch;
  script: string;
  options: RunOptions;
};
try {
  const value = await runScript(scratch, script, options);
  console.log(JSON.stringify({ ok: true, value }));
} catch (err) {
  const e = err as Error;
  console.log(JSON.stringify({
    ok: false,
    error: { name: e.name, message: e.message, hint: err instanceof KilnError ? err.hint : undefined },
  }));
}
