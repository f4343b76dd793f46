import assert from "node:assert/strict";
import { packDirectory } from "../../lib/archive/pack.ts";
import { parseTar, writeTar } from "../../lib/archive/tar.ts";
import { have, makeAwkwardTree, readTree, run, withTempDir } from "../_helpers/archive.ts";

// kiss runs busybox tar on many systems; these run where busybox is installed.
const busybox = await have("busybox");

Deno.test({
  name: "busybox tar extracts kiln's package archives: long names, hard links, symlinks",
  ignore: !busybox,
  async fn() {
    await withTempDir(async (dir) => {
      await makeAwkwardTree(`${dir}/pkg`);
      await packDirectory(`${dir}/pkg`, `${dir}/p.tar.zst`, { compression: "zst", sourceDateEpoch: 1_700_000_000 });
      const tar = (await run("zstd", ["-dc", `${dir}/p.tar.zst`])).stdout;
      await Deno.mkdir(`${dir}/out`);
      await run("busybox", ["tar", "-xf", "-", "-C", `${dir}/out`], { stdin: tar });
      assert.deepEqual(await readTree(`${dir}/out`), await readTree(`${dir}/pkg`));
      const a = await Deno.lstat(`${dir}/out/top/hardlink`);
      assert.equal(a.ino, (await Deno.lstat(`${dir}/out/top/README`)).ino);
    });
  },
});

Deno.test({
  name: "kiln reads what busybox tar writes",
  ignore: !busybox,
  async fn() {
    await withTempDir(async (dir) => {
      await makeAwkwardTree(`${dir}/root`);
      const tar = (await run("busybox", ["tar", "-cf", "-", "-C", `${dir}/root`, "top"])).stdout;
      const items = [...parseTar(tar, { name: "busybox.tar" })];
      const files = items.filter((i) => i.entry.type === "file");
      for (const { entry, body } of files) {
        assert.deepEqual(body, await Deno.readFile(`${dir}/root/${entry.path}`), entry.path);
      }
      assert.ok(items.some((i) => i.entry.path.length > 255), "a name over 255 bytes came through");
      // And kiln writes back what busybox lists the same way.
      const listed = new TextDecoder().decode(
        (await run("busybox", ["tar", "-tf", "-"], { stdin: writeTar(items) })).stdout,
      );
      assert.equal(listed.trim().split("\n").length, items.length);
    });
  },
});
