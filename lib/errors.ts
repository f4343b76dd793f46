/**
 * Errors kiln reports to its user.
 *
 * Every failure the user can act on is a {@linkcode KilnError}: a message that
 * says what failed and where (package, file, line, path), and a hint that says
 * what to do. The CLI prints these without a stack trace (unless KISS_DEBUG)
 * and exits with {@linkcode KilnError.exitCode}.
 *
 * @module
 */

/** Exit status for a failure (SPEC §5). */
export const EXIT_FAILURE = 1;
/** Exit status for a usage error (SPEC §5). */
export const EXIT_USAGE = 2;

/** Options of a {@linkcode KilnError}. */
export interface KilnErrorOptions {
  /** What the user can do about it, printed on its own line. */
  hint?: string;
  /** Process exit status; 1 unless a usage error. */
  exitCode?: number;
  /** The underlying error, kept for KISS_DEBUG output. */
  cause?: unknown;
}

/** A failure with a message meant for the user. */
export class KilnError extends Error {
  /** What the user can do about it. */
  readonly hint?: string;
  /** Process exit status. */
  readonly exitCode: number;

  constructor(message: string, options: KilnErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "KilnError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** A command line that kiln cannot understand (exit status 2). */
export class UsageError extends KilnError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: EXIT_USAGE });
    this.name = "UsageError";
  }
}

/**
 * A recipe file that is broken. The message names the file and, where there
 * is one, the line: `path/to/pkg/version:1: no release field`.
 */
export class RecipeError extends KilnError {
  /** The file at fault. */
  readonly file: string;
  /** The 1-based line at fault, when one line is at fault. */
  readonly line?: number;

  constructor(file: string, line: number | undefined, what: string, hint?: string) {
    super(`${file}${line === undefined ? "" : `:${line}`}: ${what}`, { hint });
    this.name = "RecipeError";
    this.file = file;
    this.line = line;
  }
}

/** True when `err` is a "file not found" error from Deno or node:fs. */
export function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound ||
    (err as { code?: string } | null)?.code === "ENOENT";
}
