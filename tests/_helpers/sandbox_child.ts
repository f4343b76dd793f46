/**
 * A kiln stand-in for tests that kill kiln during a build: runs the
 * {@linkcode SandboxRequest} given as JSON in its first argument with
 * `runSandboxed`, then exits with the build's status.
 *
 * ```sh
 * deno run -A tests/_helpers/sandbox_child.ts '{"mode":"host",...}'
 * ```
 *
 * @module
 */

import { Log, silent } from "../../lib/log.ts";
import { runSandboxed, type SandboxRequest } from "../../lib/sandbox/run.ts";

if (import.meta.main) {
  const request = JSON.parse(Deno.args[0]) as SandboxRequest;
  const result = await runSandboxed(request, new Log(silent));
  Deno.exit(result.code);
}
