/**
 * A package's own `post-install` and `pre-remove` scripts, run after an
 * install and before a removal (the user's `KISS_HOOK` programs are
 * `lib/hooks.ts`).
 *
 * Package scripts run inside the root with `chroot` when the root is not `/`
 * (the root needs a `/bin/sh`), with `KISS_ROOT` empty; their output is
 * logged; a failure is a warning.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { RootResolver } from "../db/resolve.ts";
import { hostPath, present } from "./replay.ts";

const decoder = new TextDecoder();

function logOutput(log: Log, prefix: string, bytes: Uint8Array) {
  for (const line of decoder.decode(bytes).split("\n")) {
    if (line.trim() !== "") log.info(`${prefix}${line}`);
  }
}

/**
 * Run the package script `script` of installed package `pkg`, if it has one.
 * Returns false when it could not run or failed (said as a warning).
 */
export function runPackageScript(
  config: Config,
  log: Log,
  pkg: string,
  script: "post-install" | "pre-remove",
): boolean {
  const inRoot = `/var/db/kiss/installed/${pkg}/${script}`;
  const file = hostPath(config.root, inRoot);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch {
    return true;
  }
  if (!info.isFile || ((info.mode ?? 0) & 0o111) === 0) {
    log.warn(`${pkg}: skipping ${script}: not executable`);
    return false;
  }
  let command: Deno.Command;
  const env = { ...config.env, KISS_ROOT: "" };
  if (config.root === "/") {
    command = new Deno.Command(file, { env, clearEnv: true, stdin: "null" });
  } else {
    const resolver = new RootResolver(config.root);
    if (!present(hostPath(config.root, resolver.resolve("/bin/sh")))) {
      log.warn(
        `${pkg}: cannot run ${script}: ${config.root} has no /bin/sh to run it with; run it inside the root later`,
      );
      return false;
    }
    command = new Deno.Command("chroot", { args: [config.root, inRoot], env, clearEnv: true, stdin: "null" });
  }
  log.info(`${pkg}: running ${script}${config.root === "/" ? "" : ` in ${config.root}`}`);
  let out: Deno.CommandOutput;
  try {
    out = command.outputSync();
  } catch (err) {
    log.warn(`${pkg}: cannot run ${script}: ${(err as Error).message}`);
    return false;
  }
  logOutput(log, `${pkg}: `, out.stdout);
  logOutput(log, `${pkg}: `, out.stderr);
  if (!out.success) {
    log.warn(`${pkg}: ${script} exited with status ${out.code}`);
    return false;
  }
  return true;
}
