/**
 * kiln's configuration: the environment (with kiss's meanings) and the global
 * command-line flags, read once into one immutable {@linkcode Config}.
 *
 * Every other module takes the values it needs from a `Config`; nothing else
 * reads `Deno.env`. Paths follow SPEC §3.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** The two KISS recipe dialects (SPEC §2). */
export type Dialect = "classic" | "community";

/** Sandbox modes (SPEC §7). */
export type SandboxMode = "auto" | "hermetic" | "host" | "landlock" | "none";

/** Compression formats of package archives (KISS_COMPRESS). */
export type Compression = "zst" | "gz" | "bz2" | "xz" | "lz" | "lzma";

/** Bounds on every build (SPEC §7 step 7): see {@linkcode parseSandboxLimits}. */
export interface SandboxLimits {
  /** `KISS_PIDS_MAX`: processes (and threads) a build may have at once. */
  readonly pids: number;
  /** `KISS_MEMORY_MAX`: a size or a percentage of the machine's memory; undefined: no bound. */
  readonly memory?: string;
  /** `KISS_TMPFS_SIZE`: the size of each of the build's `/tmp` and `/dev/shm`, in tmpfs's syntax. */
  readonly tmpfsSize: string;
}

/** Default `KISS_PIDS_MAX`. */
export const DEFAULT_PIDS_MAX = 4096;
/** Default `KISS_TMPFS_SIZE`: a quarter of the machine's memory for each of `/tmp` and `/dev/shm`. */
export const DEFAULT_TMPFS_SIZE = "25%";

const SIZE = /^(\d+)([kmgt]?)$/i;
const PERCENT = /^(\d+)%$/;

function checkSize(name: string, value: string): void {
  const percent = value.match(PERCENT);
  const size = value.match(SIZE);
  const ok = percent ? Number(percent[1]) >= 1 && Number(percent[1]) <= 100 : size !== null && Number(size[1]) > 0;
  if (!ok) {
    throw new UsageError(
      `${name}=${value} is not a size`,
      `give ${name} a number of bytes with an optional k, m, g or t (e.g. 4g), or a percentage of the machine's ` +
        "memory from 1% to 100% (e.g. 25%)",
    );
  }
}

/**
 * `size` (`4g`, `512m`, `25%`, as {@linkcode SandboxLimits} holds them) in
 * bytes, a percentage taken of `totalMemory`.
 */
export function sizeInBytes(size: string, totalMemory: number): number {
  const percent = size.match(PERCENT);
  if (percent) return Math.floor(totalMemory * Number(percent[1]) / 100);
  const m = size.match(SIZE);
  if (!m) throw new Error(`not a size: ${size}`);
  return Number(m[1]) * 1024 ** "_kmgt".indexOf((m[2] || "_").toLowerCase());
}

/**
 * The build bounds from `KISS_PIDS_MAX` (default {@linkcode DEFAULT_PIDS_MAX}),
 * `KISS_MEMORY_MAX` (default none; `max` or `0` for none) and
 * `KISS_TMPFS_SIZE` (default {@linkcode DEFAULT_TMPFS_SIZE}). Throws
 * {@linkcode UsageError} naming the variable for a value that is not one.
 */
export function parseSandboxLimits(env: Readonly<Record<string, string | undefined>>): SandboxLimits {
  const pidsText = env.KISS_PIDS_MAX || String(DEFAULT_PIDS_MAX);
  const pids = Number(pidsText);
  if (!/^\d+$/.test(pidsText) || pids < 16 || pids > 4194304) {
    throw new UsageError(
      `KISS_PIDS_MAX=${pidsText} is not a number of processes`,
      "give KISS_PIDS_MAX a whole number from 16 to 4194304",
    );
  }
  const memoryText = env.KISS_MEMORY_MAX || undefined;
  const memory = memoryText === undefined || memoryText === "max" || memoryText === "0" ? undefined : memoryText;
  if (memory !== undefined) checkSize("KISS_MEMORY_MAX", memory);
  const tmpfsSize = env.KISS_TMPFS_SIZE || DEFAULT_TMPFS_SIZE;
  checkSize("KISS_TMPFS_SIZE", tmpfsSize);
  return { pids, memory, tmpfsSize };
}

/** Global flags given on the command line. */
export interface Flags {
  root?: string;
  dryRun?: boolean;
  jobs?: number;
  yes?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
  offline?: boolean;
  force?: boolean;
  from?: string;
}

/** Everything kiln needs to know about where and how to work. */
export interface Config {
  /** The root being managed (`KISS_ROOT` or `--root`, default `/`), absolute. */
  readonly root: string;
  /** `KISS_PATH` entries, in search order, absolute; empty entries dropped. */
  readonly kissPath: readonly string[];
  /** `<root>/var/db/kiss`. */
  readonly dbRoot: string;
  /** `<root>/var/db/kiss/installed`. */
  readonly installedDir: string;
  /** `<root>/var/db/kiss/choices`. */
  readonly choicesDir: string;
  /** Cache directory: `KISS_CACHE`, `$XDG_CACHE_HOME/kiss` or `~/.cache/kiss`. */
  readonly cacheDir: string;
  /** `<cache>/sources`. */
  readonly sourcesDir: string;
  /** `<cache>/bin`. */
  readonly binDir: string;
  /** `<cache>/logs`. */
  readonly logsDir: string;
  /** Where `proc/<pid>` build directories go (`KISS_TMPDIR` or `<cache>/proc`). */
  readonly procDir: string;
  /** `KISS_DIALECT` override, if any. */
  readonly dialect?: Dialect;
  /** `KISS_COMPRESS` (default `zst`). */
  readonly compress: Compression;
  /** `KISS_SANDBOX` (default `auto`). */
  readonly sandbox: SandboxMode;
  /** `KISS_PIDS_MAX`, `KISS_MEMORY_MAX`, `KISS_TMPFS_SIZE`: bounds on every build. */
  readonly sandboxLimits: SandboxLimits;
  /** `KISS_DEBUG=1`: keep build directories, print debug lines and stacks. */
  readonly debug: boolean;
  /** `KISS_FORCE=1` or `--force`: skip dependency and reverse-dependency checks. */
  readonly force: boolean;
  /** Ask before acting: false with `KISS_PROMPT=0` or `-y`. */
  readonly prompt: boolean;
  /** `KISS_KEEPLOG=1`: keep build logs of successful builds. */
  readonly keepLog: boolean;
  /** Strip ELF files after a build: false with `KISS_STRIP=0`. */
  readonly strip: boolean;
  /** `KISS_HOOK`: a program called at each hook event. */
  readonly hook?: string;
  /** `KISS_CHOICE=1`: move conflicting files into `choices/` instead of refusing. */
  readonly choice: boolean;
  /** Colour on the terminal (`KISS_COLOR`, `NO_COLOR`). */
  readonly color: boolean;
  /** `--dry-run`: print the plan, change nothing. */
  readonly dryRun: boolean;
  /** `-j N`: builds and downloads at once. */
  readonly jobs: number;
  /** `-q`. */
  readonly quiet: boolean;
  /** `-v` or `KISS_DEBUG`. */
  readonly verbose: boolean;
  /** `--json` on queries. */
  readonly json: boolean;
  /** `--offline`: any network access is an error. */
  readonly offline: boolean;
  /** `--from DIR`: a directory of package archives to install from. */
  readonly from?: string;
  /** The environment kiln was started with (build variables pass through from here). */
  readonly env: Readonly<Record<string, string>>;
}

const COMPRESSIONS: readonly Compression[] = ["zst", "gz", "bz2", "xz", "lz", "lzma"];
const SANDBOX_MODES: readonly SandboxMode[] = ["auto", "hermetic", "host", "landlock", "none"];

function absolute(path: string, cwd: string): string {
  if (path.startsWith("/")) return normalize(path);
  return normalize(`${cwd}/${path}`);
}

/** Collapse `//`, `/./` and `/x/../` without touching the filesystem. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0";
}

/**
 * Build the configuration from an environment and the parsed global flags.
 * Pure: takes everything as arguments, so tests can make any configuration.
 */
export function loadConfig(
  env: Readonly<Record<string, string>>,
  flags: Flags = {},
  cwd = "/",
  isTerminal = false,
): Config {
  const root = absolute(flags.root ?? (env.KISS_ROOT || "/"), cwd);
  const kissPath = (env.KISS_PATH ?? "").split(":").filter((p) => p !== "").map((p) => absolute(p, cwd));
  const home = env.HOME || "/root";
  const cacheDir = absolute(
    env.KISS_CACHE || (env.XDG_CACHE_HOME ? `${env.XDG_CACHE_HOME}/kiss` : `${home}/.cache/kiss`),
    cwd,
  );
  const dbRoot = normalize(`${root}/var/db/kiss`);

  const dialect = env.KISS_DIALECT || undefined;
  if (dialect !== undefined && dialect !== "classic" && dialect !== "community") {
    throw new UsageError(
      `KISS_DIALECT=${dialect} is not a dialect`,
      "set KISS_DIALECT to classic or community, or unset it",
    );
  }
  const compress = (env.KISS_COMPRESS || "zst") as Compression;
  if (!COMPRESSIONS.includes(compress)) {
    throw new UsageError(
      `KISS_COMPRESS=${compress} is not a known compression`,
      `use one of: ${COMPRESSIONS.join(" ")}`,
    );
  }
  const sandbox = (env.KISS_SANDBOX || "auto") as SandboxMode;
  if (!SANDBOX_MODES.includes(sandbox)) {
    throw new UsageError(`KISS_SANDBOX=${sandbox} is not a sandbox mode`, `use one of: ${SANDBOX_MODES.join(" ")}`);
  }
  const jobs = flags.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new UsageError(`-j ${flags.jobs} is not a number of jobs`, "give -j a whole number of 1 or more");
  }

  let color = isTerminal;
  if (env.KISS_COLOR === "0" || env.KISS_COLOR === "never") color = false;
  if (env.KISS_COLOR === "1" || env.KISS_COLOR === "always") color = true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") color = false;

  const debug = truthy(env.KISS_DEBUG);
  const sandboxLimits = Object.freeze(parseSandboxLimits(env));
  return Object.freeze({
    root,
    kissPath: Object.freeze(kissPath),
    dbRoot,
    installedDir: `${dbRoot}/installed`,
    choicesDir: `${dbRoot}/choices`,
    cacheDir,
    sourcesDir: `${cacheDir}/sources`,
    binDir: `${cacheDir}/bin`,
    logsDir: `${cacheDir}/logs`,
    procDir: env.KISS_TMPDIR ? absolute(env.KISS_TMPDIR, cwd) : `${cacheDir}/proc`,
    dialect: dialect as Dialect | undefined,
    compress,
    sandbox,
    sandboxLimits,
    debug,
    force: truthy(env.KISS_FORCE) || !!flags.force,
    prompt: env.KISS_PROMPT !== "0" && !flags.yes,
    keepLog: truthy(env.KISS_KEEPLOG),
    strip: env.KISS_STRIP !== "0",
    hook: env.KISS_HOOK || undefined,
    choice: truthy(env.KISS_CHOICE),
    color,
    dryRun: !!flags.dryRun,
    jobs,
    quiet: !!flags.quiet,
    verbose: !!flags.verbose || debug,
    json: !!flags.json,
    offline: !!flags.offline,
    from: flags.from === undefined ? undefined : absolute(flags.from, cwd),
    env: Object.freeze({ ...env }),
  });
}
