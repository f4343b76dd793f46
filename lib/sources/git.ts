/**
 * Git sources (SPEC §2): `git+URL`, `git+URL@branch-or-tag`, `git+URL#commit`.
 *
 * Exactly the wanted ref is fetched with `--depth 1` into a checkout in the
 * cache, which later downloads reuse: a branch (or the default branch) is
 * fetched again each time, a commit that is already checked out never is.
 * Servers that refuse a shallow fetch of a commit they do not advertise get
 * a full fetch instead. A new checkout is made under `NAME.part` and renamed
 * into place once it is complete.
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";
import { exists } from "../fs_queries.ts";
import type { Log } from "../log.ts";
import { PART_SUFFIX } from "./cache.ts";

/** What to check out. */
export interface GitRef {
  /** The repository URL (without `git+`, `@` or `#`). */
  readonly url: string;
  /** A branch or tag. */
  readonly branch?: string;
  /** A commit hash (full or abbreviated). */
  readonly commit?: string;
}

/** How to fetch. */
export interface GitOptions {
  /** Where log lines go. */
  log: Log;
  /** `--offline`: use the checkout in the cache or fail. */
  offline: boolean;
  /** Who wants the source, for messages: `zlib`. */
  owner: string;
  /** Where the source came from, for hints: `line 2 of /repo/zlib/sources`. */
  origin: string;
}

/** What {@linkcode fetchGit} did. */
export interface GitResult {
  /** The commit now checked out. */
  commit: string;
  /** False when the checkout in the cache was used as it was. */
  fetched: boolean;
}

/** The config key recording which ref a checkout was made from. */
const REF_KEY = "kiln.ref";

const GIT_ENV = { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true", LC_ALL: "C" };

/** Run git in `dir`; resolves to its output, or to the error it printed. */
async function git(dir: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("git", {
      args: ["-c", "advice.detachedHead=false", "-c", "init.defaultBranch=kiln", "-C", dir, ...args],
      env: GIT_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (isNotFound(err)) {
      throw new KilnError("git is needed for git sources but is not installed", {
        hint: "install git (Debian: apt-get install git; KISS: kiln build git)",
        cause: err,
      });
    }
    throw err;
  }
  const decoder = new TextDecoder();
  return { ok: output.success, stdout: decoder.decode(output.stdout).trim(), stderr: decoder.decode(output.stderr) };
}

/** The last meaningful line git printed on failure. */
function lastLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("hint:"));
  return lines.at(-1) ?? "git failed";
}

/** The commit checked out at `dir`, or undefined when there is no checkout. */
export async function checkedOutCommit(dir: string): Promise<string | undefined> {
  if (!exists(`${dir}/.git`)) return undefined;
  const head = await git(dir, ["rev-parse", "HEAD"]);
  return head.ok ? head.stdout : undefined;
}

/** The ref as written in `sources`: `@branch`, `#commit`, or the default branch. */
export function describeRef(ref: GitRef): string {
  return ref.commit ? `${ref.url}#${ref.commit}` : ref.branch ? `${ref.url}@${ref.branch}` : ref.url;
}

/**
 * Bring the checkout at `dir` to `ref`, fetching what is needed (see the
 * module doc). Throws a {@linkcode KilnError} naming the URL and the owner
 * when git fails, or when `--offline` forbids a fetch that is needed.
 */
export async function fetchGit(ref: GitRef, dir: string, options: GitOptions): Promise<GitResult> {
  const wanted = ref.commit ?? ref.branch ?? "HEAD";
  const present = exists(`${dir}/.git`);
  if (present) {
    const head = await git(dir, ["rev-parse", "HEAD"]);
    const recorded = await git(dir, ["config", "--get", REF_KEY]);
    if (head.ok && ref.commit && head.stdout.startsWith(ref.commit.toLowerCase())) {
      options.log.info(`found git checkout ${describeRef(ref)}`);
      return { commit: head.stdout, fetched: false };
    }
    if (head.ok && options.offline && !ref.commit && recorded.stdout === wanted) {
      options.log.info(`found git checkout ${describeRef(ref)} (offline: not refreshed)`);
      return { commit: head.stdout, fetched: false };
    }
  }
  if (options.offline) {
    throw new KilnError(
      `${options.owner}: git source ${describeRef(ref)} is not in the cache (${dir}) and --offline forbids fetching it`,
      { hint: "run 'kiln download' while online, or point KISS_CACHE at a cache that holds it" },
    );
  }

  options.log.info(`fetching git repository ${describeRef(ref)}`);
  const work = present ? dir : dir + PART_SUFFIX;
  if (!present) {
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.mkdir(work, { recursive: true });
    await run(work, ["init", "--quiet"], ref, options);
  }
  try {
    await run(work, ["config", "remote.origin.url", ref.url], ref, options);
    const target = await fetchRef(work, ref, wanted, options);
    await run(work, ["checkout", "--quiet", "--force", "--detach", target], ref, options);
    await run(work, ["clean", "-ffdxq"], ref, options);
    await run(work, ["config", REF_KEY, wanted], ref, options);
    const head = await git(work, ["rev-parse", "HEAD"]);
    if (!present) await Deno.rename(work, dir);
    options.log.debug(`checked out ${head.stdout} from ${describeRef(ref)}`);
    return { commit: head.stdout, fetched: true };
  } catch (err) {
    if (!present) await Deno.remove(work, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** Fetch `wanted` shallowly (falling back to everything for a commit); resolves to what to check out. */
async function fetchRef(dir: string, ref: GitRef, wanted: string, options: GitOptions): Promise<string> {
  const shallow = await git(dir, ["fetch", "--quiet", "--depth", "1", "--no-tags", "origin", wanted]);
  if (shallow.ok) {
    if (!ref.commit) return "FETCH_HEAD";
    const got = await git(dir, ["rev-parse", "FETCH_HEAD"]);
    if (got.ok && got.stdout.startsWith(ref.commit.toLowerCase())) return "FETCH_HEAD";
  }
  if (!ref.commit) {
    throw new KilnError(`${options.owner}: cannot fetch ${describeRef(ref)}: ${lastLine(shallow.stderr)}`, {
      hint: `check the repository URL and the branch or tag on ${options.origin}`,
    });
  }
  // The server does not hand out unadvertised commits (or the hash is
  // abbreviated): fetch every branch and tag, then look for the commit.
  options.log.debug(`${ref.url}: shallow fetch of ${ref.commit} refused; fetching the whole repository`);
  const unshallow = exists(`${dir}/.git/shallow`) ? ["--unshallow"] : [];
  const full = await git(dir, [
    "fetch",
    "--quiet",
    ...unshallow,
    "origin",
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
  ]);
  if (!full.ok) {
    throw new KilnError(`${options.owner}: cannot fetch ${ref.url}: ${lastLine(full.stderr)}`, {
      hint: `check the repository URL on ${options.origin}`,
    });
  }
  const commit = await git(dir, ["rev-parse", "--verify", "--quiet", `${ref.commit}^{commit}`]);
  if (!commit.ok) {
    throw new KilnError(`${options.owner}: ${ref.url} has no commit ${ref.commit}`, {
      hint: `check the commit on ${options.origin}`,
    });
  }
  return commit.stdout;
}

async function run(dir: string, args: string[], ref: GitRef, options: GitOptions): Promise<void> {
  const result = await git(dir, args);
  if (!result.ok) {
    throw new KilnError(`${options.owner}: git ${args[0]} failed for ${describeRef(ref)}: ${lastLine(result.stderr)}`, {
      hint: `check the git source on ${options.origin}`,
    });
  }
}
