/**
 * What every command receives from the CLI.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log, Reporter } from "../log.ts";

/** The world a command runs in. */
export interface CommandContext {
  /** Configuration, read once. */
  readonly config: Config;
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  /** Command-specific flags that the global parser accepted (e.g. `check`, `require-signed`). */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  /** Where library events go. */
  readonly reporter: Reporter;
  /** Shorthand over `reporter`. */
  readonly log: Log;
  /** The current working directory (the package, when none is named). */
  readonly cwd: string;
  /** Write one line of the command's result to standard output. */
  out(line: string): void;
}

/** A command's entry point: resolves to the exit status (0 when void). */
export type CommandRun = (ctx: CommandContext) => Promise<number | void>;

/** Description of one command, for dispatch and `help`. */
export interface CommandSpec {
  /** kiss's one-letter alias. */
  readonly alias?: string;
  /** Argument synopsis for help. */
  readonly usage: string;
  /** One line for help. */
  readonly summary: string;
  /** Loads the module that implements it (lazily: start-up stays fast). */
  readonly load: () => Promise<{ run: CommandRun }>;
}
