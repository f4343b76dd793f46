/**
 * `kiln lint [PKG…|DIR…]`: check recipes without building them. Each
 * finding is printed as `FILE:LINE: ID: message` (compilers' form, so that
 * editors jump to it); `--json` prints them as an array. Exit status 1 when
 * any finding is an error. A `DIR` is a package directory, or a repository
 * whose package directories are all linted; with no argument, the current
 * directory (a package or a repository).
 *
 * @module
 */

import type { CommandContext } from "../context.ts";
import type { Dependency } from "../../recipe/types.ts";
import { KilnError, UsageError } from "../../errors.ts";
import { isDirectory, isFile } from "../../fs_queries.ts";
import { isPackageName } from "../../recipe/names.ts";
import { readDepends } from "../../recipe/depends.ts";
import { Repositories } from "../../repo/repositories.ts";
import { findCycles, type Finding, type LintedPackage, lintPackage } from "../../maint/lint.ts";
import { linkedMakeDepends } from "../../maint/lint_linked.ts";
import { RULES, rulesOff } from "../../maint/lint_rules.ts";

function isPackageDir(dir: string): boolean {
  return isFile(`${dir}/version`) || isFile(`${dir}/build`);
}

/** The package directories of a repository directory, sorted. */
function packagesIn(repo: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(repo)) {
    if (isPackageName(entry.name) && isDirectory(`${repo}/${entry.name}`)) out.push(`${repo}/${entry.name}`);
  }
  return out.sort();
}

function absolute(path: string, cwd: string): string {
  return (path.startsWith("/") ? path : `${cwd}/${path}`).replace(/\/+$/, "") || "/";
}

/** The package directories the arguments name. */
function targets(ctx: CommandContext, repos: Repositories): string[] {
  const args = ctx.args.length > 0 ? ctx.args : ["."];
  const dirs: string[] = [];
  for (const arg of args) {
    const path = absolute(arg, ctx.cwd);
    if (arg.includes("/") || arg === "." || arg === ".." || (!isPackageName(arg) && isDirectory(path))) {
      if (!isDirectory(path)) throw new UsageError(`${arg}: no such directory`, "name a package or a directory");
      dirs.push(...(isPackageDir(path) ? [path] : packagesIn(path)));
      continue;
    }
    const found = repos.locate(arg);
    if (!found) throw repos.notFound(arg);
    dirs.push(found.dir);
  }
  return dirs;
}

/** Lint the named packages and directories; print the findings. */
export function run(ctx: CommandContext): Promise<number> {
  const { config } = ctx;
  let off: Set<string>;
  try {
    off = rulesOff(Deno.env.get("KISS_LINT_OFF"));
  } catch (err) {
    throw new UsageError((err as Error).message, `the rules: ${Object.values(RULES).map((r) => r.id).join(" ")}`);
  }
  const repos = new Repositories(config);
  const known = new Set<string>();
  for (const repo of config.kissPath) {
    try {
      for (const e of Deno.readDirSync(repo)) if (isPackageName(e.name)) known.add(e.name);
    } catch {
      // a KISS_PATH entry that does not exist holds nothing
    }
  }
  const dirs = targets(ctx, repos);
  // The packages linted are known too, wherever they are.
  for (const dir of dirs) known.add(dir.slice(dir.lastIndexOf("/") + 1));

  const findings: Finding[] = [];
  const linted: LintedPackage[] = [];
  for (const dir of dirs) {
    const { findings: own, pkg } = lintPackage(dir, { known: (n) => known.has(n), off, dialect: config.dialect });
    findings.push(...own);
    linted.push(pkg);
    if (!off.has(RULES.makeLinked.id)) {
      for (const dep of linkedMakeDepends(config.installedDir, pkg.name, pkg.depends)) {
        findings.push({
          file: `${dir}/depends`,
          line: dep.line,
          id: RULES.makeLinked.id,
          rule: RULES.makeLinked.name,
          severity: RULES.makeLinked.severity,
          message: `the installed ${pkg.name} links to libraries of ${dep.name}: drop 'make' from this line`,
        });
      }
    }
  }
  const cache = new Map<string, readonly Dependency[]>();
  const dependsOf = (name: string): readonly Dependency[] => {
    let deps = cache.get(name);
    if (deps === undefined) {
      const found = repos.locate(name);
      try {
        deps = found ? readDepends(found.dir) : [];
      } catch (err) {
        if (!(err instanceof KilnError)) throw err;
        deps = [];
      }
      cache.set(name, deps);
    }
    return deps;
  };
  findings.push(...findCycles(linted, dependsOf, off));

  if (config.json) ctx.out(JSON.stringify(findings, null, 2));
  else {
    for (const f of findings) ctx.out(`${f.file}${f.line === undefined ? "" : `:${f.line}`}: ${f.id}: ${f.message}`);
  }
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  ctx.log.info(`lint: ${dirs.length} package(s), ${errors} error(s), ${warnings} warning(s)`);
  return Promise.resolve(errors > 0 ? 1 : 0);
}
