/**
 * kiln — a source-based package manager for KISS Linux repositories.
 *
 * This file parses the command line and dispatches to a command; nothing else.
 *
 * @module
 */

import { COMMANDS, findCommand } from "./lib/cli/commands.ts";
import { loadConfig } from "./lib/config.ts";
import { KilnError, UsageError } from "./lib/errors.ts";
import { Log } from "./lib/log.ts";
import { TerminalRenderer } from "./lib/cli/render.ts";
import { runExtension } from "./lib/cli/extension.ts";
import { FlagError, type FlagSpecs, parseFlags } from "./lib/cli/flags.ts";
import { printableLines } from "./lib/text.ts";

/** The hidden sub-command the sandbox helper runs as (SPEC §7 step 1). */
const SANDBOX_HELPER = "__sandbox-helper";
/** The hidden sub-command that runs a package script confined to its root (SPEC §8). */
const SCRIPT_HELPER = "__script-helper";
/** The hidden sub-command of `kiln chroot`'s helper. */
const CHROOT_HELPER = "__chroot-helper";

const OPTIONS = {
  root: { type: "string" },
  "dry-run": { type: "boolean" },
  jobs: { type: "string", short: "j" },
  yes: { type: "boolean", short: "y" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  json: { type: "boolean" },
  offline: { type: "boolean" },
  force: { type: "boolean", short: "f" },
  from: { type: "string" },
  check: { type: "boolean" },
  "require-signed": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies FlagSpecs;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === SANDBOX_HELPER) {
    const { helperMain } = await import("./lib/sandbox/helper.ts");
    return helperMain(argv.slice(1));
  }
  if (argv[0] === SCRIPT_HELPER) {
    const { scriptHelperMain } = await import("./lib/sandbox/script_root.ts");
    return scriptHelperMain(argv.slice(1));
  }
  if (argv[0] === CHROOT_HELPER) {
    const { chrootHelperMain } = await import("./lib/maint/chroot.ts");
    return chrootHelperMain(argv.slice(1));
  }
  const first = argv.find((a) => !a.startsWith("-"));
  if (first !== undefined && argv[0] === first && !findCommand(first)) {
    return await runExtension(first, argv.slice(1)).catch(reportError);
  }

  const terminal = Deno.stderr.isTerminal();
  let renderer: TerminalRenderer | undefined;
  try {
    let parsed;
    try {
      parsed = parseFlags(argv, OPTIONS);
    } catch (err) {
      if (!(err instanceof FlagError)) throw err;
      throw new UsageError(err.message, "run 'kiln help' for the commands and flags");
    }
    const { values, positionals } = parsed;
    const [name = "help", ...args] = positionals;
    const found = findCommand(name);
    if (!found) {
      throw new UsageError(`unknown command '${name}'`, "run 'kiln help' for the list of commands");
    }
    if (values.jobs !== undefined && !/^[0-9]+$/.test(values.jobs)) {
      throw new UsageError(`-j ${values.jobs} is not a number of jobs`, "give -j a whole number of 1 or more");
    }
    const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
    const config = loadConfig(
      Deno.env.toObject(),
      {
        root: values.root,
        dryRun: values["dry-run"],
        jobs,
        yes: values.yes,
        quiet: values.quiet,
        verbose: values.verbose,
        json: values.json,
        offline: values.offline,
        force: values.force,
        from: values.from,
      },
      Deno.cwd(),
      terminal,
    );
    renderer = new TerminalRenderer({
      color: config.color,
      terminal,
      verbose: config.verbose,
      quiet: config.quiet,
      columns: terminal ? Deno.consoleSize().columns : 80,
    });
    const [fullName, spec] = values.help ? ["help", COMMANDS.help] : found;
    const encoder = new TextEncoder();
    // On a terminal, control characters in what is printed (file paths from manifests) are shown escaped.
    const outTerminal = Deno.stdout.isTerminal();
    const mod = await spec.load();
    const status = await mod.run({
      config,
      args: values.help ? [fullName === "help" ? name : fullName] : args,
      options: { check: values.check, "require-signed": values["require-signed"] },
      reporter: renderer,
      log: new Log(renderer),
      cwd: Deno.cwd(),
      out: (line) => {
        try {
          Deno.stdout.writeSync(encoder.encode((outTerminal ? printableLines(line) : line) + "\n"));
        } catch (err) {
          throw err instanceof Deno.errors.BrokenPipe ? new OutputClosed() : err;
        }
      },
    });
    renderer.close();
    return status ?? 0;
  } catch (err) {
    renderer?.close();
    return reportError(err);
  }
}

/** Standard output was closed before kiln was done writing to it (`kiln list | head`). */
class OutputClosed extends Error {}

/** The status of a program killed by SIGPIPE, which a shell reports for one whose reader went away. */
const OUTPUT_CLOSED_STATUS = 141;

function reportError(err: unknown): number {
  // Nothing to say: the reader of the output went away, as when a program is killed by SIGPIPE.
  if (err instanceof OutputClosed) return OUTPUT_CLOSED_STATUS;
  const color = Deno.stderr.isTerminal() && !Deno.env.get("NO_COLOR");
  const tag = color ? "\x1b[31m[ERROR]\x1b[0m" : "[ERROR]";
  const debug = !!Deno.env.get("KISS_DEBUG") && Deno.env.get("KISS_DEBUG") !== "0";
  if (err instanceof KilnError) {
    console.error(`${tag} ${printableLines(err.message)}`);
    if (err.hint) console.error(`        ${printableLines(err.hint)}`);
    if (debug) console.error(err.stack);
    return err.exitCode;
  }
  console.error(`${tag} ${printableLines(err instanceof Error ? err.message : String(err))}`);
  if (debug) console.error(err instanceof Error ? err.stack : err);
  else console.error("        this is a bug in kiln; run again with KISS_DEBUG=1 for the stack trace");
  return 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
