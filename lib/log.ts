/**
 * Events the library reports while it works.
 *
 * Library code never writes to the terminal: it calls a {@linkcode Reporter},
 * and the CLI (`lib/cli/render.ts`) decides how each event looks — coloured
 * `[INFO]` lines, progress bars on a terminal, plain lines in a pipe, JSON.
 * Tests collect events with {@linkcode collectEvents}.
 *
 * @module
 */

/** Severity of a log line, as in the seed's `[INFO]`/`[DEBUG]`/`[WARN]`/`[ERROR]`. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** What a progress event measures. */
export type ProgressPhase = "download" | "build" | "install" | "extract" | "remove";

/** One thing the library has to say. */
export type KilnEvent =
  | { type: "log"; level: LogLevel; message: string }
  | {
    type: "progress";
    /** Stable id of the task (one bar per id), e.g. `download:zlib/zlib-1.3.tar.gz`. */
    id: string;
    phase: ProgressPhase;
    /** What is being worked on: a file name, a package. */
    label: string;
    /** Units done so far (bytes, files). */
    done: number;
    /** Units in all, when known. */
    total?: number;
    /** Extra text, e.g. the last line of a build log. */
    detail?: string;
  }
  | { type: "progress-end"; id: string };

/** Receives events. */
export interface Reporter {
  emit(event: KilnEvent): void;
}

/** A reporter that drops everything. */
export const silent: Reporter = { emit() {} };

/** A reporter that collects events into an array (for tests). */
export function collectEvents(): Reporter & { events: KilnEvent[]; lines(level?: LogLevel): string[] } {
  const events: KilnEvent[] = [];
  return {
    events,
    emit(e) {
      events.push(e);
    },
    lines(level) {
      return events.flatMap((e) => e.type === "log" && (!level || e.level === level) ? [e.message] : []);
    },
  };
}

/** Convenience wrapper around a reporter for the common log levels. */
export class Log {
  constructor(readonly reporter: Reporter) {}

  /** `[DEBUG] …` (shown with `-v` or KISS_DEBUG). */
  debug(message: string): void {
    this.reporter.emit({ type: "log", level: "debug", message });
  }
  /** `[INFO] …` */
  info(message: string): void {
    this.reporter.emit({ type: "log", level: "info", message });
  }
  /** `[WARN] …` */
  warn(message: string): void {
    this.reporter.emit({ type: "log", level: "warn", message });
  }
  /** `[ERROR] …` */
  error(message: string): void {
    this.reporter.emit({ type: "log", level: "error", message });
  }
  /** Progress of a long task. */
  progress(p: Omit<Extract<KilnEvent, { type: "progress" }>, "type">): void {
    this.reporter.emit({ type: "progress", ...p });
  }
  /** The task `id` has finished: its bar goes away. */
  done(id: string): void {
    this.reporter.emit({ type: "progress-end", id });
  }
}
