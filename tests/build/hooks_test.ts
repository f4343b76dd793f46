/**
 * `KISS_HOOK` at the events outside install and remove: a real hook script
 * (it appends its arguments to a file) through real builds of tiny packages
 * (`KISS_SANDBOX=none`) and a real `kiln update`; a failing `pre-build` hook,
 * a failing build (and a failing `build-fail` hook), and hook calls never
 * overlapping.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { runHook } from "../../lib/hooks.ts";
import { collectEvents, Log } from "../../lib/log.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const DB = "var/db/kiss/installed";
const opts = { sanitizeResources: false, sanitizeOps: false };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Ran> {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function mustRun(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(cmd, args, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** kiln as a subprocess, with only `env` plus what Deno needs to find its cache. */
function kiln(args: string[], env: Record<string, string>): Promise<Ran> {
  const base: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) base[name] = value;
  }
  return run(Deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args], { ...base, ...env });
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A hook script: appends its arguments (and, for the update events, its
 * working directory) to `<dir>/hook.log`, prints a line, checks what each
 * build event's path argument should hold, and exits with 3 at the events
 * named in `<dir>/fail-at`.
 */
function writeHook(
  dir: string,
): { hook: string; log: string; failAt: (events: string) => void; lines: () => string[] } {
  const hook = `${dir}/hook`;
  const log = `${dir}/hook.log`;
  Deno.writeTextFileSync(
    hook,
    `#!/bin/sh
case $1 in
  *-update) printf '%s @%s\\n' "$*" "$PWD" >> "${log}" ;;
  *) printf '%s\\n' "$*" >> "${log}" ;;
esac
echo "hook saw $1"
case $1 in
  pre-build) [ -n "$(find "$3" -name 'hello*.txt')" ] || exit 9 ;;
  post-build) [ -f "$3/${DB}/$2/version" ] || exit 9 ;;
  post-package) [ -f "$3" ] || exit 9 ;;
esac
if [ -f "${dir}/fail-at" ] && grep -qx "$1" "${dir}/fail-at"; then
  echo "hook refuses $1" >&2
  exit 3
fi
exit 0
`,
  );
  Deno.chmodSync(hook, 0o755);
  return {
    hook,
    log,
    failAt: (events) => Deno.writeTextFileSync(`${dir}/fail-at`, events + "\n"),
    lines: () => {
      try {
        return Deno.readTextFileSync(log).trim().split("\n").filter((l) => l !== "");
      } catch {
        return [];
      }
    },
  };
}

/**
 * A repository of tiny packages: `dep` (a local file source) and `tiny`
 * (depends on `dep`, a `file://` source with a marker, fetched into the cache), and `broken`
 * (a local source, a build that fails). Their builds copy a file with sh.
 */
async function setup(dir: string) {
  const repo = `${dir}/repo`, root = `${dir}/root`, cache = `${dir}/cache`, upstream = `${dir}/upstream`;
  Deno.mkdirSync(root, { recursive: true });
  Deno.mkdirSync(upstream, { recursive: true });
  const hello = "hello\n";
  Deno.writeTextFileSync(`${upstream}/hello-2.txt`, hello);
  const sum = await sha256(hello);
  const pkg = (name: string, files: Record<string, string>) => {
    Deno.mkdirSync(`${repo}/${name}/files`, { recursive: true });
    for (const [file, text] of Object.entries(files)) Deno.writeTextFileSync(`${repo}/${name}/${file}`, text);
    Deno.chmodSync(`${repo}/${name}/build`, 0o755);
  };
  const build = (name: string, fail = false) =>
    `#!/bin/sh -e\nmkdir -p "$1/usr/share/${name}"\ncp hello*.txt "$1/usr/share/${name}/"\n${fail ? "exit 4\n" : ""}`;
  pkg("dep", {
    version: "1 1\n",
    sources: "files/hello.txt\n",
    checksums: `${sum}\n`,
    build: build("dep"),
    "files/hello.txt": hello,
  });
  pkg("tiny", {
    version: "2 1\n",
    depends: "dep\n",
    sources: `file://${upstream}/hello-VERSION.txt\n`,
    checksums: `${sum}\n`,
    build: build("tiny"),
  });
  pkg("broken", {
    version: "1 1\n",
    sources: "files/hello.txt\n",
    checksums: `${sum}\n`,
    build: build("broken", true),
    "files/hello.txt": hello,
  });
  const hook = writeHook(dir);
  const env = {
    KISS_PATH: repo,
    KISS_ROOT: root,
    KISS_CACHE: cache,
    KISS_SANDBOX: "none",
    KISS_HOOK: hook.hook,
    KISS_FSYNC: "0",
  };
  return { repo, root, cache, upstream, env, hook };
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-hooks-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test({
  name: "hooks: a two-package build calls every event with kiss's arguments, in order",
  ...opts,
  fn: () =>
    withTemp(async (dir) => {
      const { repo, root, cache, upstream, env, hook } = await setup(dir);
      const r = await kiln(["build", "-y", "tiny"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /\[INFO\] hook saw pre-build/, "what the hook prints goes to the log");
      const lines = hook.lines();

      // Sources first (fetched side by side: each source's pre-source comes before its post-source).
      const sources = lines.slice(0, 4);
      const written = `file://${upstream}/hello-VERSION.txt`;
      const resolved = `file://${upstream}/hello-2.txt`;
      const expectedSources = [
        `pre-source dep files/hello.txt files/hello.txt`,
        `post-source dep files/hello.txt ${repo}/dep/files/hello.txt`,
        `pre-source tiny ${written} ${resolved}`,
        `post-source tiny ${written} ${cache}/sources/tiny/hello-2.txt`,
      ];
      assert.deepEqual([...sources].sort(), [...expectedSources].sort(), lines.join("\n"));
      for (const pkg of ["dep", "tiny"]) {
        const pre = sources.findIndex((l) => l.startsWith(`pre-source ${pkg} `));
        const post = sources.findIndex((l) => l.startsWith(`post-source ${pkg} `));
        assert.ok(pre < post, `pre-source before post-source of ${pkg}:\n${lines.join("\n")}`);
      }

      // Then each package in plan order; the dependency is installed before the next build starts.
      const proc = /^queue dep 1 2$/.test(lines[4])
        ? lines[5].match(/^pre-extract dep (.*)\/pkg\/dep$/)?.[1]
        : undefined;
      assert.ok(proc !== undefined && new RegExp(`^${escape(cache)}/proc/\\d+$`).test(proc), lines.join("\n"));
      const built = (pkg: string, n: number, archive: string) => [
        `queue ${pkg} ${n} 2`,
        `pre-extract ${pkg} ${proc}/pkg/${pkg}`,
        `pre-build ${pkg} ${proc}/build/${pkg}`,
        `post-build ${pkg} ${proc}/pkg/${pkg}`,
        `post-package ${pkg} ${cache}/bin/${archive}`,
        `pre-install ${pkg} ${cache}/bin/${archive}`,
        `post-install ${pkg} ${root}/${DB}/${pkg}`,
      ];
      assert.deepEqual(lines.slice(4), [
        ...built("dep", 1, "dep@1-1.tar.zst"),
        ...built("tiny", 2, "tiny@2-1.tar.zst"),
      ]);
      assert.equal(Deno.readTextFileSync(`${root}/usr/share/tiny/hello-2.txt`), "hello\n");
    }),
});

Deno.test({
  name: "hooks: a failing pre-build hook stops the build before the build script runs",
  ...opts,
  fn: () =>
    withTemp(async (dir) => {
      const { cache, env, hook } = await setup(dir);
      hook.failAt("pre-build");
      const r = await kiln(["build", "-y", "dep"], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`\\[ERROR\\] pre-build hook failed for dep: '${escape(hook.hook)}' exited with status 3`),
      );
      assert.match(r.stderr, /hook refuses pre-build/, "the hook's own message is in the log");
      const events = hook.lines().map((l) => l.split(" ")[0]);
      assert.deepEqual(events, ["pre-source", "post-source", "queue", "pre-extract", "pre-build"]);
      assert.throws(() => Deno.statSync(`${cache}/bin/dep@1-1.tar.zst`), "no archive was made");
    }),
});

Deno.test({
  name: "hooks: build-fail is called when the build fails, and its own failure does not hide the build's",
  ...opts,
  fn: () =>
    withTemp(async (dir) => {
      const { env, hook } = await setup(dir);
      let r = await kiln(["build", "broken"], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\[ERROR\] build of broken failed \(exit status 4\)/);
      const failed = hook.lines().filter((l) => l.startsWith("build-fail "));
      assert.equal(failed.length, 1, hook.lines().join("\n"));
      const buildDir = failed[0].split(" ")[2];
      assert.match(buildDir, /\/proc\/\d+\/build\/broken$/);
      assert.ok(hook.lines().includes(`pre-build broken ${buildDir}`), "build-fail gets the build directory");
      assert.ok(!hook.lines().some((l) => l.startsWith("post-build")));

      hook.failAt("build-fail");
      r = await kiln(["build", "broken"], env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\[WARN\] build-fail hook failed for broken: '.*' exited with status 3/);
      assert.match(r.stderr, /\[ERROR\] build of broken failed \(exit status 4\)/, "the build failure is the error");
    }),
});

async function gitSetup(dir: string) {
  const gitEnv = {
    GIT_AUTHOR_NAME: "kiln test",
    GIT_AUTHOR_EMAIL: "test@kiln.invalid",
    GIT_COMMITTER_NAME: "kiln test",
    GIT_COMMITTER_EMAIL: "test@kiln.invalid",
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: dir,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const upstream = `${dir}/upstream`, clone = `${dir}/clone`, plain = `${dir}/plain`;
  const commit = async (file: string) => {
    Deno.mkdirSync(`${upstream}/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
    Deno.writeTextFileSync(`${upstream}/${file}`, "1 1\n");
    await mustRun("git", ["-C", upstream, "add", file], gitEnv);
    await mustRun("git", ["-C", upstream, "commit", "-q", "--no-gpg-sign", "-m", `add ${file}`], gitEnv);
  };
  await mustRun("git", ["init", "-q", "--initial-branch=main", upstream], gitEnv);
  await commit("core/zlib/version");
  await mustRun("git", ["clone", "-q", upstream, clone], gitEnv);
  Deno.mkdirSync(plain);
  const hook = writeHook(dir);
  const env = { ...gitEnv, KISS_PATH: `${clone}/core:${plain}`, KISS_HOOK: hook.hook };
  return { upstream, clone, plain, hook, env, commit };
}

Deno.test({
  name: "hooks: kiln update calls pre-update N OWNER and post-update in each repository",
  ...opts,
  fn: () =>
    withTemp(async (dir) => {
      const { clone, plain, hook, env, commit } = await gitSetup(dir);
      const me = await mustRun("id", ["-un"]);
      await commit("core/musl/version");

      const dry = await kiln(["update", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(hook.lines(), [], "--dry-run calls no hook");

      const r = await kiln(["update"], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(hook.lines(), [
        `pre-update 0 ${me} @${clone}`,
        `post-update @${clone}`,
        `pre-update 0 ${me} @${plain}`,
        `post-update @${plain}`,
      ]);
      assert.ok(Deno.statSync(`${clone}/core/musl/version`).isFile, "the pull happened");

      // A failing pre-update hook stops the update before anything is pulled.
      await commit("core/curl/version");
      hook.failAt("pre-update");
      const failed = await kiln(["update"], env);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(
        failed.stderr,
        new RegExp(`pre-update hook failed for ${escape(clone)}: '${escape(hook.hook)}' exited with status 3`),
      );
      assert.throws(() => Deno.statSync(`${clone}/core/curl`), "nothing was pulled");
    }),
});

Deno.test({
  name: "hooks: calls made side by side run one at a time, in the order they were made",
  ...opts,
  fn: () =>
    withTemp(async (dir) => {
      const log = `${dir}/calls.log`;
      const hook = `${dir}/slow-hook`;
      Deno.writeTextFileSync(hook, `#!/bin/sh\necho "begin $2" >> "${log}"\nsleep 0.1\necho "end $2" >> "${log}"\n`);
      Deno.chmodSync(hook, 0o755);
      const config = loadConfig({ KISS_HOOK: `${hook}:${hook}`, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" });
      const events = collectEvents();
      await Promise.all(["a", "b", "c"].map((pkg) => runHook(config, new Log(events), "queue", [pkg, "1", "3"])));
      assert.deepEqual(Deno.readTextFileSync(log).trim().split("\n"), [
        "begin a",
        "end a",
        "begin a",
        "end a",
        "begin b",
        "end b",
        "begin b",
        "end b",
        "begin c",
        "end c",
        "begin c",
        "end c",
      ]);

      // A program that cannot run is an error naming the event and the program.
      const missing = loadConfig({ KISS_HOOK: `${dir}/no-such-hook` });
      await assert.rejects(
        () => runHook(missing, new Log(events), "pre-build", ["zlib", dir]),
        new RegExp(`^KilnError: pre-build hook '${escape(dir)}/no-such-hook' could not run`),
      );
    }),
});
