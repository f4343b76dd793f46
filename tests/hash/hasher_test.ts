import assert from "node:assert/strict";
import { Blake3 } from "../../lib/hash/blake3.ts";
import { checksumDialect, hashBytes, hashFile } from "../../lib/hash/hasher.ts";
import { testBytes } from "../_helpers/http.ts";

/** Run a checksum tool on `path`; fails the test with an install hint when it is missing. */
async function tool(program: string, args: string[], pkg: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `${program} is needed as the reference for this test: install Debian's ${pkg} (apt-get install ${pkg})`,
      );
    }
    throw err;
  }
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split(/\s+/)[0];
}

const b3sum = (path: string) => tool("b3sum", ["-l", "33", "--no-names", path], "b3sum");
const sha256sum = (path: string) => tool("sha256sum", [path], "coreutils");

const SIZES = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 4097, 65535, 65536, 65537, 1048583];

Deno.test("BLAKE3-264 and SHA-256 of files equal b3sum -l 33 and sha256sum around chunk boundaries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = testBytes(SIZES.at(-1)!, 7);
    for (const size of SIZES) {
      const path = `${dir}/f${size}`;
      await Deno.writeFile(path, data.subarray(0, size));
      const [b3, sha] = await Promise.all([b3sum(path), sha256sum(path)]);
      assert.equal(await hashFile(path, "community"), b3, `BLAKE3 of ${size} bytes`);
      assert.equal(await hashFile(path, "classic"), sha, `SHA-256 of ${size} bytes`);
      assert.equal(await hashBytes(data.subarray(0, size), "community"), b3, `hashBytes BLAKE3 of ${size} bytes`);
      assert.equal(await hashBytes(data.subarray(0, size), "classic"), sha, `hashBytes SHA-256 of ${size} bytes`);
      assert.equal(b3.length, 66);
      assert.equal(sha.length, 64);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BLAKE3 gives the same output however the input is split, aligned or not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const size = 5 * 1024 + 333;
    const data = testBytes(size, 3);
    const path = `${dir}/f`;
    await Deno.writeFile(path, data);
    const expected = await b3sum(path);
    for (const piece of [1, 3, 64, 100, 1024, 1025, 4096]) {
      const h = new Blake3();
      for (let i = 0; i < size; i += piece) h.update(data.subarray(i, i + piece));
      assert.equal(h.hex(33), expected, `pieces of ${piece}`);
    }
    // A copy at an odd offset cannot be read as 32-bit words in place.
    const shifted = new Uint8Array(size + 1).subarray(1);
    shifted.set(data);
    assert.equal(new Blake3().update(shifted).hex(33), expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BLAKE3 extendable output equals b3sum for long outputs and the default 32 bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = testBytes(70_000, 11);
    const path = `${dir}/f`;
    await Deno.writeFile(path, data);
    for (const length of [1, 32, 64, 65, 131]) {
      const expected = await tool("b3sum", ["-l", String(length), "--no-names", path], "b3sum");
      assert.equal(new Blake3().update(data).hex(length), expected, `${length}-byte output`);
    }
    // The digest can be read again after more input, as a running hash.
    const h = new Blake3().update(data.subarray(0, 1000));
    await Deno.writeFile(path, data.subarray(0, 1000));
    assert.equal(h.hex(33), await b3sum(path));
    h.update(data.subarray(1000));
    await Deno.writeFile(path, data);
    assert.equal(h.hex(33), await b3sum(path));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file over 1 GiB is hashed streaming, in constant memory, equal to b3sum and sha256sum", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big`;
    const size = 2 ** 30 + 12_345;
    // Sparse, with data at a few places so that every part of the tree matters.
    {
      using file = await Deno.open(path, { write: true, create: true });
      await file.truncate(size);
      for (const at of [0, 1024 * 1024 - 5, 2 ** 29 + 7, size - 4096]) {
        await file.seek(at, Deno.SeekMode.Start);
        await file.write(testBytes(4096, at % 251));
      }
    }
    assert.equal((await Deno.stat(path)).size, size);
    // The references run as child processes while kiln hashes in-process.
    const references = Promise.all([b3sum(path), sha256sum(path)]);
    // This isolate's heap and array buffers: what holding the file in memory would grow.
    const used = () => {
      const m = Deno.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = used();
    let peak = before;
    const b3 = await hashFile(path, "community", () => {
      peak = Math.max(peak, used());
    });
    const sha = await hashFile(path, "classic");
    const [b3Expected, shaExpected] = await references;
    assert.equal(b3, b3Expected);
    assert.equal(sha, shaExpected);
    assert.ok(peak - before < 64 * 1024 * 1024, `memory grew by ${peak - before} bytes while hashing`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile refuses a missing file with Deno's NotFound", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => hashFile(`${dir}/missing`, "community"), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checksumDialect tells the algorithm by the length of the hash", async () => {
  const b3 = await hashBytes(new Uint8Array([1, 2, 3]), "community");
  const sha = await hashBytes(new Uint8Array([1, 2, 3]), "classic");
  assert.equal(checksumDialect(b3), "community");
  assert.equal(checksumDialect(sha), "classic");
  assert.equal(checksumDialect(sha.toUpperCase()), "classic");
  assert.equal(checksumDialect("SKIP"), undefined);
  assert.equal(checksumDialect(b3.slice(0, 65)), undefined);
  assert.equal(checksumDialect(sha.slice(0, 63) + "g"), undefined);
  assert.equal(checksumDialect(""), undefined);
});
