/**
 * `KISS_HOOK`: the user's programs, called at kiss's events with kiss's
 * arguments.
 *
 * `KISS_HOOK` is a colon-separated list of programs; each is called as
 * `HOOK EVENT ARG…`, in list order:
 *
 * | event | arguments | when |
 * |---|---|---|
 * | `pre-source` | PKG SOURCE RESOLVED | before each source is fetched or found (SOURCE as written in `sources`, RESOLVED with its markers expanded) |
 * | `post-source` | PKG SOURCE PATH | after it: PATH is the file or checkout in the cache, or the local file or directory |
 * | `queue` | PKG N TOTAL | before each package of a build is built, N of TOTAL |
 * | `pre-extract` | PKG PKGDIR | before the sources are put into the build directory (packages with sources only) |
 * | `pre-build` | PKG BUILDDIR | before the `build` script runs |
 * | `build-fail` | PKG BUILDDIR | after the `build` script failed |
 * | `post-build` | PKG PKGDIR | after a successful build, the recipe copied into PKGDIR's database entry |
 * | `post-package` | PKG ARCHIVE | after the archive is written |
 * | `pre-install` | PKG ARCHIVE | before a package is installed (kiss passes its extracted copy; kiln never extracts one) |
 * | `post-install` | PKG DBDIR | after it is installed |
 * | `pre-remove` | PKG DBDIR | before a package is removed |
 * | `post-remove` | PKG ROOT | after it is removed |
 * | `pre-update` | N OWNER | before each repository is updated; N is 1 when OWNER is not the user running kiln |
 * | `post-update` | (none) | after it is updated |
 *
 * The update events run in the repository (working directory and `PWD`).
 * Hooks run with kiln's environment, outside any build sandbox, with standard
 * input from `/dev/null`; what they print goes to the log. A failing hook
 * stops the operation with an error that names the event, the program and its
 * exit status. One hook program runs at a time, even when sources are fetched
 * or packages built side by side (installs during a build take the hooks'
 * turn with {@linkcode withHookTurn}).
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { Log } from "./log.ts";
import { KilnError } from "./errors.ts";

/** The events kiln calls `KISS_HOOK` with. */
export type HookEvent =
  | "pre-source"
  | "post-source"
  | "queue"
  | "pre-extract"
  | "pre-build"
  | "build-fail"
  | "post-build"
  | "post-package"
  | "pre-install"
  | "post-install"
  | "pre-remove"
  | "post-remove"
  | "pre-update"
  | "post-update";

/** How one event is called. */
export interface HookCall {
  /** What the call is about, for messages (default: the first argument, the package). */
  readonly about?: string;
  /** The hooks' working directory (and `PWD`); kiln's own when not given. */
  readonly cwd?: string;
}

/** The programs of `KISS_HOOK`, in order. */
export function hookPrograms(config: Pick<Config, "hook">): string[] {
  return (config.hook ?? "").split(":").filter((h) => h !== "");
}

/** Whether any hook program is set. */
export function hasHooks(config: Pick<Config, "hook">): boolean {
  return hookPrograms(config).length > 0;
}

const decoder = new TextDecoder();

function logOutput(log: Log, bytes: Uint8Array): void {
  for (const line of decoder.decode(bytes).split("\n")) {
    if (line.trim() !== "") log.info(line);
  }
}

function command(config: Config, hook: string, event: HookEvent, args: readonly string[], call: HookCall) {
  const env = call.cwd === undefined ? config.env : { ...config.env, PWD: call.cwd };
  return new Deno.Command(hook, { args: [event, ...args], env, clearEnv: true, cwd: call.cwd, stdin: "null" });
}

function cannotRun(event: HookEvent, hook: string, err: unknown): KilnError {
  return new KilnError(`${event} hook '${hook}' could not run: ${(err as Error).message}`, {
    hint: "KISS_HOOK must list executable programs, separated by ':'",
    cause: err,
  });
}

/** Log what the hook printed; throw when it failed. */
function finish(
  log: Log,
  event: HookEvent,
  hook: string,
  args: readonly string[],
  call: HookCall,
  out: Deno.CommandOutput,
): void {
  logOutput(log, out.stdout);
  logOutput(log, out.stderr);
  if (out.success) return;
  const about = call.about ?? args[0];
  const how = out.signal ? `was killed by ${out.signal}` : `exited with status ${out.code}`;
  throw new KilnError(`${event} hook failed${about ? ` for ${about}` : ""}: '${hook}' ${how}`, {
    hint: "fix the hook, or remove it from KISS_HOOK",
  });
}

/** Hook programs started by {@linkcode runHook} run one after another, across callers. */
let turn: Promise<unknown> = Promise.resolve();

/**
 * Run `fn` in the hooks' turn: hooks called with {@linkcode runHook} meanwhile
 * wait until it is done. For work that calls {@linkcode runHookSync} while
 * other tasks may call hooks (an install in the middle of a parallel build).
 * `fn` must not wait for {@linkcode runHook} itself.
 */
export function withHookTurn<T>(fn: () => Promise<T>): Promise<T> {
  const done = turn.then(fn);
  turn = done.catch(() => {});
  return done;
}

/**
 * Call every `KISS_HOOK` program with `event` and `args`, one after another
 * (and never while another call of this function runs one). Throws
 * {@linkcode KilnError} when one cannot run or fails; the programs after it
 * are not called.
 */
export function runHook(
  config: Config,
  log: Log,
  event: HookEvent,
  args: readonly string[],
  call: HookCall = {},
): Promise<void> {
  const hooks = hookPrograms(config);
  if (hooks.length === 0) return Promise.resolve();
  const run = async () => {
    for (const hook of hooks) {
      log.debug(`running ${event} hook ${hook}`);
      let out: Deno.CommandOutput;
      try {
        out = await command(config, hook, event, args, call).output();
      } catch (err) {
        throw cannotRun(event, hook, err);
      }
      finish(log, event, hook, args, call, out);
    }
  };
  return withHookTurn(run);
}

/** {@linkcode runHook}, blocking until the hooks are done (for the synchronous install and update code). */
export function runHookSync(
  config: Config,
  log: Log,
  event: HookEvent,
  args: readonly string[],
  call: HookCall = {},
): void {
  for (const hook of hookPrograms(config)) {
    log.debug(`running ${event} hook ${hook}`);
    let out: Deno.CommandOutput;
    try {
      out = command(config, hook, event, args, call).outputSync();
    } catch (err) {
      throw cannotRun(event, hook, err);
    }
    finish(log, event, hook, args, call, out);
  }
}
