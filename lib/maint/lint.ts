/**
 * `kiln lint`: check recipes for what breaks builds or makes them unsafe or
 * unreproducible, without building anything. Each package directory is read
 * once, with the same parsers a build uses; what a parser refuses becomes a
 * finding (with the parser's file and line) instead of an error, so that one
 * run reports everything. The rules are in `lint_rules.ts`.
 *
 * @module
 */

import type { Dialect } from "../config.ts";
import type { Dependency, Source } from "../recipe/types.ts";
import { RecipeError } from "../errors.ts";
import { type ChecksumLine, checksumsDialect, parseChecksums } from "../recipe/checksums.ts";
import { parseDepends } from "../recipe/depends.ts";
import { isPackageName } from "../recipe/names.ts";
import { needsChecksum, parseSources } from "../recipe/sources.ts";
import { parseVersion } from "../recipe/version.ts";
import { type RuleKey, RULES, type Severity } from "./lint_rules.ts";

/** One problem found. */
export interface Finding {
  /** The file at fault (absolute). */
  readonly file: string;
  /** 1-based line, when one line is at fault. */
  readonly line?: number;
  /** The rule's ID (`E01`, `W02`…). */
  readonly id: string;
  /** The rule's name. */
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
}

/** What a package's lint needs from outside the package. */
export interface LintContext {
  /** Whether a name is a package of some repository of `KISS_PATH`. */
  known(name: string): boolean;
  /** Rule IDs turned off. */
  readonly off: ReadonlySet<string>;
  /** The dialect when `KISS_DIALECT` forces one. */
  readonly dialect?: Dialect;
}

/** The parsed parts of one package that the cross-package rules need. */
export interface LintedPackage {
  readonly name: string;
  readonly dir: string;
  /** `depends`, when it could be read. */
  readonly depends: readonly Dependency[];
}

/** Files a recipe directory holds besides what `sources` names. */
const RECIPE_FILES = new Set([
  "build",
  "version",
  "sources",
  "checksums",
  "depends",
  "post-install",
  "pre-remove",
  "manifest",
  "etcsums",
  "meta",
  "nostrip",
  "README",
  "README.md",
]);

/** Text files checked for CR LF and trailing blanks. */
const TEXT_FILES = ["build", "version", "sources", "checksums", "depends", "post-install", "pre-remove"];

/** The version markers of the classic dialect. */
const MARKERS = /(?<!\\)\b(VERSION|RELEASE|MAJOR|MINOR|PATCH|IDENT|PACKAGE)\b/;

/** Collects findings, leaving out rules that are turned off. */
class Findings {
  readonly list: Finding[] = [];
  constructor(readonly off: ReadonlySet<string>) {}

  add(key: RuleKey, file: string, line: number | undefined, message: string): void {
    const rule = RULES[key];
    if (this.off.has(rule.id)) return;
    this.list.push({ file, line, id: rule.id, rule: rule.name, severity: rule.severity, message });
  }
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The top-level entries of a package directory, listed once, and its files read on demand. */
class RecipeDir {
  readonly entries: Deno.DirEntry[];
  readonly #names: Set<string>;
  readonly #texts = new Map<string, string | undefined>();
  constructor(readonly path: string) {
    try {
      this.entries = [...Deno.readDirSync(path)];
    } catch {
      this.entries = [];
    }
    this.#names = new Set(this.entries.map((e) => e.name));
  }
  has(name: string): boolean {
    return this.#names.has(name);
  }
  /** The text of a top-level file, or `undefined` when there is none (no failed look-up for missing files). */
  read(name: string): string | undefined {
    if (!this.#names.has(name)) return undefined;
    if (!this.#texts.has(name)) this.#texts.set(name, readText(`${this.path}/${name}`));
    return this.#texts.get(name);
  }
}

/** Run `parse`, turning a `RecipeError` into a finding of rule `key`. */
function attempt<T>(found: Findings, key: RuleKey, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    found.add(key, err.file, err.line, bare(err) + (err.hint ? ` (${err.hint})` : ""));
    return undefined;
  }
}

/** The message of a `RecipeError` without its `FILE:LINE: ` prefix. */
function bare(err: RecipeError): string {
  const prefix = err.line === undefined ? `${err.file}: ` : `${err.file}:${err.line}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

function checkBuild(found: Findings, recipe: RecipeDir): void {
  const file = `${recipe.path}/build`;
  const info = recipe.has("build") ? lstat(file) : undefined;
  if (!info) return found.add("buildMissing", file, undefined, "missing: every package needs a build script");
  let stat = info;
  if (info.isSymlink) {
    try {
      stat = Deno.statSync(file);
    } catch {
      return found.add("buildMissing", file, undefined, "a symbolic link to nothing");
    }
  }
  if (!stat.isFile) return found.add("buildMissing", file, undefined, "not a regular file");
  if (((stat.mode ?? 0) & 0o111) === 0) {
    found.add("buildNotExecutable", file, undefined, "not executable: run 'chmod +x build'");
  }
  const text = recipe.read("build") ?? "";
  if (!text.startsWith("#!")) {
    found.add("buildShebang", file, 1, "no '#!' line: start the script with '#!/bin/sh -e'");
  }
  checkIndent(found, file, text);
}

/** Tabs where most indented lines use spaces, or the reverse (here-documents aside). */
function checkIndent(found: Findings, file: string, text: string): void {
  const lines = text.split("\n");
  let tabs = 0, spaces = 0;
  for (const line of lines) {
    if (line.startsWith("\t")) tabs++;
    else if (line.startsWith(" ")) spaces++;
  }
  if (tabs === 0 || spaces === 0) return;
  const odd = tabs < spaces ? "\t" : " ";
  const usual = odd === "\t" ? "spaces" : "tabs";
  lines.forEach((line, i) => {
    if (line.startsWith(odd) && line.trim() !== "") {
      found.add(
        "mixedIndent",
        file,
        i + 1,
        `indented with ${odd === "\t" ? "a tab" : "spaces"}; the rest uses ${usual}`,
      );
    }
  });
}

function checkText(found: Findings, recipe: RecipeDir): void {
  for (const name of TEXT_FILES) {
    const file = `${recipe.path}/${name}`;
    const text = recipe.read(name);
    if (text === undefined) continue;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      if (line.endsWith("\r")) {
        found.add("crlf", file, i + 1, "the line ends with CR LF: use LF line ends");
        line = line.slice(0, -1);
      }
      if (/[ \t]$/.test(line)) found.add("trailingBlank", file, i + 1, "blanks at the end of the line");
    }
  }
}

function checkSources(
  found: Findings,
  recipe: RecipeDir,
  name: string,
  version: { version: string; release: string },
  checksums: readonly ChecksumLine[] | undefined,
  ctx: LintContext,
): Source[] | undefined {
  const dir = recipe.path;
  const file = `${dir}/sources`;
  const text = recipe.read("sources");
  if (text === undefined) return [];
  let hashed: Dialect | undefined;
  try {
    hashed = checksums ? checksumsDialect(checksums, `${dir}/checksums`) : undefined;
  } catch {
    // mixed hashes: reported by the checksums rule
  }
  const dialect: Dialect = ctx.dialect ?? hashed ?? "community";
  const sources = attempt(found, "sources", () => parseSources(text, file, { dir, name, ...version, dialect }));
  if (!sources) return undefined;
  for (const source of sources) {
    if (source.kind === "remote" && source.url.startsWith("http://")) {
      found.add(
        "sourceHttp",
        file,
        source.line,
        `${source.url} is fetched without TLS: use https:// if the host has it`,
      );
    }
    if (source.kind === "git" && source.commit === undefined) {
      found.add(
        "gitUnpinned",
        file,
        source.line,
        `git source ${source.url} is not pinned: append '#COMMIT' so that the same recipe gives the same source`,
      );
    }
    if (source.kind === "local" && lstat(source.url) === undefined) {
      found.add("sourceMissing", file, source.line, `'${source.word}' does not exist in ${dir}`);
    }
    if (dialect === "community" && hashed === "community" && MARKERS.test(source.word)) {
      found.add(
        "dialect",
        file,
        source.line,
        `'${source.word}' has a version marker, but BLAKE3 checksums make this a community recipe, ` +
          "where sources are literal: write the version out",
      );
    }
  }
  return sources;
}

function checkChecksumCount(found: Findings, dir: string, sources: readonly Source[], sums: readonly ChecksumLine[]) {
  const files = sources.filter(needsChecksum).length;
  if (files === sums.length || (files === 0 && sums.length > 0)) return;
  found.add(
    "checksumCount",
    `${dir}/checksums`,
    undefined,
    `${sums.length} checksum(s) for ${files} file source(s): run 'kiln checksum'`,
  );
}

/** Every file under the recipe directory that is not a recipe file, relative to it. */
function recipeContents(recipe: RecipeDir, rel = ""): string[] {
  const out: string[] = [];
  const dir = recipe.path;
  let entries: Deno.DirEntry[];
  try {
    entries = rel === "" ? recipe.entries : [...Deno.readDirSync(`${dir}/${rel}`)];
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (rel === "" && (RECIPE_FILES.has(entry.name) || entry.name.startsWith("."))) continue;
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory) out.push(...recipeContents(recipe, path));
    else out.push(path);
  }
  return out;
}

function checkUnused(found: Findings, recipe: RecipeDir, sources: readonly Source[]): void {
  const dir = recipe.path;
  const named = sources.filter((s) => s.kind === "local" && s.url.startsWith(`${dir}/`))
    .map((s) => s.url.slice(dir.length + 1).replace(/\/+$/, ""));
  for (const path of recipeContents(recipe)) {
    if (named.some((n) => path === n || path.startsWith(`${n}/`))) continue;
    found.add("fileUnused", `${dir}/${path}`, undefined, "no line of sources names this file: remove it or add it");
  }
}

function checkDepends(found: Findings, recipe: RecipeDir, name: string, ctx: LintContext): Dependency[] {
  const file = `${recipe.path}/depends`;
  const text = recipe.read("depends");
  if (text === undefined) return [];
  const depends = attempt(found, "depends", () => parseDepends(text, file)) ?? [];
  const lines = new Map<string, number>();
  for (const { line, words } of text.split("\n").map((l, i) => ({ line: i + 1, words: l.trim().split(/[ \t]+/) }))) {
    const dep = words[0];
    if (dep === "" || dep.startsWith("#") || !isPackageName(dep)) continue;
    const first = lines.get(dep);
    if (first !== undefined) found.add("dependsTwice", file, line, `${dep} is already listed on line ${first}`);
    else lines.set(dep, line);
  }
  for (const dep of depends) {
    if (dep.name === name) found.add("dependsSelf", file, dep.line, `${name} depends on itself`);
    else if (!ctx.known(dep.name)) {
      found.add("dependsUnknown", file, dep.line, `${dep.name} is in no repository of KISS_PATH`);
    }
  }
  return depends;
}

/**
 * Lint one package directory. Returns its findings and what the
 * cross-package rules ({@linkcode findCycles}) need.
 */
export function lintPackage(dir: string, ctx: LintContext): { findings: Finding[]; pkg: LintedPackage } {
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  const found = new Findings(ctx.off);
  const recipe = new RecipeDir(dir);
  checkBuild(found, recipe);
  checkText(found, recipe);
  const versionText = recipe.read("version");
  if (versionText === undefined) {
    found.add("version", `${dir}/version`, undefined, "missing: write one line 'VERSION RELEASE', e.g. '1.0 1'");
  }
  const version = versionText === undefined
    ? undefined
    : attempt(found, "version", () => parseVersion(versionText, `${dir}/version`));
  const sumsText = recipe.read("checksums");
  const sums = sumsText === undefined ? [] : attempt(found, "checksums", () => {
    const lines = parseChecksums(sumsText, `${dir}/checksums`);
    checksumsDialect(lines, `${dir}/checksums`);
    return lines;
  });
  const sources = checkSources(found, recipe, name, version ?? { version: "0", release: "0" }, sums, ctx);
  if (sources) {
    if (sums) checkChecksumCount(found, dir, sources, sums);
    checkUnused(found, recipe, sources);
  }
  const depends = checkDepends(found, recipe, name, ctx);
  return { findings: found.list, pkg: { name, dir, depends } };
}

/**
 * Dependency cycles among `packages` (and what `dependsOf` says of the
 * packages they depend on). Each cycle is reported once, at the `depends`
 * line of its first package that was linted.
 */
export function findCycles(
  packages: readonly LintedPackage[],
  dependsOf: (name: string) => readonly Dependency[],
  off: ReadonlySet<string>,
): Finding[] {
  const found = new Findings(off);
  const linted = new Map(packages.map((p) => [p.name, p]));
  const edges = (name: string) => (linted.get(name)?.depends ?? dependsOf(name)).filter((d) => d.name !== name);
  const state = new Map<string, "active" | "done">();
  const reported = new Set<string>();
  const stack: string[] = [];

  const visit = (name: string): void => {
    state.set(name, "active");
    stack.push(name);
    for (const dep of edges(name)) {
      const s = state.get(dep.name);
      if (s === "active") {
        const cycle = stack.slice(stack.indexOf(dep.name));
        const key = [...cycle].sort().join(" ");
        if (reported.has(key)) continue;
        reported.add(key);
        const at = cycle.find((n) => linted.has(n)) ?? name;
        const line = edges(at).find((d) => cycle.includes(d.name));
        const pkg = linted.get(at);
        if (!pkg) continue;
        const from = cycle.indexOf(at);
        const path = [...cycle.slice(from), ...cycle.slice(0, from), at].join(" -> ");
        found.add("dependsCycle", `${pkg.dir}/depends`, line?.line, `dependency cycle: ${path}`);
      } else if (s === undefined) visit(dep.name);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const pkg of packages) if (!state.has(pkg.name)) visit(pkg.name);
  return found.list;
}
