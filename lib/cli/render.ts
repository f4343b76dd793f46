/**
 * Renders library events for a person: `[INFO]`-style lines (SPEC §5), in
 * colour on a terminal unless NO_COLOR, and live progress bars for downloads,
 * builds and installs when standard error is a terminal. In a pipe, progress
 * events are dropped and only the plain lines remain.
 *
 * Messages carry untrusted text (package names, file paths from archives,
 * the tail of a build's log): control characters and bidirectional marks in
 * them are shown escaped (`lib/text.ts`), so that they cannot move the
 * cursor, rewrite earlier lines or reorder what is read.
 *
 * @module
 */

import type { KilnEvent, LogLevel, Reporter } from "../log.ts";
import { printable, printableLines } from "../text.ts";

/** How the renderer behaves. */
export interface RenderOptions {
  /** Colour the `[LEVEL]` tags. */
  color: boolean;
  /** Standard error is a terminal: draw progress bars. */
  terminal: boolean;
  /** Show `[DEBUG]` lines. */
  verbose: boolean;
  /** Hide `[INFO]` lines. */
  quiet: boolean;
  /** Terminal width (columns). */
  columns?: number;
  /** Where text goes (standard error by default). */
  write?: (text: string) => void;
  /** Clock in milliseconds (tests pass their own). */
  now?: () => number;
}

const LEVEL_COLOR: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** One progress bar: what {@linkcode formatBar} draws. */
export interface Bar {
  /** What it measures (`download`, `build`, `install`…). */
  phase: string;
  /** What is worked on (shown escaped). */
  label: string;
  /** Units done. */
  done: number;
  /** Units in all, when known. */
  total?: number;
  /** Extra text, such as the last line of a build log (shown escaped). */
  detail?: string;
  /** When it started, in milliseconds of the renderer's clock. */
  started: number;
}

/** Format a byte count as the seed does (`12.3 MB`). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Format seconds as `mm:ss` (or `h:mm:ss`). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Render one progress bar as a single line of at most `width` columns. */
export function formatBar(bar: Bar, now: number, width: number): string {
  const elapsed = Math.max(0.001, (now - bar.started) / 1000);
  let left: string;
  if (bar.phase === "download") {
    const rate = bar.done / elapsed;
    const eta = bar.total && rate > 0 ? formatDuration((bar.total - bar.done) / rate) : "--:--";
    left = `${bar.label} ${formatBytes(bar.done)} ${formatBytes(rate)}/s ${eta}`;
  } else if (bar.phase === "build") {
    left = `${bar.label} ${formatDuration(elapsed)}${bar.detail ? ` ${bar.detail}` : ""}`;
  } else {
    left = `${bar.label} ${bar.done}${bar.total ? `/${bar.total}` : ""} files`;
  }
  if (bar.total && bar.total > 0 && bar.phase !== "build") {
    const pct = Math.min(100, Math.floor((bar.done / bar.total) * 100));
    const cells = 20, fill = Math.round((pct / 100) * cells);
    left += ` [${"#".repeat(fill)}${" ".repeat(cells - fill)}] ${pct}%`;
  }
  return left.length > width ? left.slice(0, width - 1) + "…" : left;
}

/** A reporter that draws events on a terminal or writes plain lines. */
export class TerminalRenderer implements Reporter {
  readonly #o: Required<Omit<RenderOptions, "columns">> & { columns: number };
  readonly #bars = new Map<string, Bar>();
  #drawn = 0;
  #lastDraw = 0;

  /** A renderer behaving as `options` say. */
  constructor(options: RenderOptions) {
    const encoder = new TextEncoder();
    this.#o = {
      columns: options.columns ?? 80,
      write: (t) => Deno.stderr.writeSync(encoder.encode(t)),
      now: () => performance.now(),
      ...options,
    } as Required<Omit<RenderOptions, "columns">> & { columns: number };
  }

  /** Show one event (a log line, or a change to a progress bar). */
  emit(e: KilnEvent): void {
    if (e.type === "log") {
      if (e.level === "debug" && !this.#o.verbose) return;
      if (e.level === "info" && this.#o.quiet) return;
      const tag = `[${e.level.toUpperCase()}]`;
      const message = printableLines(e.message);
      const text = this.#o.color ? `${LEVEL_COLOR[e.level]}${tag}\x1b[0m ${message}\n` : `${tag} ${message}\n`;
      this.#clear();
      this.#o.write(text);
      this.#draw(true);
      return;
    }
    if (!this.#o.terminal) return;
    if (e.type === "progress-end") {
      this.#clear();
      this.#bars.delete(e.id);
      this.#draw(true);
      return;
    }
    const bar = this.#bars.get(e.id);
    const label = printable(e.label);
    const detail = e.detail === undefined ? undefined : printable(e.detail);
    if (bar) Object.assign(bar, { label, done: e.done, total: e.total, detail });
    else {this.#bars.set(e.id, {
        phase: e.phase,
        label,
        done: e.done,
        total: e.total,
        detail,
        started: this.#o.now(),
      });}
    this.#draw(false);
  }

  /** Remove every bar from the screen (before the process exits). */
  close(): void {
    this.#clear();
    this.#bars.clear();
  }

  #clear(): void {
    if (this.#drawn === 0) return;
    this.#o.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #draw(force: boolean): void {
    if (!this.#o.terminal || this.#bars.size === 0) return;
    const now = this.#o.now();
    if (!force && now - this.#lastDraw < 80) return;
    this.#lastDraw = now;
    this.#clear();
    const lines = [...this.#bars.values()].map((b) => formatBar(b, now, this.#o.columns));
    this.#o.write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}
