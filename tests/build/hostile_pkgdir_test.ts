/**
 * Builds that attack kiln's own steps after the build script (SPEC §6.3):
 * the package directory is the build's, and a build that leaves links in it
 * must not make kiln create, replace, delete, strip or pack host files.
 * Each build runs for real through the CLI in every sandbox mode (kiln's
 * post-build steps are what is attacked, so the mode does not protect), and
 * every test checks that the host tree the links point to is byte for byte
 * what it was.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { EMPTY_SHA256 } from "../../lib/db/etcsums.ts";
import { compileC, kiln, mustRun, type Ran, withTempDir, writeRecipe } from "../_helpers/build.ts";
import { makeStandardRoot } from "../_helpers/sandbox.ts";

const skip = Deno.uid() !== 0 ? "the sandbox needs root" : undefined;
const opts = { ignore: skip !== undefined, sanitizeResources: false, sanitizeOps: false };
/** Landlock alone is refused to root (see README, Sandbox): as root its attacks cannot happen. */
const MODES = Deno.uid() === 0
  ? (["hermetic", "host", "none"] as const)
  : (["hermetic", "host", "landlock", "none"] as const);
const SECRET = "root:SECRET-HASH-4242:19000::::::";

/** A host tree for the build's links to point at, and a record of it. */
async function makeHost(dir: string): Promise<string> {
  const host = `${dir}/host`;
  await Deno.mkdir(`${host}/installed/other`, { recursive: true });
  await Deno.mkdir(`${host}/libdir`);
  await Deno.writeTextFile(`${host}/installed/other/version`, "1 1\n");
  await Deno.mkdir(`${host}/installed/p`);
  await Deno.writeTextFile(`${host}/installed/p/manifest`, "/etc/host-manifest\n");
  await Deno.writeTextFile(`${host}/shadow`, SECRET + "\n");
  await Deno.writeTextFile(`${host}/victim.la`, "libtool victim\n");
  await Deno.writeTextFile(`${host}/libdir/foo.la`, "libtool victim in a directory\n");
  await Deno.writeTextFile(`${host}/file`, "a host file\n");
  await compileC(host, "prog", "int main(void) { return 0; }\n", ["-g"]);
  await Deno.remove(`${host}/prog.c`);
  return host;
}

/** Every path under `dir` with its type, mode and content or link target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string) => {
    const info = await Deno.lstat(path);
    const key = path.slice(dir.length) || "/";
    if (info.isSymlink) out[key] = `link ${await Deno.readLink(path)}`;
    else if (info.isDirectory) {
      out[key] = `dir ${info.mode! & 0o7777}`;
      for await (const e of Deno.readDir(path)) await walk(`${path}/${e.name}`);
    } else {
      const sum = createHash("sha256").update(await Deno.readFile(path)).digest("hex");
      out[key] = `file ${info.mode! & 0o7777} ${info.size} ${sum} ${info.mtime?.getTime()}`;
    }
  };
  await walk(dir);
  return out;
}

interface Attack {
  /** The shell lines of the build script after `#!/bin/sh -e` (`H` is the host tree). */
  script: (host: string) => string;
  /** Extra recipe files. */
  files?: Record<string, string>;
  /** Extra recipe files, as bytes. */
  binary?: Record<string, Uint8Array>;
  /**
   * Shell lines run by a `KISS_HOOK` at `post-build` (`$3` is the package
   * directory): changes made after kiln's first steps, as a process the build
   * left running could make them, at a known moment.
   */
  postBuild?: (host: string) => string;
}

/** Build the package `p` whose build script is `attack`, in `mode`; the host tree is checked unchanged. */
async function buildAttack(
  mode: string,
  attack: Attack,
  check: (r: Ran, ctx: { dir: string; host: string; archive: string }) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const host = await makeHost(dir);
    const repo = `${dir}/repo`, root = `${dir}/root`, cache = `${dir}/cache`;
    await Deno.mkdir(root);
    makeStandardRoot(root);
    // Installed recipes are whole recipes: give the fake root's entries their build scripts.
    for await (const e of Deno.readDir(`${root}/var/db/kiss/installed`)) {
      await Deno.writeTextFile(`${root}/var/db/kiss/installed/${e.name}/build`, "#!/bin/sh\n", { mode: 0o755 });
    }
    const before = await snapshot(host);
    await writeRecipe(repo, "p", {
      version: "1 1\n",
      depends: "base\n",
      build: `#!/bin/sh -e\nmkdir -p "$1/usr/share/p"\necho data > "$1/usr/share/p/data"\n${attack.script(host)}\n`,
      ...attack.files,
    });
    for (const [name, bytes] of Object.entries(attack.binary ?? {})) {
      await Deno.mkdir(`${repo}/p/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeFile(`${repo}/p/${name}`, bytes);
    }
    const hook: Record<string, string> = {};
    if (attack.postBuild) {
      const body = `#!/bin/sh -e\n[ "$1" = post-build ] || exit 0\n${attack.postBuild(host)}\n`;
      await Deno.writeTextFile(`${dir}/hook`, body, { mode: 0o755 });
      hook.KISS_HOOK = `${dir}/hook`;
    }
    const r = await kiln(["build", "p"], {
      KISS_PATH: repo,
      KISS_ROOT: root,
      KISS_CACHE: cache,
      KISS_SANDBOX: mode,
      KISS_PROMPT: "0",
      ...hook,
    });
    assert.deepEqual(await snapshot(host), before, `the host tree changed (${mode}):\n${r.stderr}`);
    await check(r, { dir, host, archive: `${cache}/bin/p@1-1.tar.zst` });
  });
}

/** Assert a refusal whose message contains `message`, and that no archive was made. */
function refused(message: string) {
  return async (r: Ran, { archive }: { archive: string }) => {
    assert.notEqual(r.code, 0, `the build was not refused:\n${r.stderr}`);
    assert.ok(r.stderr.includes(message), `missing '${message}' in:\n${r.stderr}`);
    await assert.rejects(Deno.lstat(archive), Deno.errors.NotFound);
  };
}

for (const mode of MODES) {
  for (const dir of ["var/db/kiss/installed", "var/db/kiss", "var/db", "var"]) {
    Deno.test({
      name: `hostile package directory (${mode}): ${dir} replaced by a link to a host directory is refused`,
      ...opts,
      fn: () =>
        buildAttack(
          mode,
          { script: (h) => `rm -rf "$1/${dir}"\nln -s ${h}/installed "$1/${dir}"` },
          (r, ctx) =>
            refused(
              `the build left ${dir} as a symbolic link to ${ctx.host}/installed in `,
            )(r, ctx).then(() =>
              assert.ok(r.stderr.includes("a package may not replace the directories kiln writes its database entry"))
            ),
        ),
    });
  }

  Deno.test({
    name: `hostile package directory (${mode}): the database entry itself as a link is refused`,
    ...opts,
    fn: () =>
      buildAttack(
        mode,
        { script: (h) => `ln -s ${h}/installed/other "$1/var/db/kiss/installed/p"` },
        (r, ctx) =>
          refused(`the build left var/db/kiss/installed/p as a symbolic link to ${ctx.host}/installed/other`)(r, ctx),
      ),
  });

  Deno.test({
    name:
      `hostile package directory (${mode}): manifest, etcsums, version, depends planted as links are replaced, not written through`,
    ...opts,
    fn: () =>
      buildAttack(mode, {
        script: (h) =>
          [
            `d="$1/var/db/kiss/installed/p"`,
            `mkdir -p "$d" "$1/etc"`,
            `echo conf > "$1/etc/p.conf"`,
            ...["manifest", "etcsums", "version", "depends", "build"].map((f) => `ln -s ${h}/file "$d/${f}"`),
          ].join("\n"),
      }, async (r, { dir, archive }) => {
        assert.equal(r.code, 0, r.stderr);
        const out = `${dir}/out`;
        await Deno.mkdir(out);
        await mustRun("tar", ["-xaf", archive, "-C", out]);
        const entry = `${out}/var/db/kiss/installed/p`;
        for (const f of ["manifest", "etcsums", "version", "depends", "build"]) {
          assert.ok((await Deno.lstat(`${entry}/${f}`)).isFile, `${f} is not a regular file in the archive`);
        }
        assert.equal(await Deno.readTextFile(`${entry}/version`), "1 1\n");
        assert.equal(await Deno.readTextFile(`${entry}/depends`), "base\n");
        assert.ok((await Deno.readTextFile(`${entry}/manifest`)).includes("/etc/p.conf\n"));
      }),
  });

  Deno.test({
    name: `hostile package directory (${mode}): a link the build left in the database entry is refused`,
    ...opts,
    fn: () =>
      buildAttack(
        mode,
        {
          script: (h) =>
            `mkdir -p "$1/var/db/kiss/installed/p"\nln -s ${h}/file "$1/var/db/kiss/installed/p/post-install"`,
        },
        (r, ctx) =>
          refused(`the build left var/db/kiss/installed/p/post-install as a symbolic link to ${ctx.host}/file`)(r, ctx),
      ),
  });

  Deno.test({
    name:
      `hostile package directory (${mode}): links to host files are packed as links; .la links removed, not their targets; strip leaves host programs alone`,
    ...opts,
    fn: async () => {
      const elf = await withTempDir((d) =>
        compileC(d, "own", "int main(void) { return 1; }\n", ["-g"]).then(Deno.readFile)
      );
      const sum = createHash("sha256").update(elf).digest("hex");
      await buildAttack(mode, {
        files: { sources: "files/own\n", checksums: `${sum}\n` },
        binary: { "files/own": elf },
        script: (h) =>
          [
            `mkdir -p "$1/usr/lib" "$1/usr/bin" "$1/etc"`,
            `cp own "$1/usr/bin/own"`,
            `ln -s ${h}/victim.la "$1/usr/lib/libx.la"`,
            `ln -s ${h}/libdir "$1/usr/lib/plugins"`,
            `ln -s ${h}/prog "$1/usr/bin/hostprog"`,
            `ln -s ${h}/shadow "$1/etc/shadow"`,
            `echo conf > "$1/etc/p.conf"`,
          ].join("\n"),
      }, async (r, { dir, host, archive }) => {
        assert.equal(r.code, 0, r.stderr);
        const out = `${dir}/out`;
        await Deno.mkdir(out);
        await mustRun("tar", ["-xaf", archive, "-C", out]);
        assert.equal(await Deno.readLink(`${out}/etc/shadow`), `${host}/shadow`);
        assert.equal(await Deno.readLink(`${out}/usr/lib/plugins`), `${host}/libdir`);
        assert.equal(await Deno.readLink(`${out}/usr/bin/hostprog`), `${host}/prog`);
        await assert.rejects(Deno.lstat(`${out}/usr/lib/libx.la`), Deno.errors.NotFound);
        const tar = await mustRun("sh", ["-c", `zstd -dc '${archive}' | tr -d '\\000'`]);
        assert.ok(!tar.includes("SECRET-HASH"), "the host file's content went into the archive");
        const sums = (await Deno.readTextFile(`${out}/var/db/kiss/installed/p/etcsums`)).split("\n");
        assert.equal(sums[0], EMPTY_SHA256, "a link in /etc sums as the empty file");
        // The package's own program was stripped (through its descriptor); the host's was not touched.
        assert.ok(!(await mustRun("readelf", ["-S", `${out}/usr/bin/own`])).includes(".debug_info"));
        assert.ok((await mustRun("readelf", ["-S", `${host}/prog`])).includes(".debug_info"));
      });
    },
  });

  Deno.test({
    name: `hostile package directory (${mode}): a FIFO is refused, not opened (no hang)`,
    ...opts,
    fn: () =>
      buildAttack(
        mode,
        { script: () => `mkdir -p "$1/usr/bin"\nmknod "$1/usr/bin/fifo" p` },
        refused("usr/bin/fifo: a FIFO cannot go into a package archive"),
      ),
  });
}

for (const mode of MODES) {
  Deno.test({
    name: `hostile package directory (${mode}): a hard link to a host program is not stripped in place`,
    ...opts,
    fn: () =>
      buildAttack(mode, {
        script: (h) => `mkdir -p "$1/usr/bin"\nln ${h}/prog "$1/usr/bin/hardprog" && echo "LINKED" || true`,
      }, async (r, { dir, archive }) => {
        assert.equal(r.code, 0, r.stderr);
        const log = r.stderr;
        const out = `${dir}/out`;
        await Deno.mkdir(out);
        await mustRun("tar", ["-xaf", archive, "-C", out]);
        const linked = await Deno.lstat(`${out}/usr/bin/hardprog`).then(() => true, () => false);
        // Without a sandbox the build can make the link; elsewhere it may not see the host tree.
        if (mode === "none") assert.ok(linked, "the build could not make its hard link");
        if (linked) assert.ok(log.includes("not stripping usr/bin/hardprog"), log);
      }),
  });
}

Deno.test({
  name: "hostile package directory: the installed directory swapped for a link after the recipe copy is refused",
  ...opts,
  fn: () =>
    buildAttack("host", {
      script: () =>
        "",
      postBuild: (h) =>
        [
          `d="$3/var/db/kiss/installed"`,
          `mv "$d" "$3/var/db/kiss/moved"`,
          `ln -s ${h}/installed "$d"`,
        ].join("\n"),
    }, (r, ctx) =>
      refused(`the build left var/db/kiss/installed as a symbolic link to ${ctx.host}/installed in `)(r, ctx)),
});

Deno.test({
  name:
    "hostile package directory: a manifest planted as a link after the recipe copy is replaced, not written through",
  ...opts,
  fn: () =>
    buildAttack("host", {
      script: () => "",
      postBuild: (h) => `ln -s ${h}/installed/p/manifest "$3/var/db/kiss/installed/p/manifest"`,
    }, async (r, { dir, archive }) => {
      assert.equal(r.code, 0, r.stderr);
      const out = `${dir}/out`;
      await Deno.mkdir(out);
      await mustRun("tar", ["-xaf", archive, "-C", out]);
      const manifest = `${out}/var/db/kiss/installed/p/manifest`;
      assert.ok((await Deno.lstat(manifest)).isFile);
      assert.ok((await Deno.readTextFile(manifest)).includes("/usr/share/p/data\n"));
    }),
});
