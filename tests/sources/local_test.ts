/**
 * Local sources stay inside their package directory: an absolute path, a
 * `..` escape, a path looked up from `/`, and symbolic links leading out (a
 * linked `files/` directory, a linked file) are refused with the `sources`
 * file and line, before anything is read or copied; `KISS_LOCAL_SOURCES=any`
 * allows them. The recipe's own files follow the same rule when they are
 * copied into the package.
 */

import assert from "node:assert/strict";
import { copyContents, copyPath } from "../../lib/build/copy.ts";
import { unpackSources } from "../../lib/build/unpack.ts";
import { type Config, loadConfig } from "../../lib/config.ts";
import { KilnError, RecipeError } from "../../lib/errors.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { planRecipe } from "../../lib/sources/plan.ts";
import { exists, withTempDir, writeRecipe } from "../_helpers/build.ts";

const SECRET = "host secret\n";

interface Case {
  dir: string;
  pkg: string;
  secret: string;
  config(extra?: Record<string, string>): Config;
}

/** A package `p` whose `sources` is `lines`, beside a host file `secret` outside it. */
async function withPackage(lines: string[], fn: (c: Case) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const secret = `${dir}/secret`;
    await Deno.writeTextFile(secret, SECRET, { mode: 0o600 });
    const pkg = await writeRecipe(`${dir}/repo`, "p", {
      version: "1.0 1\n",
      build: "#!/bin/sh -e\n",
      sources: lines.map((l) => l.replaceAll("SECRET", secret)).join("\n") + "\n",
      "files/own.txt": "own\n",
    });
    await fn({
      dir,
      pkg,
      secret,
      config: (extra = {}) => loadConfig({ KISS_CACHE: `${dir}/cache`, HOME: "/nonexistent", ...extra }),
    });
  }, "kiln-local-src-");
}

/** Planning and unpacking both refuse, naming `sources` and `line`; nothing of the secret reaches the build dir. */
async function assertRefused(c: Case, line: number, what: RegExp): Promise<void> {
  const recipe = loadRecipe(c.pkg, { allowChecksumMismatch: true });
  const check = (err: unknown) => {
    assert.ok(err instanceof RecipeError, String(err));
    assert.equal(err.file, `${c.pkg}/sources`);
    assert.equal(err.line, line);
    assert.match(err.message, new RegExp(`^${c.pkg}/sources:${line}: `));
    assert.match(err.message, what);
    assert.match(err.hint ?? "", /KISS_LOCAL_SOURCES=any/);
    return true;
  };
  assert.throws(() => planRecipe(c.config(), recipe), check);
  const build = `${c.dir}/build`;
  await assert.rejects(unpackSources(recipe, build, c.config(), new Log(collectEvents())), check);
  const found = await exists(build) ? [...Deno.readDirSync(build)].map((e) => e.name) : [];
  for (const name of found) {
    assert.notEqual(await Deno.readTextFile(`${build}/${name}`).catch(() => ""), SECRET, `${name} holds the secret`);
  }
  assert.equal(await Deno.readTextFile(c.secret), SECRET);
}

Deno.test("local sources: an absolute path outside the package is refused with the file and line", async () => {
  await withPackage(["files/own.txt", "SECRET"], async (c) => {
    await assertRefused(c, 2, /local source '\/.*\/secret' is outside the package directory/);
  });
});

Deno.test("local sources: a '..' escape is refused", async () => {
  await withPackage(["../../secret"], async (c) => {
    await assertRefused(
      c,
      1,
      /local source '\.\.\/\.\.\/secret' is outside the package directory .* \(it names .*\/secret\)/,
    );
  });
});

Deno.test("local sources: a relative path kiss would look up from / is refused", async () => {
  // Not in the package, but there from `/`: kiss 5.x would read the host's file.
  await withPackage(["etc/hostname"], async (c) => {
    await assertRefused(
      c,
      1,
      /local source 'etc\/hostname' is outside the package directory .* \(it names \/etc\/hostname\)/,
    );
  });
});

Deno.test("local sources: a files/ directory that is a link out of the package is refused", async () => {
  await withPackage(["patches/secret"], async (c) => {
    await Deno.symlink(c.dir, `${c.pkg}/patches`);
    await assertRefused(
      c,
      1,
      /local source 'patches\/secret' leads out of the package directory through a symbolic link \(to .*\/secret\)/,
    );
  });
  await withPackage(["patches"], async (c) => {
    // The directory itself, copied whole.
    await Deno.mkdir(`${c.dir}/hostdir`);
    await Deno.writeTextFile(`${c.dir}/hostdir/key`, SECRET);
    await Deno.symlink(`${c.dir}/hostdir`, `${c.pkg}/patches`);
    await assertRefused(c, 1, /local source 'patches' leads out of the package directory through a symbolic link/);
  });
});

Deno.test("local sources: a file in files/ that links to a host file is refused", async () => {
  await withPackage(["files/own.txt", "files/shadow"], async (c) => {
    await Deno.symlink(c.secret, `${c.pkg}/files/shadow`);
    await assertRefused(
      c,
      2,
      /local source 'files\/shadow' leads out of the package directory through a symbolic link/,
    );
  });
});

Deno.test("local sources: links inside the package are followed; KISS_LOCAL_SOURCES=any allows the rest", async () => {
  await withPackage(["files/alias", "SECRET"], async (c) => {
    await Deno.symlink("own.txt", `${c.pkg}/files/alias`);
    const recipe = loadRecipe(c.pkg, { allowChecksumMismatch: true });
    // Refused without the opt-in (the second line only)...
    assert.throws(() => planRecipe(c.config(), recipe), (err: RecipeError) => err.line === 2);
    // ...and read with it.
    const config = c.config({ KISS_LOCAL_SOURCES: "any" });
    assert.deepEqual(planRecipe(config, recipe).map((e) => e.kind), ["local-file", "local-file"]);
    const build = `${c.dir}/build`;
    await unpackSources(recipe, build, config, new Log(collectEvents()));
    assert.equal(await Deno.readTextFile(`${build}/alias`), "own\n");
    assert.equal(await Deno.readTextFile(`${build}/secret`), SECRET);
    // Any other value keeps the rule.
    assert.throws(() => planRecipe(c.config({ KISS_LOCAL_SOURCES: "yes" }), recipe), RecipeError);
  });
});

Deno.test("recipe copy: a link in the package directory to a host file is not copied into the package", async () => {
  await withPackage([], async (c) => {
    await Deno.symlink(c.secret, `${c.pkg}/files/shadow`);
    const db = `${c.dir}/db`;
    await assert.rejects(copyContents(c.pkg, db, { dereference: true, within: c.pkg }), (err: unknown) => {
      assert.ok(err instanceof KilnError);
      assert.match(
        err.message,
        /\/files\/shadow is a symbolic link leading out of .*\/p \(to .*\/secret\); it is not copied/,
      );
      return true;
    });
    assert.ok(!(await exists(`${db}/files/shadow`)));
    // The build script linked to a host program: refused too; a link inside is followed.
    await Deno.remove(`${c.pkg}/files/shadow`);
    await Deno.symlink("own.txt", `${c.pkg}/files/alias`);
    await copyContents(c.pkg, db, { dereference: true, within: c.pkg });
    assert.equal(await Deno.readTextFile(`${db}/files/alias`), "own\n");
    await Deno.remove(`${c.pkg}/build`);
    await Deno.symlink(c.secret, `${c.pkg}/build`);
    await assert.rejects(
      copyPath(`${c.pkg}/build`, `${c.dir}/script`, { dereference: true, within: c.pkg }),
      KilnError,
    );
    assert.ok(!(await exists(`${c.dir}/script`)));
  });
});
