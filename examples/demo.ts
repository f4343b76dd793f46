/**
 * `deno task demo`: kiln at work on the example repository (examples/repo),
 * run as a subprocess the way a user runs it, against a fresh empty root and
 * cache in a temporary directory (removed at the end).
 *
 * Each step prints the command line and what kiln printed. The demo resolves
 * the example repository, builds it in the sandbox (`host` mode when run as
 * root on a distribution kiln does not manage, Landlock alone otherwise),
 * installs it into the empty root, runs the installed program against the
 * root's own library, lists, and removes.
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

/** Run a program installed in the demo's root with the root's libraries; resolves to its exit status. */
export async function runInstalled(
  world: DemoWorld,
  title: string,
  program: string,
  args: string[] = [],
): Promise<number> {
  const path = `${world.root}${program}`;
  console.log(`\n== ${title}\n$ LD_LIBRARY_PATH=${world.root}/usr/lib ${path}${args.map((a) => " " + a).join("")}`);
  try {
    const out = await new Deno.Command(path, {
      args,
      env: { LD_LIBRARY_PATH: `${world.root}/usr/lib` },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (out.code !== 0) console.log(`(exit status ${out.code})`);
    return out.code;
  } catch (err) {
    console.log(`(cannot run ${path}: ${(err as Error).message})`);
    return 1;
  }
}

async function main(): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix: "kiln-demo-" });
  const world: DemoWorld = {
    root: `${tmp}/root`,
    cache: `${tmp}/cache`,
    env: { KISS_PATH: REPO, KISS_ROOT: `${tmp}/root`, KISS_CACHE: `${tmp}/cache` },
  };
  console.log(`kiln demo: repository ${REPO}\n           root ${world.root} (empty), cache ${world.cache}`);
  let failed = 0;
  try {
    const steps: [string, string[] | ((title: string) => Promise<number>)][] = [
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
      ["build greet and motd in the sandbox and install them (-y: without asking)", ["build", "-y", "greet", "motd"]],
      [
        "greet, run against the root's own libgreet",
        (title) => runInstalled(world, title, "/usr/bin/greet"),
      ],
      ["installed packages", ["list"]],
      ["what greet installed", ["manifest", "greet"]],
      ["which package owns /usr/bin/greet", ["owns", "/usr/bin/greet"]],
      ["remove greet", ["-y", "remove", "greet"]],
      ["installed packages after the removal", ["list"]],
    ];
    for (const [title, what] of steps) {
      const status = typeof what === "function" ? await what(title) : await step(world, title, what);
      if (status !== 0) failed++;
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  console.log(failed === 0 ? "\ndemo finished" : `\ndemo finished: ${failed} step(s) failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
