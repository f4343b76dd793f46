/**
 * `deno task demo`: kiln at work on the example repository (examples/repo),
 * run as a subprocess the way a user runs it, against a fresh empty root and
 * cache in a temporary directory (removed at the end).
 *
 * Each step prints the command line and what kiln printed.
 *
 * @module
 */

const HERE = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
const PROJECT = HERE.slice(0, HERE.lastIndexOf("/"));
const REPO = `${HERE}/repo`;

/** Where the demo works: an empty root and cache, and the example repository. */
export interface DemoWorld {
  readonly root: string;
  readonly cache: string;
  readonly env: Record<string, string>;
}

/** Run `kiln ARGS…` in `world`, echoing the command and its output; resolves to the exit status. */
export async function step(world: DemoWorld, title: string, args: string[]): Promise<number> {
  console.log(`\n== ${title}\n$ kiln ${args.join(" ")}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--config=${PROJECT}/deno.json`, `${PROJECT}/main.ts`, ...args],
    env: world.env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (out.code !== 0) console.log(`(exit status ${out.code})`);
  return out.code;
}

async function main(): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix: "kiln-demo-" });
  const world: DemoWorld = {
    root: `${tmp}/root`,
    cache: `${tmp}/cache`,
    env: { KISS_PATH: REPO, KISS_ROOT: `${tmp}/root`, KISS_CACHE: `${tmp}/cache`, KISS_PROMPT: "0" },
  };
  console.log(`kiln demo: repository ${REPO}\n           root ${world.root} (empty), cache ${world.cache}`);
  let failed = 0;
  try {
    const steps: [string, string[]][] = [
      ["kiln's version", ["version"]],
      ["every package of the repository", ["search", "*"]],
      ["what greet depends on", ["depends", "greet"]],
      ["the build order for greet and motd (libgreet comes in as a dependency)", [
        "build",
        "--dry-run",
        "greet",
        "motd",
      ]],
      ["the same plan as JSON", ["--json", "build", "--dry-run", "greet"]],
      ["installed packages (none yet)", ["list"]],
    ];
    for (const [title, args] of steps) if ((await step(world, title, args)) !== 0) failed++;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  console.log(failed === 0 ? "\ndemo finished" : `\ndemo finished: ${failed} step(s) failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
