/**
 * `kiln update`: `git pull` in the git work tree of each `KISS_PATH` entry
 * (each work tree once, the superproject when the entry is a submodule, as
 * kiss does), then its submodules. Git itself honours
 * `merge.verifySignatures`; `--require-signed` adds `--verify-signatures`, so
 * a pull bringing unsigned or untrusted commits fails. An entry that is not
 * a git work tree, or whose branch has no upstream, is skipped with a message.
 *
 * As in kiss, every repository directory (each once) is wrapped in the
 * `pre-update N OWNER` and `post-update` events of `KISS_HOOK`, run in the
 * repository, the skipped ones too (a hook may update what git does not):
 * OWNER owns the directory, N is 1 when that is not the user running kiln
 * (kiss would switch to OWNER), 0 otherwise. `post-update` is not called
 * after a failed pull; `--dry-run` calls no hook.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { runHookSync } from "../hooks.ts";

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
    const workTree = top.ok && top.out !== "";
    const repo = workTree ? top.out : entry;
    if (seen.has(repo)) continue;
    seen.add(repo);
    if (!workTree) {
      results.push({ repo: entry, status: "skipped", detail: "not a git work tree" });
      log.info(`skipping ${entry}: not a git work tree`);
      if (!config.dryRun) withUpdateHooks(config, log, repo, () => undefined);
      continue;
    }
    const upstream = git(config, ["-C", repo, "rev-parse", "--abbrev-ref", "HEAD@{upstream}"]);
    if (!upstream.ok) {
      results.push({ repo, status: "skipped", detail: "the current branch has no upstream" });
      log.info(`skipping ${repo}: the current branch has no upstream to pull from`);
      if (!config.dryRun) withUpdateHooks(config, log, repo, () => undefined);
      continue;
    }
    if (config.dryRun) {
      results.push({ repo, status: "skipped", detail: `--dry-run: would pull from ${upstream.out}` });
      log.info(`would update ${repo} from ${upstream.out}`);
      continue;
    }
    const result = withUpdateHooks(config, log, repo, () => pull(config, log, repo, upstream.out, options))!;
    results.push(result);
    if (result.status === "failed") continue;
    try {
      for (const line of Deno.readTextFileSync(`${repo}/MOTD`).split("\n")) {
        if (line.trim()) log.info(`${repo}: ${line}`);
      }
    } catch { /* no message of the day */ }
  }
  return results;
}

/**
 * Call `pre-update`, then `update` (undefined: nothing to pull), then
 * `post-update` unless the update failed.
 */
function withUpdateHooks(
  config: Config,
  log: Log,
  repo: string,
  update: () => RepoUpdate | undefined,
): RepoUpdate | undefined {
  const owner = ownerOf(repo);
  const call = { about: repo, cwd: repo };
  runHookSync(config, log, "pre-update", [owner.uid === Deno.uid() ? "0" : "1", owner.name], call);
  const result = update();
  if (result?.status !== "failed") runHookSync(config, log, "post-update", [], call);
  return result;
}

/** The owner of `path`: its uid, and its user name from `/etc/passwd` (the uid when it has none there). */
function ownerOf(path: string): { uid: number | null; name: string } {
  let uid: number | null = null;
  try {
    uid = Deno.statSync(path).uid;
  } catch { /* unknown owner */ }
  if (uid === null) return { uid, name: "" };
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const fields = line.split(":");
      if (fields.length > 2 && fields[2] === String(uid)) return { uid, name: fields[0] };
    }
  } catch { /* no passwd file */ }
  return { uid, name: String(uid) };
}

/** `git pull` the work tree `repo` (then its submodules). */
function pull(
  config: Config,
  log: Log,
  repo: string,
  upstream: string,
  options: { requireSigned?: boolean },
): RepoUpdate {
  log.info(`updating ${repo} from ${upstream}`);
  const verify = git(config, ["-C", repo, "config", "--get", "merge.verifySignatures"]).out === "true";
  if (verify || options.requireSigned) log.info(`${repo}: signature verification enabled`);
  const before = git(config, ["-C", repo, "rev-parse", "HEAD"]).out;
  const pulled = git(config, ["-C", repo, "pull", ...(options.requireSigned ? ["--verify-signatures"] : [])]);
  if (!pulled.ok) {
    const why = (pulled.err || pulled.out).split("\n").filter((l) => l.trim() !== "").slice(-3).join("; ");
    log.error(`${repo}: git pull failed: ${why}`);
    return { repo, status: "failed", detail: why };
  }
  try {
    Deno.statSync(`${repo}/.gitmodules`);
    const sub = git(config, ["-C", repo, "submodule", "update", "--remote", "--init", "-f"]);
    if (!sub.ok) log.warn(`${repo}: updating submodules failed: ${sub.err.split("\n").at(-1)}`);
  } catch { /* no submodules */ }
  const after = git(config, ["-C", repo, "rev-parse", "HEAD"]).out;
  const moved = before !== after;
  log.info(`${repo}: ${moved ? `updated ${before.slice(0, 12)}..${after.slice(0, 12)}` : "already up to date"}`);
  return {
    repo,
    status: moved ? "updated" : "up to date",
    detail: moved ? `${before.slice(0, 12)}..${after.slice(0, 12)}` : after.slice(0, 12),
  };
}
