/**
 * Build one package (SPEC §6.3): sources into `<proc>/build/<pkg>`, the
 * `build` script run in the sandbox with its log, the recipe copied into the
 * package's database entry, ELF files stripped, dependencies fixed from
 * `DT_NEEDED`, `manifest` and `etcsums` written, and the archive
 * `<bin>/<pkg>@<version>-<release>.tar.<KISS_COMPRESS>` made.
 *
 * Layout of a run's work directory `<KISS_TMPDIR or cache/proc>/<pid>/`, as
 * kiss has it plus two directories of kiln's own:
 * `build/<pkg>/` (sources; the script's working directory), `pkg/<pkg>/`
 * (what the build installs), `script/<pkg>/build` (a copy of the recipe's
 * `build`, so that the sandbox needs to show only the run's own directories),
 * `sandbox/<pkg>/` (the sandbox's working directory: its sysroot).
 *
 * After the build script ran, the package directory is the build's: kiln's
 * own steps there (the database entry, `.la` removal, strip, `depends`,
 * manifest, the archive) go through its directory descriptor and follow
 * none of the links the build left (`pkgdir.ts`, `dbentry.ts`).
 *
 * `KISS_HOOK` programs (`lib/hooks.ts`) are called on the way, outside the
 * sandbox: `queue PKG N TOTAL`, `pre-extract PKG PKGDIR` (packages with
 * sources), `pre-build PKG BUILDDIR`, then `build-fail PKG BUILDDIR` (whose
 * own failure is only a warning: the build's failure is the error) or
 * `post-build PKG PKGDIR` and, once the archive is written,
 * `post-package PKG ARCHIVE`.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { KilnError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Recipe } from "../recipe/types.ts";
import { readInstalled } from "../db/installed_recipe.ts";
import { packDirectory } from "../archive/pack.ts";
import { runHook } from "../hooks.ts";
import { runSandboxed } from "../sandbox/run.ts";
import { removeWorkTree } from "./cleanup.ts";
import { copyPath } from "./copy.ts";
import { copyRecipe, writeDatabaseFiles } from "./dbentry.ts";
import { buildEnvironment } from "./env.ts";
import { sourceDateEpoch } from "./epoch.ts";
import { DB_PATH } from "./files.ts";
import { PackageDir } from "./pkgdir.ts";
import { fixDepends } from "./fixdeps.ts";
import { buildLogPath, lastLines } from "./logfile.ts";
import { stripPackage } from "./strip.ts";
import { unpackSources } from "./unpack.ts";

/** Lines of a failed build's log shown with the error. */
export const FAILURE_TAIL = 20;

/** What every build of one kiln run shares. */
export interface BuildRun {
  readonly config: Config;
  readonly log: Log;
  /** `<procDir>/<pid>`: this run's work directory. */
  readonly workDir: string;
  /** kiln's process id (names the work directory and the logs). */
  readonly pid: number;
  /** When the run started (names the logs). */
  readonly started: Date;
}

/** One package to build. */
export interface BuildJob {
  readonly recipe: Recipe;
  /** 1-based position in the plan. */
  readonly index: number;
  /** Packages in the plan. */
  readonly total: number;
}

/** A built package. */
export interface BuiltPackage {
  readonly name: string;
  /** The archive in the binary cache. */
  readonly archive: string;
  /** Dependencies added or promoted from the ELF files. */
  readonly addedDepends: readonly string[];
  /** The sandbox mode the build ran in. */
  readonly sandbox: string;
}

/** The directories of one package's build inside the run's work directory. */
export function buildDirs(workDir: string, name: string) {
  return {
    buildDir: `${workDir}/build/${name}`,
    pkgdir: `${workDir}/pkg/${name}`,
    scriptDir: `${workDir}/script/${name}`,
    sandboxDir: `${workDir}/sandbox/${name}`,
  };
}

/** The archive file name of a recipe: `<pkg>@<version>-<release>.tar.<ext>`. */
export function archiveName(recipe: Pick<Recipe, "name" | "version" | "release">, config: Config): string {
  return `${recipe.name}@${recipe.version}-${recipe.release}.tar.${config.compress}`;
}

/** Build `job.recipe` and write its archive into the binary cache. */
export async function buildPackage(job: BuildJob, run: BuildRun): Promise<BuiltPackage> {
  const { recipe } = job;
  const { config, log } = run;
  const dirs = buildDirs(run.workDir, recipe.name);
  const progressId = `build:${recipe.name}`;
  const label = `(${job.index}/${job.total}) ${recipe.name}`;
  log.info(`(${job.index}/${job.total}) building ${recipe.name}`);
  await runHook(config, log, "queue", [recipe.name, String(job.index), String(job.total)]);
  try {
    for (const d of [dirs.pkgdir, dirs.scriptDir, dirs.sandboxDir]) {
      await removeWorkTree(d, log);
    }
    await Deno.mkdir(`${dirs.pkgdir}/${DB_PATH}`, { recursive: true });
    await Deno.mkdir(dirs.scriptDir, { recursive: true });
    await Deno.mkdir(dirs.sandboxDir, { recursive: true });
    if (recipe.sources.length > 0) await runHook(config, log, "pre-extract", [recipe.name, dirs.pkgdir]);
    await unpackSources(recipe, dirs.buildDir, config, log);
    await runHook(config, log, "pre-build", [recipe.name, dirs.buildDir]);

    const epoch = await sourceDateEpoch(recipe, config.env);
    const script = `${dirs.scriptDir}/build`;
    await copyPath(`${recipe.dir}/build`, script, { dereference: true, within: recipe.dir });
    await Deno.chmod(script, 0o755);
    const logFile = buildLogPath(config.logsDir, recipe.name, run.started, run.pid);
    await Deno.mkdir(logFile.slice(0, logFile.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(logFile, new Uint8Array());

    log.progress({ id: progressId, phase: "build", label, done: 0 });
    const result = await runSandboxed({
      mode: config.sandbox,
      root: config.root,
      argv: [script, dirs.pkgdir, recipe.version],
      env: buildEnvironment(recipe, dirs, config, epoch),
      cwd: dirs.buildDir,
      writable: [dirs.buildDir, dirs.pkgdir],
      readable: [dirs.scriptDir],
      packages: declaredClosure(recipe, config),
      workDir: dirs.sandboxDir,
      logFile,
      onLine: (line) => log.progress({ id: progressId, phase: "build", label, done: 0, detail: line.slice(0, 200) }),
      limits: config.sandboxLimits,
    }, log);
    log.done(progressId);
    if (result.code !== 0) {
      try {
        await runHook(config, log, "build-fail", [recipe.name, dirs.buildDir]);
      } catch (err) {
        log.warn((err as Error).message);
      }
      const tail = await lastLines(logFile, FAILURE_TAIL);
      throw new KilnError(
        `build of ${recipe.name} failed (exit status ${result.code})` +
          result.limitsReached.map((sentence) => `; ${sentence}`).join("") +
          (tail.length > 0 ? `; last lines of its log:\n${tail.map((l) => `  ${l}`).join("\n")}` : ""),
        { hint: `the full log is ${logFile}` },
      );
    }
    if (!config.keepLog) await Deno.remove(logFile).catch(() => {});
    log.info(`successfully built ${recipe.name}`);

    // From here on the package directory is the build's: every step reads and
    // writes it through descriptors and follows none of its links (pkgdir.ts).
    await withPackageDir(dirs.pkgdir, (pkg) => copyRecipe(pkg, recipe.name, recipe.dir));
    await runHook(config, log, "post-build", [recipe.name, dirs.pkgdir]);
    await stripPackage(dirs.pkgdir, recipe.dir, config, log);
    const fixed = await fixDepends({ pkgdir: dirs.pkgdir, name: recipe.name, config, log });
    await withPackageDir(dirs.pkgdir, (pkg) => writeDatabaseFiles(pkg, recipe.name, log));

    await Deno.mkdir(config.binDir, { recursive: true });
    const archive = `${config.binDir}/${archiveName(recipe, config)}`;
    await packDirectory(dirs.pkgdir, archive, { compression: config.compress, sourceDateEpoch: epoch });
    log.info(`created package ${archiveName(recipe, config)}`);
    await runHook(config, log, "post-package", [recipe.name, archive]);
    if (!config.debug) {
      for (const d of Object.values(dirs)) await removeWorkTree(d, log);
    }
    return {
      name: recipe.name,
      archive,
      addedDepends: [...fixed.added, ...fixed.promoted],
      sandbox: result.mode,
    };
  } finally {
    log.done(progressId);
  }
}

async function withPackageDir<T>(path: string, fn: (pkg: PackageDir) => T | Promise<T>): Promise<T> {
  using pkg = PackageDir.open(path);
  return await fn(pkg);
}

/**
 * The packages a build may see in a hermetic sysroot: its `depends` (make
 * ones included) and, through the installed database, their runtime
 * dependencies, transitively. Names not installed are left out.
 */
export function declaredClosure(recipe: Recipe, config: Config): string[] {
  const seen = new Set<string>();
  const queue = recipe.depends.map((d) => d.name);
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name) || name === recipe.name) continue;
    const installed = readInstalled(config, name);
    if (installed === undefined) continue;
    seen.add(name);
    for (const d of installed.depends) if (!d.make) queue.push(d.name);
  }
  return [...seen].sort();
}
