/**
 * Sandbox set-up cost (SPEC §9: under 50 ms plus 15 ms per 1,000 hard-linked
 * files). Measures, for each mode, the helper's start-up and set-up up to
 * `execve` (as the helper reports them) and the whole `runSandboxed` call for
 * a build that does nothing; and, separately, `buildSysroot` for roots of
 * 1,000 and 10,000 files.
 *
 * Run alone with `deno run -A bench/sandbox.ts`, or call {@linkcode benchSandbox}.
 *
 * @module
 */

import { collectEvents, Log } from "../lib/log.ts";
import type { ResolvedSandboxMode } from "../lib/sandbox/request.ts";
import { buildSysroot, runSandboxed } from "../lib/sandbox/run.ts";
import { makeStandardRoot } from "../tests/_helpers/sandbox.ts";

/** Timings of one mode, medians over the runs, in milliseconds. */
export interface ModeTiming {
  readonly mode: ResolvedSandboxMode;
  /** Helper process start to its entry point (runtime start-up and module loading). */
  readonly startup: number;
  /** Helper entry point to `execve` (namespaces, mounts, pivot_root, Landlock, capabilities). */
  readonly setup: number;
  /** The whole `runSandboxed` call for `/bin/true`, sysroot and clean-up included. */
  readonly total: number;
}

/** Cost of making a hermetic sysroot. */
export interface SysrootTiming {
  readonly files: number;
  /** Directories among them (each one a mkdir in the sysroot). */
  readonly dirs: number;
  readonly ms: number;
  readonly msPer1000: number;
  /** `cp -al` of the same files, measured in the same run (the filesystem's own cost, plus a process start). */
  readonly cpMs: number;
}

/** Everything {@linkcode benchSandbox} measures. */
export interface SandboxBench {
  readonly modes: readonly ModeTiming[];
  readonly sysroot: readonly SysrootTiming[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A root whose `base` package is `files` small files, 50 to a directory (about the ratio of real packages). */
function makeWideRoot(root: string, files: number): number {
  const dirs = Math.max(1, Math.round(files / 50));
  const manifest: string[] = [];
  for (let d = 0; d < dirs; d++) {
    const dir = `/usr/share/bench/d${d}`;
    Deno.mkdirSync(`${root}${dir}`, { recursive: true });
    manifest.push(`${dir}/`);
  }
  for (let i = 0; i < files; i++) {
    const path = `/usr/share/bench/d${i % dirs}/f${i}`;
    Deno.writeFileSync(`${root}${path}`, new Uint8Array([i & 0xff]));
    manifest.push(path);
  }
  manifest.push("/usr/share/bench/", "/usr/share/", "/usr/");
  Deno.mkdirSync(`${root}/var/db/kiss/installed/base`, { recursive: true });
  Deno.writeTextFileSync(`${root}/var/db/kiss/installed/base/manifest`, manifest.sort().reverse().join("\n") + "\n");
  return dirs;
}

/** Measure the sandbox; `runs` builds per mode (median reported). */
export async function benchSandbox(runs = 9): Promise<SandboxBench> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-bench-sandbox-" });
  try {
    const build = `${dir}/build`;
    await Deno.mkdir(build);
    const standard = `${dir}/standard-root`;
    await Deno.mkdir(standard);
    makeStandardRoot(standard);

    const modes: ModeTiming[] = [];
    // Landlock alone is refused as root (lib/sandbox/mode.ts): measured only when run unprivileged.
    const measured = Deno.uid() === 0 ? ["host", "hermetic"] as const : ["host", "hermetic", "landlock"] as const;
    for (const mode of measured) {
      const startup: number[] = [], setup: number[] = [], total: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const result = await runSandboxed({
          mode,
          root: mode === "hermetic" ? standard : "/",
          argv: ["/usr/bin/true"],
          env: { PATH: "/usr/bin:/bin" },
          cwd: build,
          writable: [build],
          packages: [],
          workDir: `${dir}/proc`,
          logFile: `${dir}/log`,
          onLine: () => {},
        }, new Log(collectEvents()));
        total.push(performance.now() - started);
        if (result.code !== 0 || !result.timing) throw new Error(`${mode}: /usr/bin/true failed (${result.code})`);
        startup.push(result.timing.startup);
        setup.push(result.timing.setup);
      }
      modes.push({ mode, startup: median(startup), setup: median(setup), total: median(total) });
    }

    const sysroot: SysrootTiming[] = [];
    for (const files of [1000, 10000]) {
      const root = `${dir}/root-${files}`;
      await Deno.mkdir(root);
      const dirs = makeWideRoot(root, files);
      const times: number[] = [];
      // The first run is not counted: it pays for the root's freshly written inodes.
      for (let i = 0; i < 4; i++) {
        const dest = `${dir}/sysroot-${files}-${i}`;
        await Deno.mkdir(dest);
        const started = performance.now();
        buildSysroot(root, ["base"], dest, new Log(collectEvents()));
        if (i > 0) times.push(performance.now() - started);
        await Deno.remove(dest, { recursive: true });
      }
      // The peer: GNU cp making the same tree of hard links (one linkat per file, one mkdir per directory).
      const peer: number[] = [];
      for (let i = 0; i < 3; i++) {
        const dest = `${dir}/cp-${files}-${i}`;
        const started = performance.now();
        const out = await new Deno.Command("cp", { args: ["-al", `${root}/usr`, dest] }).output();
        peer.push(performance.now() - started);
        if (!out.success) throw new Error("cp -al failed");
        await Deno.remove(dest, { recursive: true });
      }
      const ms = median(times);
      sysroot.push({ files, dirs, ms, msPer1000: ms / (files / 1000), cpMs: median(peer) });
    }
    return { modes, sysroot };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const result = await benchSandbox();
  const f = (n: number) => n.toFixed(1).padStart(7);
  console.log("mode        startup   setup  to-exec   total (ms, median)");
  for (const m of result.modes) {
    console.log(`${m.mode.padEnd(10)} ${f(m.startup)} ${f(m.setup)} ${f(m.startup + m.setup)} ${f(m.total)}`);
  }
  console.log("sysroot     files    dirs      ms  per-1000   cp -al   ratio");
  for (const s of result.sysroot) {
    console.log(
      `${"".padEnd(10)} ${String(s.files).padStart(6)} ${String(s.dirs).padStart(7)} ${f(s.ms)} ${f(s.msPer1000)}  ` +
        `${f(s.cpMs)} ${(s.ms / s.cpMs).toFixed(2).padStart(7)}`,
    );
  }
}
