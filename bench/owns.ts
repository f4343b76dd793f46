/**
 * `kiln owns PATH` over a large installed database: 1,000 packages of 200
 * files (200,000 paths), their directories real in the root. Measures the
 * index build (the first query), the look-up in-process (index check and
 * binary search: the time beyond start-up), and the whole command against
 * `kiln version` (start-up alone) and against kiss's way, `grep -lFx` over
 * every manifest.
 *
 * Run it: `deno run -A bench/owns.ts [PACKAGES] [FILES_PER_PACKAGE] [RUNS]`.
 *
 * @module
 */

import { loadConfig } from "../lib/config.ts";
import { findOwners } from "../lib/db/ownership.ts";
import { OwnerIndex, ownerIndexFile } from "../lib/db/owners.ts";
import { median } from "./install.ts";

/** Results, in milliseconds. */
export interface OwnsBench {
  readonly paths: number;
  readonly indexBytes: number;
  /** Building the index from every manifest (the first query after a change by another tool). */
  readonly build: number;
  /** `findOwners` in-process with a current index: stamp check, load, search. */
  readonly lookup: number[];
  /** `kiln owns PATH` as a process. */
  readonly command: number[];
  /** `kiln version` as a process (start-up). */
  readonly startup: number[];
  /** `grep -lFx PATH` over every manifest. */
  readonly grep: number[];
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Write `packages` installed packages of `files` files each into `root`; returns the path of one file and its owner. */
export function writeDatabase(root: string, packages: number, files: number): { path: string; owner: string } {
  const installed = `${root}/var/db/kiss/installed`;
  for (let p = 0; p < packages; p++) {
    const name = `pkg${String(p).padStart(4, "0")}`;
    const lines: string[] = [];
    for (let f = 0; f < files; f++) lines.push(`/usr/lib/${name}/d${f % 10}/f${String(f).padStart(4, "0")}.so`);
    for (let d = 0; d < 10; d++) lines.push(`/usr/lib/${name}/d${d}/`);
    lines.push(`/usr/lib/${name}/`, "/usr/lib/", "/usr/", `/var/db/kiss/installed/${name}/manifest`);
    lines.push(`/var/db/kiss/installed/${name}/`, "/var/db/kiss/installed/", "/var/db/kiss/", "/var/db/", "/var/");
    Deno.mkdirSync(`${installed}/${name}`, { recursive: true });
    Deno.writeTextFileSync(`${installed}/${name}/manifest`, lines.sort().reverse().join("\n") + "\n");
    Deno.writeTextFileSync(`${installed}/${name}/version`, "1 1\n");
  }
  const owner = `pkg${String(Math.floor(packages / 2)).padStart(4, "0")}`;
  const path = `/usr/lib/${owner}/d3/f0103.so`;
  Deno.mkdirSync(`${root}/usr/lib/${owner}/d3`, { recursive: true });
  Deno.writeTextFileSync(root + path, "");
  return { path, owner };
}

async function time(args: string[], env: Record<string, string>, expect?: string): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(args[0], { args: args.slice(1), env, stdin: "null" }).output();
  const ms = performance.now() - start;
  const text = new TextDecoder().decode(out.stdout);
  if (expect !== undefined && !text.includes(expect)) throw new Error(`${args.join(" ")} printed ${text}`);
  return ms;
}

/** Run the benchmark (see the module documentation). */
export async function benchOwns(packages = 1000, files = 200, runs = 7): Promise<OwnsBench> {
  const root = await Deno.makeTempDir({ prefix: "kiln-bench-owns-" });
  try {
    const { path, owner } = writeDatabase(root, packages, files);
    const config = loadConfig({ KISS_ROOT: root, HOME: root }, {}, root);
    let start = performance.now();
    OwnerIndex.load(config);
    const build = performance.now() - start;
    const lookup: number[] = [];
    for (let i = 0; i < runs; i++) {
      start = performance.now();
      const found = findOwners(config, path, "/");
      lookup.push(performance.now() - start);
      if (found.owners[0] !== owner) throw new Error(`owns found ${found.owners}`);
    }
    const env = { ...Deno.env.toObject(), KISS_ROOT: root, NO_COLOR: "1" };
    const deno = [Deno.execPath(), "run", "-A", "--quiet", MAIN];
    const command: number[] = [], startup: number[] = [], grep: number[] = [];
    const manifests = [...Deno.readDirSync(`${root}/var/db/kiss/installed`)].map((e) =>
      `${root}/var/db/kiss/installed/${e.name}/manifest`
    );
    for (let i = 0; i < runs; i++) {
      command.push(await time([...deno, "owns", path], env, owner));
      startup.push(await time([...deno, "version"], env));
      grep.push(await time(["grep", "-lFx", path, ...manifests], env, owner));
    }
    return {
      paths: packages * files,
      indexBytes: Deno.statSync(ownerIndexFile(config)).size,
      build,
      lookup,
      command,
      startup,
      grep,
    };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  const [packages, files, runs] = Deno.args.map(Number);
  const r = await benchOwns(packages || undefined, files || undefined, runs || undefined);
  const f = (xs: number[]) => `${median(xs).toFixed(1)} ms (runs: ${xs.map((x) => x.toFixed(1)).join(", ")})`;
  console.log(`database: ${r.paths} files, index ${(r.indexBytes / 1e6).toFixed(1)} MB`);
  console.log(`index build (first query)   ${r.build.toFixed(0)} ms`);
  console.log(`look-up in-process          ${f(r.lookup)}`);
  console.log(`kiln owns (process)         ${f(r.command)}`);
  console.log(`kiln version (start-up)     ${f(r.startup)}`);
  console.log(`owns beyond start-up        ${(median(r.command) - median(r.startup)).toFixed(1)} ms`);
  console.log(`grep -lFx over manifests    ${f(r.grep)}`);
}
