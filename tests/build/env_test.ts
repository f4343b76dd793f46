import assert from "node:assert/strict";
import { buildEnvironment, DEFAULT_PATH } from "../../lib/build/env.ts";
import { sourceDateEpoch } from "../../lib/build/epoch.ts";
import { buildLogPath, lastLines } from "../../lib/build/logfile.ts";
import { copyContents } from "../../lib/build/copy.ts";
import { loadConfig } from "../../lib/config.ts";
import { KilnError } from "../../lib/errors.ts";
import type { Recipe } from "../../lib/recipe/types.ts";
import { mustRun, withTempDir } from "../_helpers/build.ts";

function recipe(dir: string, dialect: "classic" | "community"): Recipe {
  return {
    name: "zlib",
    dir,
    repo: dir.slice(0, dir.lastIndexOf("/")),
    version: "1.3.1",
    release: "1",
    sources: [],
    checksums: [],
    depends: [],
    dialect,
    hasPostInstall: false,
    hasPreRemove: false,
  };
}

const paths = { buildDir: "/c/proc/9/build/zlib", pkgdir: "/c/proc/9/pkg/zlib" };

Deno.test("env: toolchain defaults, user flags passed through, DESTDIR only for the classic dialect", () => {
  const config = loadConfig({
    HOME: "/home/u",
    CFLAGS: "-O2 -pipe",
    LDFLAGS: "-Wl,-O1",
    MAKEFLAGS: "-j4",
    CC: "clang",
    RUSTFLAGS: "-C opt-level=2",
    SECRET_TOKEN: "xyz",
    KISS_ROOT: "/mnt/target",
  });
  const classic = buildEnvironment(recipe("/r/zlib", "classic"), paths, config, 1700000000);
  assert.equal(classic.CC, "clang");
  assert.equal(classic.CXX, "c++");
  assert.equal(classic.AR, "ar");
  assert.equal(classic.NM, "nm");
  assert.equal(classic.RANLIB, "ranlib");
  assert.equal(classic.CFLAGS, "-O2 -pipe");
  assert.equal(classic.LDFLAGS, "-Wl,-O1");
  assert.equal(classic.MAKEFLAGS, "-j4");
  assert.equal(classic.CXXFLAGS, undefined);
  assert.equal(classic.SOURCE_DATE_EPOCH, "1700000000");
  assert.equal(classic.DESTDIR, "/c/proc/9/pkg/zlib");
  assert.equal(classic.RUSTFLAGS, "--remap-path-prefix=/c/proc/9/build/zlib=. -C opt-level=2");
  assert.equal(classic.GOPATH, "/c/proc/9/build/zlib/go");
  assert.equal(classic.KISS_ROOT, "/mnt/target");
  assert.equal(classic.TMPDIR, "/tmp");
  assert.equal(classic.PATH, DEFAULT_PATH);
  assert.equal(classic.SECRET_TOKEN, undefined, "the rest of the environment is not inherited");

  const community = buildEnvironment(
    recipe("/r/zlib", "community"),
    paths,
    loadConfig({ PATH: "/opt/bin:/usr/bin" }),
    5,
  );
  assert.equal(community.DESTDIR, undefined);
  assert.equal(community.CC, "cc");
  assert.equal(community.PATH, "/opt/bin:/usr/bin");
  assert.equal(community.KISS_ROOT, "", "kiss passes an empty KISS_ROOT for /");
});

Deno.test("epoch: SOURCE_DATE_EPOCH wins, else the newest recipe file, else the last commit of a clean git tree", async () => {
  await withTempDir(async (dir) => {
    const pkg = `${dir}/repo/zlib`;
    await Deno.mkdir(`${pkg}/patches`, { recursive: true });
    await Deno.writeTextFile(`${pkg}/version`, "1.3.1 1\n");
    await Deno.writeTextFile(`${pkg}/patches/fix.patch`, "x\n");
    await Deno.utime(`${pkg}/version`, 1_600_000_000, 1_600_000_000);
    await Deno.utime(`${pkg}/patches/fix.patch`, 1_650_000_000, 1_650_000_000);
    await Deno.utime(`${pkg}/patches`, 1_500_000_000, 1_500_000_000);
    const r = recipe(pkg, "classic");
    assert.equal(await sourceDateEpoch(r, { SOURCE_DATE_EPOCH: "1234" }), 1234);
    await assert.rejects(sourceDateEpoch(r, { SOURCE_DATE_EPOCH: "yesterday" }), KilnError);
    assert.equal(await sourceDateEpoch(r, {}), 1_650_000_000);

    // A git work tree: the last commit touching the package, when it is clean.
    const gitEnv = {
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.org",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.org",
      GIT_COMMITTER_DATE: "@1700000000 +0000",
      GIT_AUTHOR_DATE: "@1700000000 +0000",
    };
    await mustRun("git", ["init", "-q", `${dir}/repo`]);
    await mustRun("git", ["-C", `${dir}/repo`, "add", "."], { env: gitEnv });
    await mustRun("git", ["-C", `${dir}/repo`, "commit", "-q", "-m", "zlib"], { env: gitEnv });
    await Deno.writeTextFile(`${dir}/repo/other`, "later\n");
    const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
    assert.equal(await sourceDateEpoch(r, env), 1_700_000_000);
    // Uncommitted changes in the package: its files' times again.
    await Deno.writeTextFile(`${pkg}/version`, "1.3.2 1\n");
    await Deno.utime(`${pkg}/version`, 1_750_000_000, 1_750_000_000);
    assert.equal(await sourceDateEpoch(r, env), 1_750_000_000);
  });
});

Deno.test("logfile: kiss's naming, and the last lines of a log", async () => {
  const started = new Date(2025, 0, 5, 7, 3, 59);
  assert.equal(buildLogPath("/c/logs", "zlib", started, 4242), "/c/logs/2025-01-05/zlib-2025-01-05-07:03-4242");
  await withTempDir(async (dir) => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    await Deno.writeTextFile(`${dir}/log`, lines.join("\n") + "\n\n");
    assert.deepEqual(await lastLines(`${dir}/log`, 3), ["line 28", "line 29", "line 30"]);
    assert.deepEqual(await lastLines(`${dir}/missing`, 3), []);
  });
});

Deno.test("copy: symlinks kept or followed, modes kept, directories merged", async () => {
  await withTempDir(async (dir) => {
    const src = `${dir}/src`;
    await Deno.mkdir(`${src}/sub`, { recursive: true });
    await Deno.writeTextFile(`${src}/run.sh`, "#!/bin/sh\n");
    await Deno.chmod(`${src}/run.sh`, 0o750);
    await Deno.writeTextFile(`${src}/sub/data`, "d\n");
    await Deno.symlink("sub/data", `${src}/link`);
    await Deno.mkdir(`${dir}/dst/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/dst/sub/keep`, "k\n");
    await copyContents(src, `${dir}/dst`);
    assert.equal((await Deno.stat(`${dir}/dst/run.sh`)).mode! & 0o777, 0o750);
    assert.equal(await Deno.readLink(`${dir}/dst/link`), "sub/data");
    assert.equal(await Deno.readTextFile(`${dir}/dst/sub/keep`), "k\n");
    assert.equal(await Deno.readTextFile(`${dir}/dst/sub/data`), "d\n");
    await copyContents(src, `${dir}/deref`, { dereference: true });
    assert.ok((await Deno.lstat(`${dir}/deref/link`)).isFile);
    assert.equal(await Deno.readTextFile(`${dir}/deref/link`), "d\n");
  });
});
