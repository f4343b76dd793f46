/**
 * `kiln update`: `git pull` in the git work tree of each `KISS_PATH` entry
 * (each work tree once, the superproject when the entry is a submodule, as
 * kiss does), then its submodules. Git itself honours
 * `merge.verifySignatures`; `--require-signed` adds `--verify-signatures`, so
 * a pull bringing unsigned or untrusted commits fails. An entry that is not
 * a git work tree, or whose branch has no upstream, is skipped with a message.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";

/** What happened to one repository. */
export interface RepoUpdate {
  /** The work tree (or the KISS_PATH entry, when skipped before one was found). */
  readonly repo: string;
  readonly status: "updated" | "up to date" | "skipped" | "failed";
  /** Details: the commits moved, why it was skipped, or git's error. */
  readonly detail: string;
}

const decoder = new TextDecoder();

function git(config: Config, args: string[]): { ok: boolean; out: string; err: string } {
  try {
    const out = new Deno.Command("git", {
      args,
      env: { ...config.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      clearEnv: true,
      stdin: "null",
    }).outputSync();
    return { ok: out.success, out: decoder.decode(out.stdout).trim(), err: decoder.decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, out: "", err: (err as Error).message };
  }
}

/** Pull every repository of `KISS_PATH` (see the module documentation). */
export function updateRepositories(config: Config, log: Log, options: { requireSigned?: boolean } = {}): RepoUpdate[] {
  const results: RepoUpdate[] = [];
  const seen = new Set<string>();
  if (config.kissPath.length === 0) log.warn("KISS_PATH is empty: there is nothing to update");
  for (const entry of config.kissPath) {
    let isDir = false;
    try {
      isDir = Deno.statSync(entry).isDirectory;
    } catch { /* missing */ }
    if (!isDir) {
      results.push({ repo: entry, status: "skipped", detail: "no such directory" });
      log.warn(`skipping ${entry}: no such directory`);
      continue;
    }
    const sup = git(config, ["-C", entry, "rev-parse", "--show-superproject-working-tree"]);
    const top = git(config, ["-C", sup.ok && sup.out ? sup.out : entry, "rev-parse", "--show-toplevel"]);
    if (!top.ok || top.out === "") {
      results.push({ repo: entry, status: "skipped", detail: "not a git work tree" });
      log.info(`skipping ${entry}: not a git work tree`);
      continue;
    }
    const repo = top.out;
    if (seen.has(repo)) continue;
    seen.add(repo);
    const upstream = git(config, ["-C", repo, "rev-parse", "--abbrev-ref", "HEAD@{upstream}"]);
    if (!upstream.ok) {
      results.push({ repo, status: "skipped", detail: "the current branch has no upstream" });
      log.info(`skipping ${repo}: the current branch has no upstream to pull from`);
      continue;
    }
    if (config.dryRun) {
      results.push({ repo, status: "skipped", detail: `--dry-run: would pull from ${upstream.out}` });
      log.info(`would update ${repo} from ${upstream.out}`);
      continue;
    }
    log.info(`updating ${repo} from ${upstream.out}`);
    const verify = git(config, ["-C", repo, "config", "--get", "merge.verifySignatures"]).out === "true";
    if (verify || options.requireSigned) log.info(`${repo}: signature verification enabled`);
    const before = git(config, ["-C", repo, "rev-parse", "HEAD"]).out;
    const pull = git(config, ["-C", repo, "pull", ...(options.requireSigned ? ["--verify-signatures"] : [])]);
    if (!pull.ok) {
      const why = (pull.err || pull.out).split("\n").filter((l) => l.trim() !== "").slice(-3).join("; ");
      results.push({ repo, status: "failed", detail: why });
      log.error(`${repo}: git pull failed: ${why}`);
      continue;
    }
    try {
      Deno.statSync(`${repo}/.gitmodules`);
      const sub = git(config, ["-C", repo, "submodule", "update", "--remote", "--init", "-f"]);
      if (!sub.ok) log.warn(`${repo}: updating submodules failed: ${sub.err.split("\n").at(-1)}`);
    } catch { /* no submodules */ }
    const after = git(config, ["-C", repo, "rev-parse", "HEAD"]).out;
    const moved = before !== after;
    results.push({
      repo,
      status: moved ? "updated" : "up to date",
      detail: moved ? `${before.slice(0, 12)}..${after.slice(0, 12)}` : after.slice(0, 12),
    });
    log.info(`${repo}: ${moved ? `updated ${before.slice(0, 12)}..${after.slice(0, 12)}` : "already up to date"}`);
    try {
      for (const line of Deno.readTextFileSync(`${repo}/MOTD`).split("\n")) {
        if (line.trim()) log.info(`${repo}: ${line}`);
      }
    } catch { /* no message of the day */ }
  }
  return results;
}
