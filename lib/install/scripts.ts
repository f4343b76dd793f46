/**
 * A package's own `post-install` and `pre-remove` scripts, run after an
 * install and before a removal (the user's `KISS_HOOK` programs are
 * `lib/hooks.ts`).
 *
 * In `/` a package script runs as kiss runs it, with kiln's environment and
 * `KISS_ROOT` empty. In another root it is confined to that root (SPEC §8,
 * `lib/sandbox/script_root.ts`): new namespaces, `pivot_root` into the root,
 * no `/proc`, a minimal `/dev`, no network, `no_new_privs`, only the
 * capabilities that changing the root's files needs, and a clean
 * environment ({@linkcode CONFINED_ENV}); the root needs a `/bin/sh`. Their
 * output is logged; a failure is a warning.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { RootResolver } from "../db/resolve.ts";
import { hostPath, present } from "./replay.ts";
import { runConfinedScript } from "../sandbox/script_run.ts";

/** The whole environment of a package script run in a root other than `/`. */
export const CONFINED_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  KISS_ROOT: "",
};

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
  if (config.root !== "/" && realRoot(config.root) !== "/") return runInRoot(config, log, pkg, script, inRoot);
  const env = { ...config.env, KISS_ROOT: "" };
  const command = new Deno.Command(file, { env, clearEnv: true, stdin: "null" });
  log.info(`${pkg}: running ${script}`);
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

/** `root` without symbolic links (a root that is `/` by another name is `/`). */
function realRoot(root: string): string {
  try {
    return Deno.realPathSync(root);
  } catch {
    return root;
  }
}

/** Run `inRoot` confined to the root (see the module documentation). */
function runInRoot(config: Config, log: Log, pkg: string, script: string, inRoot: string): boolean {
  const resolver = new RootResolver(config.root);
  if (!present(hostPath(config.root, resolver.resolve("/bin/sh")))) {
    log.warn(
      `${pkg}: cannot run ${script}: ${config.root} has no /bin/sh to run it with; run it inside the root later`,
    );
    return false;
  }
  log.info(`${pkg}: running ${script} in ${config.root}`);
  let result;
  try {
    result = runConfinedScript({ root: realRoot(config.root), script: inRoot, env: CONFINED_ENV });
  } catch (err) {
    log.warn(`${pkg}: cannot run ${script}: ${(err as Error).message}`);
    return false;
  }
  if (result.failure !== undefined) {
    log.warn(`${pkg}: cannot run ${script} confined to ${config.root}: ${result.failure}`);
    return false;
  }
  for (const line of result.lines) log.info(`${pkg}: ${line}`);
  if (result.code !== 0) {
    log.warn(`${pkg}: ${script} exited with status ${result.code}`);
    return false;
  }
  return true;
}
