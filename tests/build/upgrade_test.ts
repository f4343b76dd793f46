import assert from "node:assert/strict";
import { DB_PATH } from "../../lib/build/files.ts";
import { kiln, makeRepo, mustRun, repoEnv, withTempDir } from "../_helpers/build.ts";

const skip = Deno.uid() !== 0 ? "the host sandbox needs root" : undefined;

Deno.test({
  name: "upgrade: outdated packages rebuilt in order and installed; dry run; nothing to do; pre-built archives reused",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir, ["libfoo", "prog"]);
      const env = repoEnv(repo);
      const installedVersion = (pkg: string) => Deno.readTextFile(`${repo.root}/${DB_PATH}/${pkg}/version`);
      assert.equal((await kiln(["build", "-y", "prog"], env)).code, 0);

      // An installed package that no repository has.
      await Deno.mkdir(`${repo.root}/${DB_PATH}/orphan`);
      await Deno.writeTextFile(`${repo.root}/${DB_PATH}/orphan/version`, "1 1\n");
      await Deno.writeTextFile(`${repo.root}/${DB_PATH}/orphan/manifest`, `/${DB_PATH}/orphan/manifest\n`);

      const none = await kiln(["upgrade"], env);
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stderr, /\[INFO\] nothing to do/);
      assert.match(none.stderr, /\[WARN\] packages without a repository \(left as they are\): orphan/);

      // A new version of libfoo and a new release of prog.
      await Deno.writeTextFile(`${repo.repo}/libfoo/version`, "1.1 1\n");
      await Deno.writeTextFile(`${repo.repo}/prog/version`, "2.0 4\n");

      const dry = await kiln(["upgrade", "--dry-run"], env);
      assert.equal(dry.code, 0, dry.stderr);
      for (
        const line of [
          "[INFO] libfoo 1.0-1 => 1.1-1",
          "[INFO] prog 2.0-3 => 2.0-4",
          "[INFO] (1/2) will build package (explicit) libfoo",
          "[INFO] (2/2) will build package (explicit) prog",
        ]
      ) assert.ok(dry.stderr.includes(line), `missing '${line}' in:\n${dry.stderr}`);
      assert.ok(!dry.stderr.includes("building libfoo"));
      assert.equal(await installedVersion("libfoo"), "1.0 1\n");

      // prog's new archive exists already: upgrade installs it instead of building it again.
      const pre = await kiln(["build", "prog"], env);
      assert.equal(pre.code, 0, pre.stderr);

      const up = await kiln(["upgrade", "-y"], env);
      assert.equal(up.code, 0, up.stderr);
      assert.ok(up.stderr.includes("[INFO] (1/2) building libfoo"), up.stderr);
      assert.ok(up.stderr.includes("[INFO] found pre-built binary prog@2.0-4.tar.zst"), up.stderr);
      assert.ok(!up.stderr.includes("building prog"), up.stderr);
      assert.ok(up.stderr.includes("[INFO] updated 2 packages"), up.stderr);
      assert.equal(await installedVersion("libfoo"), "1.1 1\n");
      assert.equal(await installedVersion("prog"), "2.0 4\n");
      const out = await mustRun(`${repo.root}/usr/bin/prog`, [], { env: { LD_LIBRARY_PATH: `${repo.root}/usr/lib` } });
      assert.equal(out, "foo says 42\n");

      const again = await kiln(["upgrade"], env);
      assert.equal(again.code, 0);
      assert.match(again.stderr, /nothing to do/);

      const usage = await kiln(["upgrade", "libfoo"], env);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /upgrade takes no package names/);
    }),
});
