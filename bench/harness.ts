/**
 * The benchmark harness: timing with warm-up and repetitions, medians and
 * min–max, the results model shared by every scenario, and the rendering of
 * the results into the Markdown of `BENCHMARKS.md`.
 *
 * Times are wall-clock milliseconds from `performance.now()`. The machine is
 * noisy, so every figure a peer is compared with is measured in the same run
 * and reported as a ratio.
 *
 * @module
 */

import type { Machine } from "./peers.ts";

/** Thrown by a scenario when something it measures is not there; the reason goes into the report. */
export class Skip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Skip";
  }
}

/** Summary of repeated timings, in milliseconds. */
export interface Stats {
  /** Number of timed runs (warm-up excluded). */
  readonly runs: number;
  /** Median of the runs. */
  readonly median: number;
  /** Fastest run. */
  readonly min: number;
  /** Slowest run. */
  readonly max: number;
}

/** Summarize timings (milliseconds). Throws on an empty list: nothing measured is not a figure. */
export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error("no samples to summarize");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { runs: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Stats moved by `delta` ms (e.g. start-up subtracted), never below zero. */
export function shift(stats: Stats, delta: number): Stats {
  const move = (v: number) => Math.max(0, v + delta);
  return { runs: stats.runs, median: move(stats.median), min: move(stats.min), max: move(stats.max) };
}

/** Stats divided by `n` (e.g. per package of a chain). */
export function perUnit(stats: Stats, n: number): Stats {
  return { runs: stats.runs, median: stats.median / n, min: stats.min / n, max: stats.max / n };
}

/** How to repeat a measurement. */
export interface MeasureOptions {
  /** Untimed runs first (default 1). */
  warmup?: number;
  /** Timed runs (default 5). */
  runs?: number;
  /** Untimed preparation before every run, warm-up included (e.g. a fresh empty root). */
  before?: () => unknown | Promise<unknown>;
  /** Untimed clean-up after every run. */
  after?: () => unknown | Promise<unknown>;
  /**
   * When the first run takes longer than this (ms), it is the only sample:
   * slow peers (the kiss shell script on 20,000 files) are run once.
   */
  slowMs?: number;
}

/** The result of {@linkcode measure}: the stats and the first run's time. */
export interface Measurement {
  /** Timed runs. */
  readonly stats: Stats;
  /** Duration of the first run (a cold cache, an index being built), ms. */
  readonly first: number;
}

/**
 * Time `fn` after a warm-up. `fn` may return its own duration in ms (for
 * work it times itself); otherwise the wall-clock time of the call counts.
 */
export async function measure(
  fn: () => Promise<number | void> | number | void,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const warmup = options.warmup ?? 1;
  const runs = Math.max(1, options.runs ?? 5);
  const once = async (): Promise<number> => {
    await options.before?.();
    try {
      const start = performance.now();
      const own = await fn();
      const wall = performance.now() - start;
      return typeof own === "number" ? own : wall;
    } finally {
      await options.after?.();
    }
  };
  const samples: number[] = [];
  let first: number | undefined;
  for (let i = 0; i < warmup; i++) {
    const t = await once();
    first ??= t;
    if (options.slowMs !== undefined && t > options.slowMs) {
      return { stats: summarize([t]), first: t };
    }
  }
  for (let i = 0; i < runs; i++) {
    const t = await once();
    first ??= t;
    samples.push(t);
    if (i === 0 && warmup === 0 && options.slowMs !== undefined && t > options.slowMs) break;
  }
  return { stats: summarize(samples), first: first ?? samples[0] };
}

/** A measured figure: timings, and the bytes processed when throughput matters. */
export interface Figure {
  /** What was run, e.g. `kiln install` or `zstd -dc | tar -x`. */
  readonly label: string;
  /** Timings; absent when skipped. */
  readonly stats?: Stats;
  /** Bytes processed per run, for a MB/s column. */
  readonly bytes?: number;
  /** Why there is no figure. */
  readonly skipped?: string;
}

/** One of the tools {@linkcode compare} measures side by side. */
export interface Contender {
  /** The figure's label. */
  readonly label: string;
  /** The timed work; may return its own duration in ms. Throw {@linkcode Skip} when it cannot run. */
  run(): Promise<number | void> | number | void;
  /** Untimed preparation before every run. */
  before?(): unknown | Promise<unknown>;
  /** Untimed clean-up after every run. */
  after?(): unknown | Promise<unknown>;
  /** Bytes processed per run, for throughput. */
  readonly bytes?: number;
  /** When its first run takes longer than this (ms), that run is its only sample (a slow peer). */
  readonly slowMs?: number;
}

/** How {@linkcode compare} repeats. */
export interface CompareOptions {
  /** Untimed rounds first (default 1). */
  readonly warmup?: number;
  /** Timed rounds at most (default 5). */
  readonly runs?: number;
  /**
   * Wall-clock budget (ms) for the timed rounds, judged from the first
   * round: fewer rounds (never under 2) when one round is slow.
   */
  readonly budgetMs?: number;
}

/**
 * Measure several contenders in interleaved rounds (A B C, A B C, …) after a
 * warm-up round, so that a machine whose speed drifts during the run slows
 * them all alike and their ratios stay fair. A contender that throws
 * {@linkcode Skip} is dropped with the reason; one whose first run is slower
 * than its `slowMs` keeps that single sample. Figures come back in input order.
 */
export async function compare(contenders: readonly Contender[], options: CompareOptions = {}): Promise<Figure[]> {
  const warmup = options.warmup ?? 1;
  let runs = Math.max(1, options.runs ?? 5);
  const samples = contenders.map(() => [] as number[]);
  const skipped: (string | undefined)[] = contenders.map(() => undefined);
  const done = contenders.map(() => false);
  const once = async (c: Contender): Promise<number> => {
    await c.before?.();
    try {
      const start = performance.now();
      const own = await c.run();
      const wall = performance.now() - start;
      return typeof own === "number" ? own : wall;
    } finally {
      await c.after?.();
    }
  };
  for (let round = 0; round < warmup + runs; round++) {
    const roundStart = performance.now();
    for (const [i, c] of contenders.entries()) {
      if (done[i]) continue;
      let t: number;
      try {
        t = await once(c);
      } catch (err) {
        if (!(err instanceof Skip)) throw err;
        skipped[i] = err.message;
        done[i] = true;
        continue;
      }
      const slow = round === 0 && c.slowMs !== undefined && t > c.slowMs;
      if (round >= warmup || slow) samples[i].push(t);
      if (slow) done[i] = true;
    }
    if (round === 0 && options.budgetMs !== undefined) {
      const perRound = performance.now() - roundStart;
      runs = Math.min(runs, Math.max(2, Math.floor(options.budgetMs / Math.max(perRound, 1))));
    }
  }
  return contenders.map((c, i) =>
    skipped[i] !== undefined
      ? { label: c.label, skipped: skipped[i] }
      : { label: c.label, stats: summarize(samples[i]), bytes: c.bytes }
  );
}

/** One line of a scenario: kiln's figure and its peers', measured in the same run. */
export interface Row {
  /** The scenario, e.g. `1. install`. */
  readonly scenario: string;
  /** The case inside the scenario, e.g. `20,000 files`. */
  readonly case: string;
  /** kiln's figure. */
  readonly kiln: Figure;
  /** The peers' figures. */
  readonly peers: readonly Figure[];
  /** A remark printed under the table (how a figure was derived). */
  readonly note?: string;
}

/** One SPEC §9 target and whether this run met it. */
export interface TargetResult {
  /** The target, in the spec's words. */
  readonly target: string;
  /** What was measured, e.g. `1.32× tar`. */
  readonly measured?: string;
  /** True when met, false when not, undefined when not measured. */
  readonly met?: boolean;
  /** Why it was not measured. */
  readonly reason?: string;
}

/** What a scenario hands back. */
export interface ScenarioResult {
  readonly rows: Row[];
  readonly targets: TargetResult[];
}

/** Whether a figure is a time (lower is better). All figures are times. */
export function ratio(kiln: Stats, peer: Stats): number {
  return peer.median === 0 ? Infinity : kiln.median / peer.median;
}

/** `0.84 ms`, `12.3 ms`, `123 ms`, `1.23 s`, `61.2 s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 100_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(0)} s`;
}

/** Throughput in MB/s (10^6 bytes) for `bytes` processed in `ms`. */
export function throughput(bytes: number, ms: number): number {
  return ms === 0 ? Infinity : bytes / 1e6 / (ms / 1000);
}

/** `123 ms (118–131 ms, 5 runs)`, with `, 456 MB/s` when bytes are known. */
export function formatStats(stats: Stats, bytes?: number): string {
  const range = stats.runs > 1 ? `${formatMs(stats.min)}–${formatMs(stats.max)}, ${stats.runs} runs` : "1 run";
  const rate = bytes === undefined ? "" : `, ${Math.round(throughput(bytes, stats.median))} MB/s`;
  return `${formatMs(stats.median)} (${range}${rate})`;
}

/** `0.84×`. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return "∞";
  return r < 10 ? `${r.toFixed(2)}×` : `${r.toFixed(1)}×`;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function figureText(f: Figure): string {
  if (f.stats) return formatStats(f.stats, f.bytes);
  return `skipped: ${f.skipped ?? "not measured"}`;
}

/** The results table (Markdown): one line per peer of each row, kiln's ratio to it. */
export function renderRows(rows: readonly Row[]): string {
  const out = [
    "| scenario | case | kiln | peer | peer figure | kiln ÷ peer |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const kilnText = `${row.kiln.label}: ${figureText(row.kiln)}`;
    const peers = row.peers.length > 0 ? row.peers : [undefined];
    peers.forEach((peer, i) => {
      const first = i === 0;
      const r = peer?.stats && row.kiln.stats ? formatRatio(ratio(row.kiln.stats, peer.stats)) : "—";
      out.push(
        `| ${first ? cell(row.scenario) : ""} | ${first ? cell(row.case) : ""} | ${first ? cell(kilnText) : ""} | ${
          peer ? cell(peer.label) : "—"
        } | ${peer ? cell(figureText(peer)) : "—"} | ${r} |`,
      );
    });
  }
  return out.join("\n");
}

/** `met`, `**not met**` or `not measured (why)`. */
export function targetStatus(t: TargetResult): string {
  if (t.met === true) return "met";
  if (t.met === false) return "**not met**";
  return `not measured${t.reason ? ` (${t.reason})` : ""}`;
}

/** The targets table (Markdown). */
export function renderTargets(targets: readonly TargetResult[]): string {
  const out = ["| target | measured | status |", "|---|---|---|"];
  for (const t of targets) out.push(`| ${cell(t.target)} | ${cell(t.measured ?? "—")} | ${cell(targetStatus(t))} |`);
  return out.join("\n");
}

/** Everything that goes into `BENCHMARKS.md`. */
export interface Report {
  readonly machine: Machine;
  /** Peer tools and their versions, e.g. `["GNU tar", "1.34"]`. */
  readonly peers: readonly (readonly [string, string])[];
  readonly rows: readonly Row[];
  readonly targets: readonly TargetResult[];
  /** Scenarios or parts of them that did not run, with the reason. */
  readonly skipped: readonly string[];
  /** What each scenario measures, one line each, e.g. `1. install and remove: …`. */
  readonly scenarios: readonly string[];
  /** Extra lines of context (kiss's published figures, derivations). */
  readonly context: readonly string[];
  /** Wall-clock time of the whole run, ms. */
  readonly totalMs: number;
  /** `BENCH_QUICK=1`: reduced sizes and runs. */
  readonly quick: boolean;
  /** When the run finished. */
  readonly date: Date;
}

/** Render the whole report as Markdown. */
export function renderReport(r: Report): string {
  const m = r.machine;
  const notes = r.rows.filter((row) => row.note).map((row) => `- ${row.scenario}, ${row.case}: ${row.note}`);
  const lines = [
    "# Benchmarks",
    "",
    `Written by \`deno task bench\` on ${r.date.toISOString().slice(0, 10)}; the whole run took ` +
    `${formatMs(r.totalMs)}.` + (r.quick
      ? " **Quick smoke run (`BENCH_QUICK=1`): reduced sizes and runs; " +
        "the targets are not judged.**"
      : ""),
    "",
    "Every figure is the median of several runs after a warm-up, with the fastest and slowest run. " +
    "Each peer is measured in the same run on the same data, and **kiln ÷ peer** is kiln's median " +
    "over the peer's: below 1× kiln is faster. The machine is shared and noisy, so the ratios, " +
    "not the absolute times, are what count.",
    "",
    "## Machine",
    "",
    "| cores | memory | kernel | system | CPU | Deno |",
    "|---|---|---|---|---|---|",
    `| ${m.cores} | ${m.memoryGiB} GiB | ${cell(m.kernel)} | ${cell(m.os)} | ${cell(m.cpu)} | ${m.deno} (V8 ${m.v8}) |`,
    "",
    "Peers: " + (r.peers.length ? r.peers.map(([n, v]) => `${n} ${v}`).join(", ") : "none found") + ".",
    "",
    "## Scenarios",
    "",
    ...r.scenarios.map((line) => `- ${line}`),
    "",
    "## Results",
    "",
    renderRows(r.rows),
    "",
    ...(notes.length ? ["How figures were derived:", "", ...notes, ""] : []),
    "## Targets",
    "",
    "The targets of SPEC §9, then kiss's published figures and the build issue's `-j2` goal for context.",
    "",
    renderTargets(r.targets),
    "",
  ];
  if (r.skipped.length) lines.push("## Skipped", "", ...r.skipped.map((s) => `- ${s}`), "");
  if (r.context.length) lines.push("## Context", "", ...r.context.map((s) => `- ${s}`), "");
  lines.push(
    "## Reproduce",
    "",
    "```sh",
    "deno task bench                                  # everything; writes BENCHMARKS.md",
    "BENCH_QUICK=1 deno task bench                    # smoke run, prints the table only",
    "BENCH_ONLY=1,4 deno task bench                   # some scenarios (numbers as above)",
    "BENCH_RUNS=9 deno task bench                     # more timed runs per figure (default 5)",
    "BENCH_TMPDIR=/dev/shm deno task bench            # make the data elsewhere (here: in memory)",
    "KISS_BIN=/path/to/kiss deno task bench           # adds the kiss shell script as a peer",
    "```",
    "",
    "The bench makes its own data in a temporary directory and removes it. It installs Debian's " +
      "`pacman-package-manager` and `b3sum` when they are missing (`BENCH_NO_INSTALL=1` to forbid it).",
    "",
  );
  return lines.join("\n");
}
