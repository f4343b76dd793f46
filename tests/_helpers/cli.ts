/**
 * Run kiln as a real subprocess (`deno run -A main.ts …`) with a clean,
 * given environment, and collect its exit status and output.
 *
 * The child gets only `PATH`, `HOME`, `DENO_DIR` (when set) and
 * `NO_COLOR=1` from this process, plus what the test passes: the host's
 * `KISS_*` variables never leak into a test.
 *
 * @module
 */

/** Where main.ts and deno.json are. */
export const PROJECT_DIR: string = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** What a kiln run left behind. */
export interface KilnResult {
  /** Exit status. */
  readonly code: number;
  /** Standard output, decoded. */
  readonly stdout: string;
  /** Standard error, decoded. */
  readonly stderr: string;
}

/** How to run kiln. */
export interface KilnRunOptions {
  /** Environment on top of the minimal one (values replace those of the minimal one). */
  env?: Record<string, string>;
  /** Working directory (default: the project directory). */
  cwd?: string;
  /** Text written to standard input (default: none, stdin is closed). */
  stdin?: string;
  /** Flags for the runtime, after `run -A` (e.g. `--deny-ffi`). */
  runtime?: string[];
}

/** The minimal environment every run gets. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Run `kiln ARGS…` and wait for it; never throws on a non-zero exit. */
export async function runKiln(args: string[], options: KilnRunOptions = {}): Promise<KilnResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...options.runtime ?? [],
      "--quiet",
      `--config=${PROJECT_DIR}/deno.json`,
      `${PROJECT_DIR}/main.ts`,
      ...args,
    ],
    cwd: options.cwd ?? PROJECT_DIR,
    env: { ...baseEnv(), ...options.env },
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A readable account of a run, for assertion messages. */
export function describe(result: KilnResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}
