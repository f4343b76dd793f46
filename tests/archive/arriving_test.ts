/**
 * A package archive's bytes as they arrive: with the `zstd` program they
 * come in pieces, into one growing shared buffer, and equal what the
 * in-process decoder gives; without the program (or for another format)
 * they come whole; damaged or cut data makes the program fail (and the
 * in-process decoder say "damaged zstd data"); stopping early stops the
 * program.
 */
import assert from "node:assert/strict";
import { arrivingBytes, ZSTD_PROGRAM, ZstdProgramFailed } from "../../lib/archive/arriving.ts";
import { decompress } from "../../lib/archive/compress.ts";
import { KilnError } from "../../lib/errors.ts";
import { run, withTempDir } from "../_helpers/archive.ts";

/** `size` bytes of varied text. */
function sample(size: number): Uint8Array {
  const words = Array.from({ length: size / 4 }, (_, i) => `${(i * 7919) % 104729}`);
  return new TextEncoder().encode(words.join(" ")).subarray(0, size);
}

async function zstdFile(dir: string, data: Uint8Array, name = "data.zst"): Promise<string> {
  const file = `${dir}/${name}`;
  Deno.writeFileSync(file, (await run("zstd", ["-q", "-c", "-3"], { stdin: data })).stdout);
  return file;
}

/** Every byte of `arriving`, taken piece by piece as a reader would; the number of pieces. */
async function readAll(arriving: Awaited<ReturnType<typeof arrivingBytes>>): Promise<[Uint8Array, number]> {
  let pieces = 0;
  let last = -1;
  while (!arriving.done) {
    if (arriving.length !== last) pieces++;
    last = arriving.length;
    arriving.more();
  }
  return [await arriving.finish(), pieces];
}

function assertDamaged(err: unknown, name: string): true {
  assert.ok(err instanceof KilnError, `a KilnError, not ${err}`);
  assert.match(err.message, new RegExp(`^${name.replace(".", "\\.")}: damaged zstd data: `));
  assert.ok(err.hint);
  return true;
}

Deno.test("zstd through the program: the bytes come in pieces into shared memory, equal to the in-process decoder's", async () => {
  await withTempDir(async (dir) => {
    const data = sample(24 * 1024 * 1024);
    const file = await zstdFile(dir, data);
    const arriving = await arrivingBytes(file, "data.zst");
    assert.equal(arriving.done, false, "the program's output is read as it comes");
    const [bytes, pieces] = await readAll(arriving);
    assert.ok(pieces > 1, `${pieces} pieces`);
    assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    assert.equal(bytes.length, data.length);
    assert.deepEqual(bytes, data);
    assert.deepEqual(bytes, await decompress(Deno.readFileSync(file), "data.zst"));
  });
});

Deno.test("zstd without the program, and other formats: decoded in-process, whole at once", async () => {
  await withTempDir(async (dir) => {
    const data = sample(300_000);
    const file = await zstdFile(dir, data);
    for (const program of [false, `${dir}/no-such-zstd`] as const) {
      const arriving = await arrivingBytes(file, "data.zst", program);
      assert.equal(arriving.done, true);
      assert.equal(arriving.length, data.length);
      assert.deepEqual(await arriving.finish(), data);
    }
    const gz = `${dir}/data.gz`;
    Deno.writeFileSync(gz, (await run("gzip", ["-c"], { stdin: data })).stdout);
    const arriving = await arrivingBytes(gz, "data.gz");
    assert.equal(arriving.done, true);
    assert.deepEqual(await arriving.finish(), data);
    await assert.rejects(() => arrivingBytes(`${dir}/missing.zst`, "missing.zst"), Deno.errors.NotFound);
  });
});

Deno.test("zstd through the program: corrupt and cut data make the program fail; in-process they are damaged data", async () => {
  await withTempDir(async (dir) => {
    const data = sample(4 * 1024 * 1024);
    const good = Deno.readFileSync(await zstdFile(dir, data));
    const corrupt = good.slice();
    // A byte in the middle of the compressed blocks: the data or the frame checksum no longer matches.
    corrupt[corrupt.length >> 1] ^= 0xff;
    const cases: [string, Uint8Array][] = [["corrupt.zst", corrupt], ["cut.zst", good.subarray(0, good.length >> 1)]];
    for (const [name, bytes] of cases) {
      const file = `${dir}/${name}`;
      Deno.writeFileSync(file, bytes);
      await assert.rejects(async () => {
        await readAll(await arrivingBytes(file, name, ZSTD_PROGRAM));
      }, (err) => {
        assert.ok(err instanceof ZstdProgramFailed, `the program's failure, not ${err}`);
        assert.match(err.message, /exited with status [1-9]/);
        return true;
      });
      await assert.rejects(async () => {
        await readAll(await arrivingBytes(file, name, false));
      }, (err) => assertDamaged(err, name));
    }
  });
});

Deno.test("a program that fails on good data is its own failure, not the archive's", async () => {
  await withTempDir(async (dir) => {
    const file = await zstdFile(dir, sample(100_000));
    const fake = `${dir}/fake-zstd`;
    Deno.writeTextFileSync(fake, "#!/bin/sh\necho 'fake-zstd: unknown option' >&2\nexit 1\n", { mode: 0o755 });
    await assert.rejects(async () => {
      await readAll(await arrivingBytes(file, "data.zst", fake));
    }, (err) => err instanceof ZstdProgramFailed && /exited with status 1/.test(err.message));
  });
});

Deno.test("zstd through the program: stopping early stops it, and says whether the program had failed", async () => {
  await withTempDir(async (dir) => {
    const data = sample(24 * 1024 * 1024);
    const good = Deno.readFileSync(await zstdFile(dir, data, "good.zst"));
    const arriving = await arrivingBytes(`${dir}/good.zst`, "good.zst");
    arriving.more();
    assert.ok(arriving.length > 0 && !arriving.done);
    assert.equal(await arriving.cancel(), undefined, "a stop by the reader is no failure");
    assert.equal(arriving.done, true);

    Deno.writeFileSync(`${dir}/cut.zst`, good.subarray(0, 100_000));
    const cut = await arrivingBytes(`${dir}/cut.zst`, "cut.zst");
    while (!cut.done) cut.more();
    assert.ok(await cut.cancel() instanceof ZstdProgramFailed);
  });
});

Deno.test("output beyond the room reserved stops the program: the caller reads in-process instead", async () => {
  await withTempDir(async (dir) => {
    const data = sample(4 * 1024 * 1024);
    const file = await zstdFile(dir, data);
    await assert.rejects(async () => {
      await readAll(await arrivingBytes(file, "data.zst", ZSTD_PROGRAM, 1024 * 1024));
    }, (err) => err instanceof ZstdProgramFailed && /more than the 1 MiB reserved/.test(err.message));
    const [bytes] = await readAll(await arrivingBytes(file, "data.zst", ZSTD_PROGRAM, data.length));
    assert.deepEqual(bytes, data, "room for exactly the data is enough");
  });
});

/** The zstd program's absolute path (for wrappers that run it). */
async function realZstd(): Promise<string> {
  return new TextDecoder().decode((await run("sh", ["-c", "command -v zstd"])).stdout).trim();
}

Deno.test("a program that says much on standard error (its output moved elsewhere meanwhile) is still read to the end", async () => {
  await withTempDir(async (dir) => {
    const data = sample(4 * 1024 * 1024);
    const file = await zstdFile(dir, data);
    const chatty = `${dir}/chatty-zstd`;
    // While `head` runs, the shell has its own output redirected to standard error (no longer the pipe):
    // the pipe must have been opened before, whatever the timing.
    Deno.writeTextFileSync(chatty, `#!/bin/sh\nhead -c 1000000 /dev/zero >&2\nexec ${await realZstd()} "$@"\n`, {
      mode: 0o755,
    });
    for (let i = 0; i < 10; i++) {
      const arriving = await arrivingBytes(file, "data.zst", chatty);
      assert.equal(arriving.byProgram, true, `run ${i}: read through the program`);
      const [bytes] = await readAll(arriving);
      assert.deepEqual(bytes, data, `run ${i}`);
    }
  });
});

Deno.test("a program that writes and exits at once is read through its own pipe: its bytes and its status, every time", async () => {
  await withTempDir(async (dir) => {
    const file = await zstdFile(dir, sample(100_000));
    const quick = `${dir}/quick-zstd`;
    Deno.writeTextFileSync(quick, "#!/bin/sh\nprintf 'not the archive'\n", { mode: 0o755 });
    const fails = `${dir}/failing-zstd`;
    Deno.writeTextFileSync(fails, "#!/bin/sh\nprintf 'half'\nexit 3\n", { mode: 0o755 });
    for (let i = 0; i < 10; i++) {
      const arriving = await arrivingBytes(file, "data.zst", quick);
      assert.equal(arriving.byProgram, true, `run ${i}`);
      const [bytes] = await readAll(arriving);
      assert.equal(new TextDecoder().decode(bytes), "not the archive", `run ${i}: what the program wrote, no more`);
      await assert.rejects(async () => {
        await readAll(await arrivingBytes(file, "data.zst", fails));
      }, (err) => err instanceof ZstdProgramFailed && /exited with status 3/.test(err.message));
    }
  });
});

Deno.test("a program found in PATH is run; one that is not there, or not executable, is not (in-process at once)", async () => {
  await withTempDir(async (dir) => {
    const data = sample(300_000);
    const file = await zstdFile(dir, data);
    Deno.mkdirSync(`${dir}/bin`);
    Deno.writeTextFileSync(`${dir}/bin/named-zstd`, `#!/bin/sh\nexec ${await realZstd()} "$@"\n`, { mode: 0o755 });
    Deno.writeTextFileSync(`${dir}/bin/plain-file`, "#!/bin/sh\nexit 9\n", { mode: 0o644 });
    const path = Deno.env.get("PATH")!;
    Deno.env.set("PATH", `${dir}/empty-entry-below::${dir}/bin:${path}`);
    try {
      const named = await arrivingBytes(file, "data.zst", "named-zstd");
      assert.equal(named.byProgram, true);
      assert.deepEqual((await readAll(named))[0], data);
      for (const program of ["plain-file", `${dir}/bin/plain-file`, "no-such-zstd", `${dir}/bin`]) {
        const arriving = await arrivingBytes(file, "data.zst", program);
        assert.equal(arriving.byProgram, false, program);
        assert.equal(arriving.done, true, program);
        assert.deepEqual(await arriving.finish(), data, program);
      }
    } finally {
      Deno.env.set("PATH", path);
    }
  });
});

Deno.test("without foreign calls the program is not run: the archive is decoded in-process, and reads the same", async () => {
  await withTempDir(async (dir) => {
    const data = sample(300_000);
    const file = await zstdFile(dir, data);
    Deno.writeFileSync(`${dir}/data`, data);
    const module = new URL("../../lib/archive/arriving.ts", import.meta.url).href;
    const script = `
      import { arrivingBytes } from "${module}";
      const arriving = await arrivingBytes(Deno.args[0], "data.zst");
      const bytes = await arriving.finish();
      const want = Deno.readFileSync(Deno.args[1]);
      const same = bytes.length === want.length && bytes.every((b, i) => b === want[i]);
      console.log(JSON.stringify({ byProgram: arriving.byProgram, same }));
    `;
    Deno.writeTextFileSync(`${dir}/probe.ts`, script);
    const out = await run(Deno.execPath(), [
      "run",
      "-A",
      "--deny-ffi",
      "--no-check",
      `${dir}/probe.ts`,
      file,
      `${dir}/data`,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), { byProgram: false, same: true });
  });
});
