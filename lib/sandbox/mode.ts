/**
 * Which sandbox a build gets (`KISS_SANDBOX`, SPEC §7).
 *
 * @module
 */

import type { Config, SandboxMode } from "../config.ts";
import { KilnError } from "../errors.ts";
import { isFile } from "../fs_queries.ts";
import type { ResolvedSandboxMode } from "./request.ts";

/** The package whose runtime closure is the floor of every hermetic sysroot. */
export const BASE_PACKAGE = "base";

/** True when `root` has the `base` package installed (so a hermetic sysroot can be made from it). */
export function hasBase(root: string): boolean {
  return isFile(`${root.replace(/\/+$/, "")}/var/db/kiss/installed/${BASE_PACKAGE}/manifest`);
}

/**
 * Decide the sandbox for a build into `root`.
 *
 * `auto` is `hermetic` when `root` has `base` installed and `host` otherwise;
 * without root privileges it is `landlock` (the namespaces and mounts of the
 * other modes need them). An explicit `hermetic` or `host` without root
 * privileges, or an explicit `hermetic` for a root without `base`, is refused.
 *
 * Landlock alone is never used as root, not even when asked for: it leaves
 * root's capabilities over the host (chmod and chown of host files, every
 * file readable, UDP and Unix sockets, processes that outlive the build), and
 * root can have namespaces. Where it cannot (a restricted container), the
 * build fails setting up its namespaces, and the way out is to run kiln as
 * an unprivileged user, whose Landlock mode holds. That mode's seccomp filter
 * (what Landlock cannot deny: UDP, raw and Unix sockets to the outside) is
 * applied by the helper after Landlock (`helper.ts`, `setUp`).
 */
export function resolveSandboxMode(
  config: Pick<Config, "sandbox">,
  root: string,
  euid: number = Deno.uid() ?? 0,
): ResolvedSandboxMode {
  return resolveMode(config.sandbox, root, euid);
}

/** {@linkcode resolveSandboxMode} for a mode given directly. */
export function resolveMode(mode: SandboxMode, root: string, euid: number = Deno.uid() ?? 0): ResolvedSandboxMode {
  if (mode === "none") return mode;
  if (mode === "landlock") {
    if (euid === 0) {
      throw new KilnError(
        "KISS_SANDBOX=landlock is refused as root: Landlock alone cannot stop a build running as root from " +
          "changing, reading or signalling the host",
        {
          hint: "leave KISS_SANDBOX unset (or auto, host, hermetic) to build in namespaces; where namespaces cannot " +
            "be made, run kiln as an unprivileged user, whose Landlock mode holds",
        },
      );
    }
    return mode;
  }
  if (mode === "auto") {
    if (euid !== 0) return "landlock";
    return hasBase(root) ? "hermetic" : "host";
  }
  if (euid !== 0) {
    throw new KilnError(`KISS_SANDBOX=${mode} needs root privileges (namespaces and mounts)`, {
      hint: "run kiln as root, or set KISS_SANDBOX=landlock (or auto) to build with Landlock alone",
    });
  }
  if (mode === "hermetic" && !hasBase(root)) {
    throw new KilnError(
      `KISS_SANDBOX=hermetic needs the '${BASE_PACKAGE}' package installed in ${root} (no ${
        root.replace(/\/+$/, "")
      }/var/db/kiss/installed/${BASE_PACKAGE}/manifest)`,
      { hint: `install '${BASE_PACKAGE}' into ${root}, or set KISS_SANDBOX=host to build against the host's tools` },
    );
  }
  return mode;
}
