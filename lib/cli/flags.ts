/**
 * Reading the command line's flags: kiln's own small parser, with the rules
 * of `parseArgs` from `node:util` in its strict mode — which costs about
 * 7 ms of start-up to load, a seventh of a query's budget (SPEC §9).
 *
 * - `--name` sets a boolean flag; `--name=VALUE` or `--name VALUE` gives a
 *   string flag its value.
 * - `-x` is a short flag; booleans group (`-yq`); a short string flag takes
 *   the rest of its word or the next word (`-j4`, `-j 4`).
 * - Flags and operands mix in any order; `--` ends the flags, and `-` alone
 *   is an operand.
 * - An unknown flag, a value given to a boolean, or a string flag without a
 *   value is a {@linkcode FlagError} naming it.
 *
 * @module
 */

/** How one flag is read. */
export interface FlagSpec {
  readonly type: "boolean" | "string";
  /** A one-letter alias (`-j` for `--jobs`). */
  readonly short?: string;
}

/** The flags a command line may have, by long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** What was read: each flag given (`true` for booleans, the value for strings), and the operands in order. */
export interface ParsedFlags<S extends FlagSpecs> {
  readonly values: { [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean };
  readonly positionals: string[];
}

/** A command line the flags do not allow; the message names the flag. */
export class FlagError extends Error {}

/** Read `args` by `specs` (see the module documentation). */
export function parseFlags<S extends FlagSpecs>(args: readonly string[], specs: S): ParsedFlags<S> {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);
  const set = (name: string, shown: string, value: string | undefined, next: () => string | undefined) => {
    if (specs[name].type === "boolean") {
      if (value !== undefined) throw new FlagError(`option '${shown}' does not take a value`);
      values[name] = true;
      return;
    }
    const given = value ?? next();
    if (given === undefined) throw new FlagError(`option '${shown}' needs a value`);
    values[name] = given;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = () => (i + 1 < args.length ? args[++i] : undefined);
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (!Object.hasOwn(specs, name)) throw unknown(`--${name}`);
      set(name, `--${name}`, eq < 0 ? undefined : arg.slice(eq + 1), next);
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const name = byShort.get(arg[j]);
        if (name === undefined) throw unknown(`-${arg[j]}`);
        if (specs[name].type === "string") {
          set(name, `-${arg[j]}`, j + 1 < arg.length ? arg.slice(j + 1) : undefined, next);
          break;
        }
        set(name, `-${arg[j]}`, undefined, next);
      }
    } else {
      positionals.push(arg);
    }
  }
  return { values: values as ParsedFlags<S>["values"], positionals };
}

function unknown(flag: string): FlagError {
  return new FlagError(`unknown option '${flag}' (an operand starting with '-' goes after '--': -- ${flag})`);
}
