import assert from "node:assert/strict";
import { inspectObject, readElf } from "../../lib/build/elf.ts";
import { KilnError } from "../../lib/errors.ts";
import { compileC, mustRun, withTempDir } from "../_helpers/build.ts";

const LIB = `int foo_answer(void) { return 42; }\n`;
const PROG = `#include <stdio.h>\nint foo_answer(void);\nint main(void) { printf("%d\\n", foo_answer()); return 0; }\n`;
const HELLO = `#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n`;

/** The NEEDED entries `readelf -d` reports, to check the reader against a real tool. */
async function readelfNeeded(path: string): Promise<string[]> {
  const out = await mustRun("readelf", ["-d", path]);
  return [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

Deno.test("elf: a PIE executable is an executable that needs libc", async () => {
  await withTempDir(async (dir) => {
    const exe = await compileC(dir, "hello", HELLO, ["-fPIE", "-pie"]);
    const elf = await readElf(exe);
    assert.ok(elf);
    assert.equal(elf.type, "DYN");
    assert.equal(elf.kind, "executable");
    assert.equal(elf.pie, true);
    assert.equal(elf.bits, 64);
    assert.equal(elf.endian, "little");
    assert.ok(elf.interpreter?.includes("ld-"), `interpreter ${elf.interpreter}`);
    assert.deepEqual(elf.needed, await readelfNeeded(exe));
    assert.ok(elf.needed.some((n) => n.startsWith("libc.so")));
    assert.equal(elf.soname, undefined);
  });
});

Deno.test("elf: a non-PIE executable is EXEC", async () => {
  await withTempDir(async (dir) => {
    const exe = await compileC(dir, "hello", HELLO, ["-fno-PIE", "-no-pie"]);
    const elf = await readElf(exe);
    assert.equal(elf?.type, "EXEC");
    assert.equal(elf?.kind, "executable");
    assert.equal(elf?.pie, false);
  });
});

Deno.test("elf: a shared library with a soname and a runpath, and a program linked to it", async () => {
  await withTempDir(async (dir) => {
    const lib = await compileC(
      dir,
      "foo",
      LIB,
      [
        "-shared",
        "-fPIC",
        "-Wl,-soname,libfoo.so.1",
        "-Wl,-rpath,/opt/foo/lib:$ORIGIN/../lib",
        "-Wl,--enable-new-dtags",
      ],
      "libfoo.so.1.0",
    );
    const elf = await readElf(lib);
    assert.ok(elf);
    assert.equal(elf.type, "DYN");
    assert.equal(elf.kind, "shared-library");
    assert.equal(elf.pie, false);
    assert.equal(elf.soname, "libfoo.so.1");
    assert.deepEqual(elf.runpath, ["/opt/foo/lib", "$ORIGIN/../lib"]);
    assert.deepEqual(elf.rpath, []);
    assert.equal(elf.interpreter, undefined);

    await Deno.symlink("libfoo.so.1.0", `${dir}/libfoo.so`);
    await Deno.writeTextFile(`${dir}/prog.c`, PROG);
    await mustRun("cc", [
      "-o",
      `${dir}/prog2`,
      `${dir}/prog.c`,
      `-L${dir}`,
      "-lfoo",
      "-Wl,--disable-new-dtags,-rpath,/usr/lib/foo",
    ]);
    const p2 = await readElf(`${dir}/prog2`);
    assert.ok(p2);
    assert.ok(p2.needed.includes("libfoo.so.1"), `needed: ${p2.needed}`);
    assert.deepEqual(p2.needed, await readelfNeeded(`${dir}/prog2`));
    assert.deepEqual(p2.rpath, ["/usr/lib/foo"]);
    assert.deepEqual(p2.runpath, []);
  });
});

Deno.test("elf: object files are REL, static archives list their members' types", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.c`, "int a(void) { return 1; }\n");
    await Deno.writeTextFile(`${dir}/a_very_long_member_name_for_gnu_ar.c`, "int b(void) { return 2; }\n");
    await mustRun("cc", ["-c", "a.c", "a_very_long_member_name_for_gnu_ar.c"], { cwd: dir });
    const obj = await inspectObject(`${dir}/a.o`);
    assert.equal(obj?.format, "elf");
    assert.equal(obj?.format === "elf" && obj.type, "REL");
    assert.equal(obj?.format === "elf" && obj.kind, "object");

    await Deno.writeTextFile(`${dir}/notes.txt`, "odd\n");
    await mustRun("ar", ["rcs", "libab.a", "a.o", "a_very_long_member_name_for_gnu_ar.o", "notes.txt"], { cwd: dir });
    const ar = await inspectObject(`${dir}/libab.a`);
    assert.equal(ar?.format, "ar");
    assert.deepEqual(ar?.format === "ar" && ar.members, [
      { name: "a.o", type: "REL" },
      { name: "a_very_long_member_name_for_gnu_ar.o", type: "REL" },
      { name: "notes.txt", type: undefined },
    ]);
    // readElf answers only for ELF files.
    assert.equal(await readElf(`${dir}/libab.a`), undefined);
  });
});

Deno.test("elf: files that are not ELF give undefined", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/script`, "#!/bin/sh\necho hi\n");
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    await Deno.writeFile(`${dir}/three`, new Uint8Array([0x7f, 0x45, 0x4c]));
    assert.equal(await inspectObject(`${dir}/script`), undefined);
    assert.equal(await inspectObject(`${dir}/empty`), undefined);
    assert.equal(await inspectObject(`${dir}/three`), undefined);
  });
});

Deno.test("elf: truncated or corrupt ELF files are refused with the file's path", async () => {
  await withTempDir(async (dir) => {
    const exe = await compileC(dir, "hello", HELLO, []);
    const bytes = await Deno.readFile(exe);
    for (const cut of [10, 40, 64, 200]) {
      const path = `${dir}/cut-${cut}`;
      await Deno.writeFile(path, bytes.subarray(0, cut));
      await assert.rejects(readElf(path), (err: unknown) => {
        assert.ok(err instanceof KilnError, String(err));
        assert.match(err.message, new RegExp(`^${path}: damaged ELF file`));
        assert.ok(err.hint);
        return true;
      });
    }
    const bad = bytes.slice();
    bad[4] = 7; // EI_CLASS
    await Deno.writeFile(`${dir}/badclass`, bad);
    await assert.rejects(readElf(`${dir}/badclass`), /unknown ELF class 7/);

    await mustRun("cc", ["-c", "-o", `${dir}/x.o`, `${dir}/hello.c`]);
    await mustRun("ar", ["rcs", `${dir}/lib.a`, `${dir}/x.o`]);
    const ar = await Deno.readFile(`${dir}/lib.a`);
    await Deno.writeFile(`${dir}/cut.a`, ar.subarray(0, ar.length - 100));
    await assert.rejects(inspectObject(`${dir}/cut.a`), /damaged archive: member at byte \d+ runs past the end/);
  });
});
