import assert from "node:assert/strict";
import { unpackSources } from "../../lib/build/unpack.ts";
import { loadConfig } from "../../lib/config.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { loadRecipe } from "../../lib/recipe/load.ts";
import { exists, mustRun, withTempDir, writeRecipe } from "../_helpers/build.ts";

Deno.test("unpack: archives extracted (one top directory moved up), files copied, directories and git checkouts merged", async () => {
  await withTempDir(async (dir) => {
    const cache = `${dir}/cache`;
    const config = loadConfig({ KISS_CACHE: cache, HOME: "/nonexistent" });
    // An upstream tarball with a single top-level directory, made with GNU tar.
    await Deno.mkdir(`${dir}/up/pkg-1.0/src`, { recursive: true });
    await Deno.writeTextFile(`${dir}/up/pkg-1.0/configure`, "#!/bin/sh\n");
    await Deno.chmod(`${dir}/up/pkg-1.0/configure`, 0o755);
    await Deno.writeTextFile(`${dir}/up/pkg-1.0/src/main.c`, "int main(void){return 0;}\n");
    await mustRun("tar", ["-czf", `${dir}/pkg-1.0.tar.gz`, "-C", `${dir}/up`, "pkg-1.0"]);

    const pkg = await writeRecipe(`${dir}/repo`, "pkg", {
      version: "1.0 1\n",
      build: "#!/bin/sh -e\n",
      sources: [
        "https://example.org/pkg-1.0.tar.gz",
        "https://example.org/extra/pkg-1.0.tar.gz?no-extract",
        "https://example.org/pkg-1.0.tar.gz vendor/",
        "files/fix.patch",
        "files/tree",
        "git+https://example.org/tool.git tools",
      ].join("\n") + "\n",
      checksums: "SKIP\nSKIP\nSKIP\nSKIP\n",
      "files/fix.patch": "--- a\n+++ b\n",
      "files/tree/a.txt": "a\n",
      "files/tree/deep/b.txt": "b\n",
    });
    await Deno.symlink("a.txt", `${pkg}/files/tree/link`);
    // What the download step leaves in the cache (kiss's layout).
    await Deno.mkdir(`${cache}/sources/pkg/vendor`, { recursive: true });
    await Deno.copyFile(`${dir}/pkg-1.0.tar.gz`, `${cache}/sources/pkg/pkg-1.0.tar.gz`);
    await Deno.copyFile(`${dir}/pkg-1.0.tar.gz`, `${cache}/sources/pkg/vendor/pkg-1.0.tar.gz`);
    await Deno.mkdir(`${cache}/sources/pkg/tools/tool/.git`, { recursive: true });
    await Deno.writeTextFile(`${cache}/sources/pkg/tools/tool/tool.sh`, "echo tool\n");
    await Deno.writeTextFile(`${cache}/sources/pkg/tools/tool/.git/HEAD`, "ref: refs/heads/main\n");

    const recipe = loadRecipe(pkg);
    const build = `${dir}/build/pkg`;
    const events = collectEvents();
    await unpackSources(recipe, build, config, new Log(events));

    assert.equal(await Deno.readTextFile(`${build}/src/main.c`), "int main(void){return 0;}\n");
    assert.equal((await Deno.stat(`${build}/configure`)).mode! & 0o777, 0o755);
    assert.ok(!(await exists(`${build}/pkg-1.0`)), "the single top directory was moved up");
    // ?no-extract: the archive as it is (it and the extracted one share the file name, not the path).
    assert.deepEqual(await Deno.readFile(`${build}/pkg-1.0.tar.gz`), await Deno.readFile(`${dir}/pkg-1.0.tar.gz`));
    assert.ok(await exists(`${build}/vendor/src/main.c`));
    assert.equal(await Deno.readTextFile(`${build}/fix.patch`), "--- a\n+++ b\n");
    assert.equal(await Deno.readTextFile(`${build}/a.txt`), "a\n");
    assert.equal(await Deno.readTextFile(`${build}/deep/b.txt`), "b\n");
    assert.equal(await Deno.readLink(`${build}/link`), "a.txt");
    assert.equal(await Deno.readTextFile(`${build}/tools/tool.sh`), "echo tool\n");
    assert.ok(await exists(`${build}/tools/.git/HEAD`));
    assert.ok(events.lines("info").includes("handling remote source pkg-1.0.tar.gz"));
    assert.ok(events.lines("info").includes("handling local source files/fix.patch"));
    assert.ok(events.lines("info").includes("handling git source https://example.org/tool.git"));
  });
});
