/**
 * What the build pipeline asks of the sandbox, and what it gets back.
 *
 * @module
 */

import type { SandboxLimits, SandboxMode } from "../config.ts";

/** A sandbox mode once `auto` has been decided. */
export type ResolvedSandboxMode = Exclude<SandboxMode, "auto">;

/** One command to run in the sandbox. Paths are absolute host paths. */
export interface SandboxRequest {
  /** `KISS_SANDBOX`; `auto` is decided by {@linkcode resolveSandboxMode} for `root`. */
  readonly mode: SandboxMode;
  /** The root being built for (its installed database makes the hermetic sysroot; its files show in `host`). */
  readonly root: string;
  /**
   * The command. `argv[0]` is a path or a name looked up in `env.PATH`, as
   * seen inside the sandbox: it must live in the sysroot (hermetic), the
   * host's tree (host), or one of `writable`/`readable`.
   */
  readonly argv: readonly string[];
  /** The command's whole environment (nothing else is passed). */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory, as seen inside (normally the build directory). */
  readonly cwd: string;
  /** Host directories the build may write, visible at the same paths inside (build dir, package dir). */
  readonly writable: readonly string[];
  /** Host paths shown read-only at the same paths inside (e.g. the recipe directory). */
  readonly readable?: readonly string[];
  /** Names of the declared dependency closure, installed in `root` (hermetic sysroots). */
  readonly packages: readonly string[];
  /** The build's `proc/<pid>` directory; the sysroot and the request file go under it. */
  readonly workDir: string;
  /** File that receives the command's output (standard output and error, interleaved); appended to. */
  readonly logFile: string;
  /** Called with each line of output as it arrives. */
  readonly onLine?: (line: string) => void;
  /** Bounds on processes, memory and `/tmp` (`Config.sandboxLimits`); the defaults when absent. */
  readonly limits?: SandboxLimits;
}

/** How a sandboxed command ended. */
export interface SandboxResult {
  /** Exit status (128 + N when killed by signal N). */
  readonly code: number;
  /** The mode the command ran in. */
  readonly mode: ResolvedSandboxMode;
  /** Milliseconds from the helper's start to `execve`: its runtime start-up, then the sandbox set-up. */
  readonly timing?: { readonly startup: number; readonly setup: number };
  /**
   * The bounds the build ran into (processes, memory, `/tmp` space), each a
   * sentence naming the variable that sets it; empty when none.
   */
  readonly limitsReached: readonly string[];
}
