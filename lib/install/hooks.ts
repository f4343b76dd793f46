/**
 * Hooks: the user's `KISS_HOOK` programs, called at kiss's events with kiss's
 * arguments, and a package's own `post-install` and `pre-remove` scripts.
 *
 * `KISS_HOOK` is a colon-separated list of programs, each called as
 * `HOOK EVENT PKG ARG`:
 *
 * | event | ARG |
 * |---|---|
 * | `pre-install` | the package archive (kiss passes its extracted copy; kiln never extracts one) |
 * | `post-install` | the package's database entry |
 * | `pre-remove` | the package's database entry |
 * | `post-remove` | the root |
 *
 * A failing hook stops the command, as in kiss. Package scripts run inside
 * the root with `chroot` when the root is not `/` (the root needs a `/bin/sh`),
 * with `KISS_ROOT` empty; their output is logged; a failure is a warning.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { RootResolver } from "../db/resolve.ts";
import { hostPath, present } from "./replay.ts";

/** The events kiln calls `KISS_HOOK` with around installs and removals. */
export type HookEvent = "pre-install" | "post-install" | "pre-remove" | "post-remove";

const decoder = new TextDecoder();

function logOutput(log: Log, prefix: string, bytes: Uint8Array) {
  for (const line of decoder.decode(bytes).split("\n")) {
    if (line.trim() !== "") log.info(`${prefix}${line}`);
  }
}

/** Call every `KISS_HOOK` program with `event`, `pkg` and `arg`. Throws {@linkcode KilnError} when one fails. */
export function runHook(config: Config, log: Log, event: HookEvent, pkg: string, arg: string): void {
  for (const hook of (config.hook ?? "").split(":")) {
    if (hook === "") continue;
    let out: Deno.CommandOutput;
    try {
      out = new Deno.Command(hook, { args: [event, pkg, arg], env: config.env, clearEnv: true, stdin: "null" })
        .outputSync();
    } catch (err) {
      throw new KilnError(`${event} hook '${hook}' could not run: ${(err as Error).message}`, {
        hint: "KISS_HOOK must list executable programs, separated by ':'",
        cause: err,
      });
    }
    logOutput(log, "", out.stdout);
    logOutput(log, "", out.stderr);
    if (!out.success) {
      throw new KilnError(`${event} hook failed for ${pkg}: '${hook}' exited with status ${out.code}`, {
        hint: "fix the hook, or unset KISS_HOOK",
      });
    }
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
