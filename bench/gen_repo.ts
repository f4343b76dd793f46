/**
 * Generate a KISS repository of N packages for benchmarks: a random DAG from
 * a fixed seed (the same seed gives the same repository), up to 20 levels
 * deep, about 5 dependencies per package (one in five marked `make`), and
 * one top package that depends, transitively, on every other package.
 *
 * ```sh
 * deno run -A bench/gen_repo.ts OUT_DIR [--packages 5000] [--seed 1] [--depth 20]
 * kiln build --dry-run TOP        # with KISS_PATH=OUT_DIR
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

/** What to generate. */
export interface RepoShape {
  /** Number of packages, the top one included (at least 2). */
  readonly packages: number;
  /** Seed of the pseudo-random generator. */
  readonly seed?: number;
  /** Levels of the DAG, the top package's included (at least 2; default 20). */
  readonly depth?: number;
  /** Average dependencies per package (default 5). */
  readonly deps?: number;
}

/** What was generated. */
export interface GeneratedRepo {
  /** The repository directory (a `KISS_PATH` entry). */
  readonly dir: string;
  /** The package that depends on all others. */
  readonly top: string;
  /** Every package name. */
  readonly names: readonly string[];
  /** Number of `depends` lines written. */
  readonly edges: number;
}

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The dependency lines of every package, by name (no file is written). */
export function planRepo(shape: RepoShape): { top: string; depends: Map<string, string[]> } {
  const { packages, seed = 1, depth = 20, deps = 5 } = shape;
  if (!Number.isInteger(packages) || packages < 2) throw new RangeError("packages must be a whole number of 2 or more");
  if (!Number.isInteger(depth) || depth < 2) throw new RangeError("depth must be a whole number of 2 or more");
  const rand = seeded(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const width = String(packages).length;
  const levels = depth - 1;
  const count = packages - 1;
  const byLevel: string[][] = Array.from({ length: levels }, () => []);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `pkg-${String(i).padStart(width, "0")}`;
    names.push(name);
    byLevel[Math.min(levels - 1, Math.floor((i * levels) / count))].push(name);
  }
  const depends = new Map<string, string[]>();
  const wanted = new Set<string>();
  const below: string[] = [];
  for (let level = 0; level < levels; level++) {
    for (const name of byLevel[level]) {
      const chosen = new Set<string>();
      if (level > 0) {
        const previous = byLevel[level - 1];
        chosen.add(previous[pick(previous.length)]);
        const target = Math.min(below.length, 1 + pick(2 * deps - 1));
        while (chosen.size < target) chosen.add(below[pick(below.length)]);
      }
      const lines = [...chosen].map((dep) => (rand() < 0.2 ? `${dep} make` : dep));
      for (const dep of chosen) wanted.add(dep);
      depends.set(name, lines);
    }
    below.push(...byLevel[level]);
  }
  const top = "top";
  depends.set(top, names.filter((n) => !wanted.has(n)));
  return { top, depends };
}

/** Write the repository into `dir` (created; it must not exist or be empty). */
export async function generateRepo(dir: string, shape: RepoShape): Promise<GeneratedRepo> {
  await Deno.mkdir(dir, { recursive: true });
  for await (const _ of Deno.readDir(dir)) throw new Error(`${dir} is not empty; give a new directory`);
  const { top, depends } = planRepo(shape);
  const build = '#!/bin/sh -e\n\nmkdir -p "$1/usr/share/doc"\n';
  let edges = 0;
  const writeOne = async (name: string, lines: string[]) => {
    const pkg = `${dir}/${name}`;
    await Deno.mkdir(pkg);
    await Deno.writeTextFile(`${pkg}/version`, "1.0.0 1\n");
    await Deno.writeTextFile(`${pkg}/build`, build, { mode: 0o755 });
    if (lines.length > 0) await Deno.writeTextFile(`${pkg}/depends`, lines.join("\n") + "\n");
    edges += lines.length;
  };
  const entries = [...depends];
  for (let i = 0; i < entries.length; i += 64) {
    await Promise.all(entries.slice(i, i + 64).map(([name, lines]) => writeOne(name, lines)));
  }
  return { dir, top, names: [...depends.keys()], edges };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      packages: { type: "string", default: "5000" },
      seed: { type: "string", default: "1" },
      depth: { type: "string", default: "20" },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    console.error("usage: deno run -A bench/gen_repo.ts OUT_DIR [--packages N] [--seed S] [--depth D]");
    Deno.exit(2);
  }
  const started = performance.now();
  const repo = await generateRepo(positionals[0], {
    packages: Number(values.packages),
    seed: Number(values.seed),
    depth: Number(values.depth),
  });
  console.error(
    `wrote ${repo.names.length} packages, ${repo.edges} depends lines, to ${repo.dir} ` +
      `in ${((performance.now() - started) / 1000).toFixed(1)} s; top package: ${repo.top}`,
  );
  console.log(repo.top);
}
