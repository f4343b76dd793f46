/**
 * Landlock-only mode runs unprivileged (kiln refuses it as root), so tests,
 * which run as root, run it as a real unprivileged user: `nobody` (uid and
 * gid 65534), switched to with `setpriv`, no supplementary groups and no
 * capabilities, running the same {@linkcode runScript} in a child process
 * (`unprivileged_run.ts`) that reports what it saw as JSON.
 *
 * @module
 */

/** The unprivileged user the tests switch to. */
export const NOBODY = 65534;

/** Hand `dir` and everything below it to the unprivileged user (the build writes there). */
export async function giveToNobody(dir: string): Promise<void> {
  const out = await new Deno.Command("chown", { args: ["-R", `${NOBODY}:${NOBODY}`, dir], stderr: "piped" }).output();
  if (!out.success) throw new Error(`chown -R ${dir}: ${new TextDecoder().decode(out.stderr)}`);
}

/** What the child reports. */
export interface ChildReport<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: { name: string; message: string; hint?: string };
}

/**
 * Run `unprivileged_run.ts` with `input` (JSON) as the unprivileged user and
 * return its report. The child's own failures (not the sandbox's) throw.
 */
export async function runAsNobody<T>(input: unknown): Promise<ChildReport<T>> {
  const driver = new URL("./unprivileged_run.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      "--quiet",
      `--config=${config}`,
      driver,
      JSON.stringify(input),
    ],
    env: { HOME: "/tmp", DENO_NO_UPDATE_CHECK: "1", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  try {
    return JSON.parse(text) as ChildReport<T>;
  } catch {
    throw new Error(
      `the unprivileged child failed (status ${out.code}): ${text}${new TextDecoder().decode(out.stderr)}`,
    );
  }
}
