/**
 * Parallel builds: two independent packages whose `build` sleeps N seconds,
 * built with `kiln build -jJ` as a real subprocess, in the `host` sandbox
 * (or `KISS_SANDBOX` when given), into an empty root. With `-j2` the wall
 * time should be one build plus kiln's overhead, not two builds.
 *
 * Run it alone: `deno run -A bench/build.ts [SECONDS]`.
 *
 * @module
 */

/** One measurement of {@linkcode benchParallelBuilds}. */
export interface ParallelBuildResult {
  /** `-j` used. */
  readonly jobs: number;
  /** Seconds each build sleeps. */
  readonly sleep: number;
  /** Wall-clock seconds of the whole `kiln build`, start-up and packaging included. */
  readonly seconds: number;
}

/** Options of {@linkcode benchParallelBuilds}. */
export interface ParallelBuildOptions {
  /** Seconds each of the two builds sleeps (default 10). */
  readonly sleep?: number;
  /** `-j` (default 2). */
  readonly jobs?: number;
  /** Sandbox mode (default `KISS_SANDBOX` or `host`). */
  readonly sandbox?: string;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Build two independent sleeping packages with `kiln build -jN` and time it. */
export async function benchParallelBuilds(options: ParallelBuildOptions = {}): Promise<ParallelBuildResult> {
  const sleep = options.sleep ?? 10, jobs = options.jobs ?? 2;
  const dir = await Deno.makeTempDir({ prefix: "kiln-bench-build-" });
  try {
    const repo = `${dir}/repo`;
    for (const name of ["sleep-a", "sleep-b"]) {
      await Deno.mkdir(`${repo}/${name}`, { recursive: true });
      await Deno.writeTextFile(`${repo}/${name}/version`, "1 1\n");
      await Deno.writeTextFile(
        `${repo}/${name}/build`,
        `#!/bin/sh -e\nsleep ${sleep}\nmkdir -p "$1/usr/share/${name}"\necho ${name} > "$1/usr/share/${name}/done"\n`,
      );
      await Deno.chmod(`${repo}/${name}/build`, 0o755);
    }
    await Deno.mkdir(`${dir}/root`);
    const env: Record<string, string> = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      KISS_PATH: repo,
      KISS_ROOT: `${dir}/root`,
      KISS_CACHE: `${dir}/cache`,
      KISS_SANDBOX: options.sandbox ?? Deno.env.get("KISS_SANDBOX") ?? "host",
      KISS_PROMPT: "0",
      NO_COLOR: "1",
    };
    const deno = Deno.env.get("DENO_DIR");
    if (deno) env.DENO_DIR = deno;
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "build", `-j${jobs}`, "sleep-a", "sleep-b"],
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    if (!out.success) {
      throw new Error(
        `kiln build failed (${out.code}): ${
          new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join(" | ")
        }`,
      );
    }
    return { jobs, sleep, seconds };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const sleep = Number(Deno.args[0] ?? 10);
  for (const jobs of [2, 1]) {
    const r = await benchParallelBuilds({ sleep, jobs });
    console.log(`-j${r.jobs}: two independent ${r.sleep} s builds in ${r.seconds.toFixed(2)} s`);
  }
}
