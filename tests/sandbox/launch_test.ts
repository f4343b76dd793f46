/**
 * How the helper is started in each of the three ways kiln runs: from
 * source, as a single-file bundle, and as a `deno compile` executable.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { HELPER_COMMAND, helperCommand } from "../../lib/sandbox/launch.ts";

const top = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("from source, the helper is main.ts next to lib/, with the project's configuration", () => {
  const launch = helperCommand(new URL("../../lib/sandbox/launch.ts", import.meta.url).href, false);
  strictEqual(launch.command, Deno.execPath());
  deepStrictEqual(launch.args.slice(-3), [`--config=${top}/deno.json`, `${top}/main.ts`, HELPER_COMMAND]);
  ok(launch.args.includes("--no-check") && launch.args.includes("-A"));

  const elsewhere = helperCommand("file:///opt/kiln%20src/lib/sandbox/launch.ts", false);
  deepStrictEqual(elsewhere.args.slice(-3), ["--no-config", "/opt/kiln src/main.ts", HELPER_COMMAND]);
});

Deno.test("in a bundle, the helper is the bundle itself; compiled, it is the executable", () => {
  const bundle = helperCommand("file:///usr/share/kiln/kiln.js", false);
  deepStrictEqual(bundle.args.slice(-3), ["--no-config", "/usr/share/kiln/kiln.js", HELPER_COMMAND]);
  deepStrictEqual(helperCommand("file:///anything.ts", true), { command: Deno.execPath(), args: [HELPER_COMMAND] });
});

Deno.test("a single-file bundle runs its builds through itself", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-bundle-" });
  try {
    const lib = (path: string) => new URL(`../../lib/${path}`, import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/entry.ts`,
      `import { helperMain } from "${lib("sandbox/helper.ts")}";
import { runSandboxed } from "${lib("sandbox/run.ts")}";
import { Log, silent } from "${lib("log.ts")}";
if (Deno.args[0] === "${HELPER_COMMAND}") Deno.exit(helperMain(Deno.args.slice(1)));
const [work] = Deno.args;
const result = await runSandboxed({
  mode: "host", root: "/", argv: ["/bin/sh", "-c", "echo built by the bundle"], env: { PATH: "/usr/bin:/bin" },
  cwd: work + "/build", writable: [work + "/build"], packages: [], workDir: work + "/proc", logFile: work + "/log",
}, new Log(silent));
console.log(JSON.stringify(result));
`,
    );
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--no-config", "--quiet", "--output", `${dir}/kiln.js`, `${dir}/entry.ts`],
      stderr: "piped",
    }).output();
    strictEqual(bundled.code, 0, new TextDecoder().decode(bundled.stderr));
    await Deno.mkdir(`${dir}/build`);
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", `${dir}/kiln.js`, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    strictEqual(run.code, 0, new TextDecoder().decode(run.stderr));
    const result = JSON.parse(new TextDecoder().decode(run.stdout));
    strictEqual(result.code, 0);
    strictEqual(result.mode, "host");
    strictEqual(await Deno.readTextFile(`${dir}/log`), "built by the bundle\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
