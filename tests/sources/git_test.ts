import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { fetchGit, type GitOptions } from "../../lib/sources/git.ts";
import { git, makeRepo } from "../_helpers/git.ts";
import { exists, withDir } from "../_helpers/fixtures.ts";
import { events, tree } from "../_helpers/sources.ts";

function options(extra: Partial<GitOptions> = {}): GitOptions & { lines: (level?: "info" | "debug") => string[] } {
  const { log, reporter } = events();
  return { log, offline: false, owner: "pkg", origin: "line 1 of /repo/pkg/sources", lines: reporter.lines, ...extra };
}

const read = (path: string) => Deno.readTextFile(path).then((t) => t.trim());

Deno.test("the default branch is fetched shallowly and refreshed on the next download", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    const first = await fetchGit({ url: repo.url }, checkout, options());
    assert.deepEqual(first, { commit: repo.commits[2], fetched: true });
    assert.equal(await read(`${checkout}/version`), "2");
    assert.equal(await git(checkout, "rev-list", "--count", "HEAD"), "1", "shallow: one commit");
    assert.ok(!exists(`${checkout}.part`));

    const next = await repo.commit("3");
    const second = await fetchGit({ url: repo.url }, checkout, options());
    assert.deepEqual(second, { commit: next, fetched: true });
    assert.equal(await read(`${checkout}/version`), "3");
  });
});

Deno.test("@branch checks out the branch's tip, and follows it", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    const o = options();
    const result = await fetchGit({ url: repo.url, branch: repo.branch.name }, checkout, o);
    assert.equal(result.commit, repo.branch.commit);
    assert.equal(await read(`${checkout}/branch.txt`), "feature");
    assert.equal(await read(`${checkout}/version`), "1");
    assert.ok(o.lines("info").includes(`fetching git repository ${repo.url}@feature`));
  });
});

Deno.test("@tag checks out the tagged commit", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    const result = await fetchGit({ url: repo.url, branch: repo.tag.name }, checkout, options());
    assert.equal(result.commit, repo.tag.commit);
    assert.equal(await read(`${checkout}/version`), "0");
    assert.ok(!exists(`${checkout}/branch.txt`));
  });
});

Deno.test("#commit checks out that commit and never fetches again once it is there", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    const ref = { url: repo.url, commit: repo.commits[1] };
    const first = await fetchGit(ref, checkout, options());
    assert.deepEqual(first, { commit: repo.commits[1], fetched: true });
    assert.equal(await read(`${checkout}/version`), "1");
    assert.equal(await git(checkout, "rev-list", "--count", "HEAD"), "1", "shallow fetch of exactly the commit");

    // With the origin gone, a second download still works: nothing is fetched.
    await Deno.remove(repo.path, { recursive: true });
    const o = options();
    const second = await fetchGit(ref, checkout, o);
    assert.deepEqual(second, { commit: repo.commits[1], fetched: false });
    assert.ok(o.lines("info").includes(`found git checkout ${repo.url}#${repo.commits[1]}`));
  });
});

Deno.test("#commit with a short hash falls back to a full fetch and finds the commit", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const short = repo.commits[1].slice(0, 10);
    const o = options();
    const result = await fetchGit({ url: repo.url, commit: short }, `${dir}/cache/project`, o);
    assert.deepEqual(result, { commit: repo.commits[1], fetched: true });
    assert.equal(await read(`${dir}/cache/project/version`), "1");
    assert.ok(o.lines("debug").some((l) => l.includes(`shallow fetch of ${short} refused`)));
    // Once there, the short hash is found in the cache without fetching.
    await Deno.remove(repo.path, { recursive: true });
    const again = await fetchGit({ url: repo.url, commit: short }, `${dir}/cache/project`, options());
    assert.deepEqual(again, { commit: repo.commits[1], fetched: false });
  });
});

Deno.test("#commit works against a server that does not allow fetching unadvertised commits", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    await git(repo.path, "config", "uploadpack.allowReachableSHA1InWant", "false");
    await git(repo.path, "config", "uploadpack.allowAnySHA1InWant", "false");
    const result = await fetchGit({ url: repo.url, commit: repo.commits[0] }, `${dir}/cache/project`, options());
    assert.equal(result.commit, repo.commits[0]);
    assert.equal(await read(`${dir}/cache/project/version`), "0");
  });
});

Deno.test("a repository that cannot be fetched is an error naming it, and leaves no checkout behind", async () => {
  await withDir(async (dir) => {
    const checkout = `${dir}/cache/nothing`;
    const err = await fetchGit({ url: `file://${dir}/nothing` }, checkout, options()).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /^pkg: cannot fetch file:\/\/.*\/nothing: /);
    assert.match(err.hint!, /line 1 of \/repo\/pkg\/sources/);
    assert.deepEqual(tree(`${dir}/cache`), []);
  });
});

Deno.test("a branch that does not exist is an error; an existing checkout stays as it was", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    await fetchGit({ url: repo.url }, checkout, options());
    const err = await fetchGit({ url: repo.url, branch: "no-such-branch" }, checkout, options()).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.match(err.message, /no-such-branch/);
    assert.equal(await git(checkout, "rev-parse", "HEAD"), repo.commits[2]);
    assert.equal(await read(`${checkout}/version`), "2");
  });
});

Deno.test("a commit that is not in the repository is an error naming it", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const err = await fetchGit({ url: repo.url, commit: missing }, `${dir}/cache/project`, options()).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.equal(err.message, `pkg: ${repo.url} has no commit ${missing}`);
    assert.ok(!exists(`${dir}/cache/project`) && !exists(`${dir}/cache/project.part`));
  });
});

Deno.test("offline: a cached checkout of the same ref is used as it is; anything else is an error", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    await fetchGit({ url: repo.url, branch: "feature" }, checkout, options());
    await repo.commit("new upstream");

    const warm = await fetchGit({ url: repo.url, branch: "feature" }, checkout, options({ offline: true }));
    assert.deepEqual(warm, { commit: repo.branch.commit, fetched: false });

    const other = await fetchGit({ url: repo.url }, checkout, options({ offline: true })).catch((e) => e);
    assert.ok(other instanceof KilnError);
    assert.match(other.message, /--offline forbids fetching it/);
    assert.equal(await git(checkout, "rev-parse", "HEAD"), repo.branch.commit);

    const cold = await fetchGit({ url: repo.url }, `${dir}/cold/project`, options({ offline: true })).catch((e) => e);
    assert.ok(cold instanceof KilnError);
    assert.match(cold.message, /^pkg: git source file:\/\/.* is not in the cache \(.*\/cold\/project\)/);
    assert.ok(!exists(`${dir}/cold`));
  });
});

Deno.test("files left in a checkout by an earlier build are cleaned away on the next fetch", async () => {
  await withDir(async (dir) => {
    const repo = await makeRepo(dir);
    const checkout = `${dir}/cache/project`;
    await fetchGit({ url: repo.url }, checkout, options());
    await Deno.writeTextFile(`${checkout}/stray.o`, "object");
    await Deno.writeTextFile(`${checkout}/version`, "edited");
    await fetchGit({ url: repo.url }, checkout, options());
    assert.ok(!exists(`${checkout}/stray.o`));
    assert.equal(await read(`${checkout}/version`), "2");
  });
});
