/**
 * Recipes and configurations for the sources tests, built in memory the way
 * the recipe loader builds them.
 *
 * @module
 */

import { type Config, loadConfig } from "../../lib/config.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import type { Dialect, Recipe, Source } from "../../lib/recipe/types.ts";

/** A source line, as the parser would give it. */
export function source(raw: string, line: number, dir: string): Source {
  const [first, dest] = raw.trim().split(/\s+/);
  let text = first;
  const noExtract = text.endsWith("?no-extract");
  if (noExtract) text = text.slice(0, -"?no-extract".length);
  const d = dest?.replace(/^\/+|\/+$/g, "") || undefined;
  if (text.startsWith("git+")) {
    let url = text.slice(4);
    let branch: string | undefined, commit: string | undefined;
    const hash = url.lastIndexOf("#");
    const at = url.lastIndexOf("@");
    if (hash > url.indexOf("://") + 2) [url, commit] = [url.slice(0, hash), url.slice(hash + 1)];
    else if (at > url.lastIndexOf("/")) [url, branch] = [url.slice(0, at), url.slice(at + 1)];
    const fileName = url.replace(/\/+$/, "").split("/").at(-1)!;
    return { kind: "git", url, branch, commit, dest: d, noExtract, raw, word: first, line, fileName };
  }
  if (/^[a-z]+:\/\//.test(text)) {
    return { kind: "remote", url: text, dest: d, noExtract, raw, word: first, line, fileName: text.split("/").at(-1)! };
  }
  const path = text.startsWith("/") ? text : `${dir}/${text}`;
  return { kind: "local", url: path, dest: d, noExtract, raw, word: first, line, fileName: text.split("/").at(-1)! };
}

/** A recipe in `dir` with these `sources` lines and `checksums`. */
export function recipe(
  dir: string,
  sources: string[],
  checksums: string[] = [],
  dialect: Dialect = "community",
): Recipe {
  const name = dir.split("/").at(-1)!;
  return {
    name,
    dir,
    repo: dir.slice(0, dir.lastIndexOf("/")),
    version: "1.0",
    release: "1",
    sources: sources.map((s, i) => source(s, i + 1, dir)),
    checksums,
    depends: [],
    dialect,
    hasPostInstall: false,
    hasPreRemove: false,
  };
}

/** A configuration whose cache is `cache`. */
export function config(cache: string, extra: Record<string, string> = {}, offline = false): Config {
  return loadConfig({ HOME: cache, KISS_CACHE: cache, ...extra }, { offline }, "/");
}

/** A log that collects events, and the events. */
export function events() {
  const reporter = collectEvents();
  return { reporter, log: new Log(reporter) };
}

/** Every path under `dir`, relative, sorted (to show a cache is unchanged). */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    let list: Deno.DirEntry[];
    try {
      list = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of list) {
      out.push(prefix + e.name);
      if (e.isDirectory) walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** What a run of the kiln CLI did. */
export interface KilnRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `main.ts` with `args`, in `cwd`, with exactly `env` (plus PATH, HOME and Deno's own cache). */
export async function kiln(args: string[], env: Record<string, string>, cwd?: string): Promise<KilnRun> {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", main, ...args],
    cwd,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
      ...env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Write a package directory `repo/name` with `version`, an executable `build`, `sources` and maybe `checksums`. */
export function writePackage(repo: string, name: string, sources: string[], checksums?: string[]): string {
  const dir = `${repo}/${name}`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/version`, "1.0 1\n");
  Deno.writeTextFileSync(`${dir}/build`, "#!/bin/sh -e\n");
  Deno.chmodSync(`${dir}/build`, 0o755);
  Deno.writeTextFileSync(`${dir}/sources`, sources.join("\n") + "\n");
  if (checksums) Deno.writeTextFileSync(`${dir}/checksums`, checksums.join("\n") + (checksums.length ? "\n" : ""));
  return dir;
}
