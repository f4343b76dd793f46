/**
 * What kiln tells the sandbox helper, and what the helper tells kiln back.
 *
 * kiln writes a {@linkcode HelperPlan} as JSON to a file and starts the
 * helper with its path. Before `execve` the helper reports on its standard
 * error, one {@linkcode HelperMessage} per line after {@linkcode MESSAGE_PREFIX};
 * the build's own output goes to standard output (its standard error is
 * joined to it), so the two never mix. The helper's standard input is kiln's
 * answer to `namespaced`; the build gets `/dev/null` instead.
 *
 * @module
 */

import type { ResolvedSandboxMode } from "./request.ts";

/** Everything the helper needs; all paths are absolute. */
export interface HelperPlan {
  readonly mode: ResolvedSandboxMode;
  /** The root being built for. */
  readonly root: string;
  /**
   * The directory that becomes `/`: the hermetic sysroot, or (host) an empty
   * directory where the helper mounts a tmpfs and the host's tree.
   */
  readonly newRoot?: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly writable: readonly string[];
  readonly readable: readonly string[];
  /** tmpfs `size=` of `/tmp` and `/dev/shm` (`KISS_TMPFS_SIZE`). */
  readonly tmpfsSize?: string;
  /** `pid_max` of the build's PID namespace (kernels that have one per namespace), bounding its processes. */
  readonly pidMax?: number;
}

/** A line the helper writes to kiln before the build starts. */
export type HelperMessage =
  /**
   * The helper has its own namespaces (in hermetic and host modes), has asked
   * to be killed with kiln, and waits for one byte on its standard input:
   * kiln answers once the helper is in the build's control group. The
   * answer also shows kiln was still there (a PID namespace's first process
   * cannot see its parent).
   */
  | { type: "namespaced" }
  | {
    type: "ready";
    /** ms from process start to helper entry */
    startup: number;
    /** ms of set-up */
    setup: number;
  }
  | { type: "warn"; message: string }
  | { type: "error"; message: string; hint?: string };

/** Marks helper messages on its standard error. */
export const MESSAGE_PREFIX = "kiln-sandbox ";

/** Exit status of a helper that failed before starting the build. */
export const HELPER_FAILED = 125;

/** Encode one message as a line. */
export function encodeMessage(message: HelperMessage): string {
  return MESSAGE_PREFIX + JSON.stringify(message) + "\n";
}

/** Decode a line; undefined when it is not a helper message. */
export function decodeMessage(line: string): HelperMessage | undefined {
  if (!line.startsWith(MESSAGE_PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(MESSAGE_PREFIX.length));
    return typeof value?.type === "string" ? value as HelperMessage : undefined;
  } catch {
    return undefined;
  }
}
