/**
 * What every scenario shares: the context it runs in, running processes
 * (kiln itself as `deno run -A main.ts …`, and the peers), and loading kiln's
 * library modules when they exist — a missing module or a failing command
 * becomes a {@linkcode Skip} with the reason, never a crash of the bench.
 *
 * @module
 */

import { type Contender, type Figure, type ScenarioResult, shift, Skip } from "../harness.ts";
import type { Peers } from "../peers.ts";

/** The kiln source tree (the directory holding `main.ts`). */
export const REPO_URL = new URL("../../", import.meta.url);
/** {@linkcode REPO_URL} as a path, without the trailing slash. */
export const REPO = decodeURIComponent(REPO_URL.pathname).replace(/\/$/, "");

/** What a scenario gets from the driver. */
export interface BenchContext {
  /** A private temporary directory for the scenario's data (removed afterwards). */
  readonly tmp: string;
  /** `BENCH_QUICK=1`: smaller data, fewer runs. */
  readonly quick: boolean;
  /** Timed runs per figure (after one warm-up). */
  readonly runs: number;
  /** The peer tools. */
  readonly peers: Peers;
  /** Progress lines for the person running the bench. */
  say(message: string): void;
}

/** A benchmark scenario, one module each. */
export interface Scenario {
  /** Its number in the list (1–8), used by `BENCH_ONLY`. */
  readonly id: number;
  /** Short title, e.g. `install and remove`. */
  readonly title: string;
  /** One sentence for the report: the data, what kiln runs, and against what. */
  readonly summary: string;
  /** Run it; rows that cannot be measured carry a skip reason. */
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** What a finished process gave back. */
export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time from spawn to exit, ms. */
  readonly ms: number;
}

/** How to run a process. */
export interface RunOptions {
  /** The whole environment (nothing is inherited). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** Run a process to its end and collect its output and duration. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const command = new Deno.Command(cmd, {
    args: [...args],
    env: options.env ?? baseEnv(),
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const start = performance.now();
  const out = await command.output();
  const ms = performance.now() - start;
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), ms };
}

let denoDir: string | undefined;

/** Deno's cache directory, so that kiln subprocesses run warm with the same cache as this process. */
export async function findDenoDir(): Promise<string> {
  if (denoDir) return denoDir;
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return (denoDir = fromEnv);
  const r = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped", stderr: "null" })
    .output();
  try {
    denoDir = JSON.parse(new TextDecoder().decode(r.stdout)).denoDir as string;
  } catch {
    denoDir = `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  }
  return denoDir;
}

/** A clean environment: PATH, HOME, the C locale, no colour, plus `extra`. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    HOME: Deno.env.get("HOME") ?? "/root",
    LANG: "C",
    LC_ALL: "C",
    NO_COLOR: "1",
    LOGNAME: Deno.env.get("LOGNAME") ?? "root",
  };
  if (denoDir) env.DENO_DIR = denoDir;
  return { ...env, ...extra };
}

/** The argv that runs kiln's CLI: `deno run -A --config deno.json main.ts ARGS…`. */
export function kilnArgv(args: readonly string[]): [string, string[]] {
  return [Deno.execPath(), ["run", "-A", "--config", `${REPO}/deno.json`, `${REPO}/main.ts`, ...args]];
}

/** Run kiln's CLI as a real subprocess. */
export function kiln(args: readonly string[], env: Record<string, string>, cwd?: string): Promise<ProcessResult> {
  const [cmd, argv] = kilnArgv(args);
  return run(cmd, argv, { env: baseEnv(env), cwd });
}

/** The lines of a failure worth quoting in the report (kiln's `[ERROR]` line and hint, or the last lines). */
export function failureText(r: ProcessResult): string {
  const lines = (r.stderr + "\n" + r.stdout).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const at = lines.findIndex((l) => l.startsWith("[ERROR]") || l.startsWith("error:"));
  const picked = at >= 0 ? lines.slice(at, at + 2) : lines.slice(-2);
  const text = picked.join(" ").replace(/\s+/g, " ");
  return text.length > 240 ? text.slice(0, 237) + "…" : text || `exit status ${r.code}`;
}

/** Throws a {@linkcode Skip} quoting the failure unless `r` exited 0. */
export function expectSuccess(r: ProcessResult, what: string): ProcessResult {
  if (r.code !== 0) throw new Skip(`${what} failed (exit ${r.code}): ${failureText(r)}`);
  return r;
}

/** Throws a {@linkcode Skip} unless the command module exists (`lib/cli/cmd/<name>.ts`). */
export function needCommand(name: string): void {
  if (!exists(`${REPO}/lib/cli/cmd/${name}.ts`)) {
    throw new Skip(`kiln ${name} is not there yet (lib/cli/cmd/${name}.ts missing)`);
  }
}

/** True when `path` exists (without following a final symlink). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Import one of kiln's modules by its path in the tree (e.g.
 * `lib/hash/file.ts`), or throw a {@linkcode Skip} saying it is missing.
 * The specifier is computed, so the type checker does not follow it: the
 * caller states the shape it expects.
 */
export async function importKiln<T>(relative: string): Promise<T> {
  const url = new URL(relative, REPO_URL);
  if (!exists(decodeURIComponent(url.pathname))) throw new Skip(`${relative} is not there yet`);
  try {
    return await import(url.href) as T;
  } catch (err) {
    throw new Skip(`${relative} does not load: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Remove a directory tree, ignoring a missing one. */
export async function removeTree(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Flush the file system holding `path` (`sync -f`), untimed, so that the next
 * timed run does not pay for the writes and deletions of the one before
 * (ext4 commits and discards them in the background, slowing file creation).
 */
export async function settle(path: string): Promise<void> {
  await run("sync", ["-f", path]);
}

/** `1,000` style numbers for case names. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Run `fn` for a figure; a {@linkcode Skip} becomes a skipped figure with its reason. */
export async function attempt(label: string, fn: () => Promise<Figure>): Promise<Figure> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Skip) return { label, skipped: err.message };
    throw err;
  }
}

/** `kiln version` as a contender: the start-up of a kiln process, to subtract from a query measured beside it. */
export function startupContender(): Contender {
  return {
    label: "kiln version (start-up)",
    run: async () => expectSuccess(await kiln(["version"], {}), "kiln version").ms,
  };
}

/** `whole` minus the median of `startup` (both measured in the same interleaved rounds), as `label`. */
export function minusStartup(whole: Figure, startup: Figure, label: string): Figure {
  if (!whole.stats || !startup.stats) return { label, skipped: whole.skipped ?? startup.skipped };
  return { label, stats: shift(whole.stats, -startup.stats.median) };
}
