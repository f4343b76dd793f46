import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import {
  MORE,
  parseTar,
  readTar,
  TarCursor,
  type TarEntry,
  type TarItem,
  tarStream,
  writeTar,
} from "../../lib/archive/tar.ts";
import {
  corruptHeader,
  entry,
  fileItem,
  gnuList,
  makeAwkwardTree,
  maliciousArchives,
  readTree,
  run,
  withTempDir,
} from "../_helpers/archive.ts";

function assertAsyncThrowsKiln(fn: () => Promise<unknown>, ...includes: string[]) {
  return assert.rejects(fn, (err: Error) => {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    for (const text of includes) assert.ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    return true;
  });
}

function assertThrowsKiln(fn: () => unknown, ...includes: string[]) {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof KilnError, `expected a KilnError, got ${err}`);
    for (const text of includes) assert.ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    assert.ok((err as KilnError).hint, "a KilnError for the user has a hint");
    return true;
  });
}

/** The items of `bytes` read with a {@linkcode TarCursor} while they arrive `step` bytes at a time. */
function readArriving(bytes: Uint8Array, step: number, name = "a.tar"): TarItem[] {
  const cursor = new TarCursor(name);
  const items: TarItem[] = [];
  let length = Math.min(step, bytes.length);
  for (;;) {
    const item = cursor.next(bytes, length, length === bytes.length);
    if (item === null) return items;
    if (item === MORE) length = Math.min(bytes.length, length + step);
    else items.push(item);
  }
}

/** Checks every parsed entry against the file GNU tar archived. */
async function checkAgainstTree(root: string, items: TarItem[]) {
  const seenInodes = new Map<number, string>();
  const paths = new Set<string>();
  for (const { entry, body } of items) {
    paths.add(entry.path);
    const info = await Deno.lstat(`${root}/${entry.path}`);
    assert.deepEqual(entry.mode, info.mode! & 0o7777, `mode of ${entry.path}`);
    assert.deepEqual(entry.mtime, Math.floor(info.mtime!.getTime() / 1000), `mtime of ${entry.path}`);
    assert.deepEqual(entry.uid, info.uid);
    if (info.isSymlink) {
      assert.deepEqual(entry.type, "symlink", entry.path);
      assert.deepEqual(entry.linkName, await Deno.readLink(`${root}/${entry.path}`));
    } else if (info.isDirectory) {
      assert.deepEqual(entry.type, "directory", entry.path);
    } else if (seenInodes.has(info.ino!)) {
      assert.deepEqual(entry.type, "hardlink", entry.path);
      assert.deepEqual(entry.linkName, seenInodes.get(info.ino!));
    } else {
      assert.deepEqual(entry.type, "file", entry.path);
      seenInodes.set(info.ino!, entry.path);
      assert.deepEqual(entry.size, info.size);
      assert.deepEqual(body, await Deno.readFile(`${root}/${entry.path}`), `content of ${entry.path}`);
    }
  }
  // Every file of the tree is in the archive.
  const all = await readTree(root);
  for (const path of all.keys()) assert.ok(paths.has(path), `${path} missing from the parsed archive`);
}

for (const format of ["gnu", "oldgnu", "pax", "posix", "ustar", "v7"] as const) {
  Deno.test(`parseTar and readTar read GNU tar --format=${format}`, async () => {
    await withTempDir(async (dir) => {
      const root = `${dir}/root`;
      await makeAwkwardTree(root, { fitUstar: format === "ustar" || format === "v7" });
      if (format === "v7") {
        // v7 has no room for names over 100 bytes: keep the short ones.
        await run("sh", ["-c", `find top -name '????????????????????????????????????????*' -prune -exec rm -rf {} +`], {
          cwd: root,
        });
      }
      const archive = `${dir}/a.tar`;
      await run("tar", [`--format=${format}`, "-cf", archive, "-C", root, "top"]);
      const bytes = await Deno.readFile(archive);
      const items = [...parseTar(bytes, { name: "a.tar" })];
      assert.ok(items.length >= 10, `only ${items.length} entries`);
      await checkAgainstTree(root, items);
      // The stream reader, fed in awkward chunk sizes, agrees.
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 777) chunks.push(bytes.slice(i, i + 777));
      const streamed: TarItem[] = [];
      for await (const item of readTar(ReadableStream.from(chunks), { name: "a.tar" })) {
        streamed.push({ entry: item.entry, body: item.body.slice() });
      }
      assert.deepEqual(streamed.map((i) => i.entry), items.map((i) => i.entry));
      assert.deepEqual(streamed.map((i) => i.body), items.map((i) => i.body));
      // The cursor, given the bytes as they arrive (in awkward steps, long names and pax bodies cut), agrees.
      for (const step of [333, 512, 4096]) assert.deepEqual(readArriving(bytes, step), items);
    });
  });
}

Deno.test("pax headers: size, mtime with fraction, uid/gid beyond octal, global headers", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "pax\n");
    const archive = `${dir}/p.tar`;
    await run("tar", [
      "--format=pax",
      "--owner=:3000000",
      "--group=:4000000",
      "--mtime=@1700000000.75",
      "--pax-option=globexthdr.name=pax_global_header,comment=hello",
      "-cf",
      archive,
      "-C",
      dir,
      "f",
    ]);
    const [item] = [...parseTar(await Deno.readFile(archive))];
    assert.deepEqual(item.entry.path, "f");
    assert.deepEqual(item.entry.uid, 3000000);
    assert.deepEqual(item.entry.gid, 4000000);
    assert.deepEqual(item.entry.mtime, 1700000000);
    assert.deepEqual(new TextDecoder().decode(item.body), "pax\n");
  });
});

Deno.test("GNU base-256: large uid and negative mtime are read and written", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "b256\n");
    const archive = `${dir}/g.tar`;
    await run("tar", ["--format=gnu", "--owner=:3000000", "--mtime=@-1000", "-cf", archive, "-C", dir, "f"]);
    const [item] = [...parseTar(await Deno.readFile(archive))];
    assert.deepEqual(item.entry.uid, 3000000);
    assert.deepEqual(item.entry.mtime, -1000);
    // kiln writes the same numbers and GNU tar reads them back.
    const out = `${dir}/k.tar`;
    await Deno.writeFile(out, writeTar([{ entry: { ...item.entry, gid: 4_000_000_000 }, body: item.body }]));
    const [fields] = await gnuList(out);
    assert.deepEqual(fields[1], "3000000/4000000000");
    assert.deepEqual(fields[3], "1969-12-31");
  });
});

Deno.test("writeTar output is read by GNU tar: names over 100 and 255 bytes, links, modes, mtimes", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/root`;
    await makeAwkwardTree(root);
    // Read the tree through GNU tar, write it again with kiln, extract with GNU tar, compare.
    await run("tar", ["--format=pax", "-cf", `${dir}/src.tar`, "-C", root, "top"]);
    const items = [...parseTar(await Deno.readFile(`${dir}/src.tar`))];
    await Deno.writeFile(`${dir}/kiln.tar`, writeTar(items));
    await Deno.mkdir(`${dir}/out`);
    await run("tar", ["-xpf", `${dir}/kiln.tar`, "-C", `${dir}/out`]);
    assert.deepEqual(await readTree(`${dir}/out`), await readTree(root));
    for (const { entry } of items) {
      const info = await Deno.lstat(`${dir}/out/${entry.path}`);
      if (!info.isSymlink) assert.deepEqual(info.mode! & 0o7777, entry.mode, entry.path);
      if (entry.type === "file") assert.deepEqual(Math.floor(info.mtime!.getTime() / 1000), entry.mtime, entry.path);
    }
    const hardLong = items.find((i) => i.entry.type === "hardlink" && i.entry.path.length > 200)!;
    assert.ok(hardLong, "the tree has a hard link with a long name");
    const a = await Deno.lstat(`${dir}/out/${hardLong.entry.path}`);
    const b = await Deno.lstat(`${dir}/out/${hardLong.entry.linkName}`);
    assert.deepEqual(a.ino, b.ino, "GNU tar made a hard link");
    // The output is GNU format: `ustar  ` magic, a ././@LongLink header for long names.
    const bytes = await Deno.readFile(`${dir}/kiln.tar`);
    assert.deepEqual(new TextDecoder().decode(bytes.subarray(257, 265)), "ustar  \0");
    assert.ok(new TextDecoder().decode(bytes).includes("././@LongLink"));
  });
});

Deno.test("tarStream writes the same bytes as writeTar, with stream bodies, and checks sizes", async () => {
  const items: { entry: TarEntry; body?: Uint8Array }[] = [
    { entry: entry("d", { type: "directory", mode: 0o755 }) },
    fileItem("d/a", "a".repeat(3000)),
    fileItem(`d/${"l".repeat(300)}`, "long"),
    { entry: entry("d/s", { type: "symlink", linkName: "a", mode: 0o777 }) },
  ];
  const whole = writeTar(items);
  const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
  const streamed = await new Response(tarStream([
    ...items.map((i) =>
      i.body ? { entry: i.entry, body: ReadableStream.from([i.body.slice(0, 10), i.body.slice(10)]) } : i
    ),
  ])).bytes();
  assert.deepEqual(streamed, whole);
  // A large body is passed through, and read back whole.
  const withBig = await new Response(tarStream([{ entry: entry("big", { size: big.length }), body: big }])).bytes();
  const [read] = [...parseTar(withBig)];
  assert.deepEqual(read.body, big);
  // A body that does not match its size is an error, not a broken archive.
  await assert.rejects(
    () =>
      new Response(tarStream([{ entry: entry("x", { size: 5 }), body: ReadableStream.from([new Uint8Array(3)]) }]))
        .bytes(),
    RangeError,
  );
  assert.throws(() => writeTar([{ entry: entry("x", { size: 5 }), body: new Uint8Array(4) }]), RangeError);
});

Deno.test("damaged archives: truncation, checksum, end marker, junk — KilnError naming archive and offset", async () => {
  const good = writeTar([fileItem("pkg/a", "x".repeat(1000)), fileItem("pkg/b", "y".repeat(10))]);
  const cases: [string, Uint8Array, string[]][] = [
    ["cut in a body", good.subarray(0, 700), ["truncated", "offset 0", "entry pkg/a"]],
    ["cut in a header", good.subarray(0, 1536 + 100), ["truncated", "partial header block"]],
    ["no end marker", good.subarray(0, 1536 + 1024), ["truncated", "no end-of-archive marker"]],
    ["checksum", corruptHeader(good, 1536), ["checksum", "offset 1536", "after pkg/a"]],
    ["not a tar", new TextEncoder().encode("just some text\n".repeat(100)), ["checksum", "offset 0"]],
  ];
  for (const [, bytes, includes] of cases) {
    assertThrowsKiln(() => [...parseTar(bytes, { name: "zlib.tar" })], "zlib.tar", ...includes);
    assertThrowsKiln(() => readArriving(bytes, 300, "zlib.tar"), "zlib.tar", ...includes);
    await assertAsyncThrowsKiln(
      async () => {
        for await (const _ of readTar(ReadableStream.from([bytes]), { name: "zlib.tar" })) { /* drain */ }
      },
      "zlib.tar",
      ...includes,
    );
  }
});

Deno.test("refused entries: sparse, unknown type, .., absolute names, hard links out of the archive", async () => {
  await withTempDir(async (dir) => {
    // A real sparse file as GNU tar stores it (type S).
    const f = await Deno.open(`${dir}/sparse`, { write: true, create: true });
    await f.truncate(1 << 20);
    await f.seek(1 << 19, Deno.SeekMode.Start);
    await f.write(new TextEncoder().encode("data"));
    f.close();
    await run("tar", ["--format=gnu", "--sparse", "-cf", `${dir}/s.tar`, "-C", dir, "sparse"]);
    assertThrowsKiln(() => [...parseTar(Deno.readFileSync(`${dir}/s.tar`), { name: "s.tar" })], "sparse", "s.tar");
    await run("tar", ["--format=pax", "--sparse", "-cf", `${dir}/sp.tar`, "-C", dir, "sparse"]);
    assertThrowsKiln(() => [...parseTar(Deno.readFileSync(`${dir}/sp.tar`), { name: "sp.tar" })], "sparse");
  });
  const unknown = writeTar([fileItem("a", "x")]);
  unknown[156] = "Q".charCodeAt(0);
  // Fix the checksum so that only the type is wrong.
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : unknown[i];
  unknown.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  assertThrowsKiln(() => [...parseTar(unknown, { name: "u.tar" })], `unknown entry type "Q"`, "u.tar");

  const malicious = maliciousArchives();
  assertThrowsKiln(() => [...parseTar(malicious["dot-dot"], { name: "m.tar" })], "unsafe entry", "top/../../escaped");
  assertThrowsKiln(() => [...parseTar(malicious["absolute"])], "unsafe entry", "/tmp/kiln-absolute-escape");
  assertThrowsKiln(() => [...parseTar(malicious["hardlink-outside"])], "unsafe hard link", "../../../etc/passwd");
});

Deno.test("names are cleaned: ./ prefix, trailing slash, the root as '.'", () => {
  const bytes = writeTar([
    { entry: entry(".", { type: "directory", mode: 0o755 }) },
    { entry: entry("./usr", { type: "directory", mode: 0o755 }) },
    { entry: entry("./usr//bin/./x", { size: 0 }) },
    { entry: entry("./usr/bin/y", { type: "hardlink", linkName: "./usr/bin/x" }) },
  ]);
  const got = [...parseTar(bytes)].map(({ entry }): Partial<TarEntry> => ({
    path: entry.path,
    type: entry.type,
    linkName: entry.linkName,
  }));
  assert.deepEqual(got, [
    { path: ".", type: "directory", linkName: undefined },
    { path: "usr", type: "directory", linkName: undefined },
    { path: "usr/bin/x", type: "file", linkName: undefined },
    { path: "usr/bin/y", type: "hardlink", linkName: "usr/bin/x" },
  ]);
});

Deno.test("readTar cancels its source when the caller stops early", async () => {
  let cancelled = false;
  const bytes = writeTar([fileItem("a", "1"), fileItem("b", "2")]);
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, 1024));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const item of readTar(source)) {
    assert.deepEqual(item.entry.path, "a");
    break;
  }
  assert.ok(cancelled);
});
