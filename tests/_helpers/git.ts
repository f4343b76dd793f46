/**
 * Real git repositories for tests: a few commits on the default branch, a
 * second branch and a tag, served to clients as a `file://` URL with
 * fetching of unadvertised commits allowed (as a forge allows it).
 *
 * @module
 */

const ENV = {
  GIT_AUTHOR_NAME: "kiln test",
  GIT_AUTHOR_EMAIL: "test@kiln.invalid",
  GIT_COMMITTER_NAME: "kiln test",
  GIT_COMMITTER_EMAIL: "test@kiln.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  LC_ALL: "C",
};

/** Run git in `dir`; resolves to its trimmed standard output, throws with its error output. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args: ["-C", dir, ...args], env: ENV, stdin: "null" }).output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).trim();
}

/** A test repository and what is in it. */
export interface TestRepo {
  /** Directory of the (non-bare) repository. */
  path: string;
  /** `file://` URL to fetch it from. */
  url: string;
  /** Name of the default branch. */
  main: string;
  /** Commits on the default branch, oldest first; each wrote `version` = its index. */
  commits: string[];
  /** A second branch and its tip commit (wrote `branch.txt`). */
  branch: { name: string; commit: string };
  /** An annotated tag on the first commit. */
  tag: { name: string; commit: string };
  /** Add a commit on the default branch writing `version`; resolves to its hash. */
  commit(version: string): Promise<string>;
}

/**
 * Make a repository in `parent/name` with three commits on `main` (each
 * writes `version`), a branch `feature` off the second commit with one more
 * commit, and an annotated tag `v1.0` on the first commit.
 */
export async function makeRepo(parent: string, name = "project"): Promise<TestRepo> {
  const path = `${parent}/${name}`;
  await Deno.mkdir(path, { recursive: true });
  await git(path, "init", "--quiet", "--initial-branch=main");
  await git(path, "config", "uploadpack.allowReachableSHA1InWant", "true");
  await git(path, "config", "uploadpack.allowAnySHA1InWant", "true");
  await git(path, "config", "commit.gpgsign", "false");
  const commit = async (version: string) => {
    await Deno.writeTextFile(`${path}/version`, version + "\n");
    await git(path, "add", "version");
    await git(path, "commit", "--quiet", "-m", `version ${version}`);
    return await git(path, "rev-parse", "HEAD");
  };
  const commits = [await commit("0"), await commit("1")];
  await git(path, "checkout", "--quiet", "-b", "feature");
  await Deno.writeTextFile(`${path}/branch.txt`, "feature\n");
  await git(path, "add", "branch.txt");
  await git(path, "commit", "--quiet", "-m", "feature work");
  const branch = { name: "feature", commit: await git(path, "rev-parse", "HEAD") };
  await git(path, "checkout", "--quiet", "main");
  commits.push(await commit("2"));
  await git(path, "tag", "-a", "v1.0", "-m", "release 1.0", commits[0]);
  return {
    path,
    url: `file://${path}`,
    main: "main",
    commits,
    branch,
    tag: { name: "v1.0", commit: commits[0] },
    commit,
  };
}
