/**
 * The libc and Landlock bindings (ffi/): errors carry errno and the C
 * library's text, Landlock's ABI is read from the kernel, rights are masked
 * to it, and openat2 keeps lookups inside a directory.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { abiVersion, ACCESS_FS, ACCESS_NET, SCOPE, supportedRights } from "../../ffi/landlock.ts";
import { AT_FDCWD, close, linkat, O, openat, openat2, RESOLVE } from "../../ffi/fs.ts";
import { mount } from "../../ffi/process.ts";
import { ERRNO, SyscallError } from "../../ffi/libc.ts";

Deno.test("a failed call throws SyscallError with errno, its name and the C library's text", () => {
  throws(() => mount(null, "/no/such/kiln/target", null, 0), (err: SyscallError) => {
    ok(err instanceof SyscallError);
    strictEqual(err.call, "mount");
    strictEqual(err.errno, ERRNO.ENOENT);
    strictEqual(err.code, "ENOENT");
    strictEqual(err.reason, "No such file or directory");
    strictEqual(err.message, "mount /no/such/kiln/target: No such file or directory");
    return true;
  });
});

Deno.test("Landlock: the kernel's ABI, and rights masked to what it knows", () => {
  const abi = abiVersion();
  ok(abi >= 1, `Landlock ABI ${abi}: the sandbox needs Landlock`);
  deepStrictEqual(supportedRights(0), { fs: 0n, net: 0n, scoped: 0n });
  const v1 = supportedRights(1);
  strictEqual(v1.fs & ACCESS_FS.REFER, 0n);
  strictEqual(v1.fs & ACCESS_FS.MAKE_SYM, ACCESS_FS.MAKE_SYM);
  strictEqual(supportedRights(3).fs & ACCESS_FS.TRUNCATE, ACCESS_FS.TRUNCATE);
  strictEqual(supportedRights(3).net, 0n);
  strictEqual(supportedRights(4).net, ACCESS_NET.BIND_TCP | ACCESS_NET.CONNECT_TCP);
  strictEqual(supportedRights(5).scoped, 0n);
  strictEqual(supportedRights(6).scoped, SCOPE.ABSTRACT_UNIX_SOCKET | SCOPE.SIGNAL);
  strictEqual(supportedRights(99).fs & ACCESS_FS.IOCTL_DEV, ACCESS_FS.IOCTL_DEV);
});

Deno.test("openat2 RESOLVE_IN_ROOT follows an absolute link inside the directory; linkat links a link itself", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-ffi-" });
  try {
    await Deno.mkdir(`${dir}/usr/lib`, { recursive: true });
    await Deno.writeTextFile(`${dir}/usr/lib/inside`, "inside");
    await Deno.symlink("/usr/lib", `${dir}/lib`);
    const top = openat(AT_FDCWD, dir, O.PATH | O.DIRECTORY | O.CLOEXEC);
    try {
      const lib = openat2(top, "lib", O.PATH | O.DIRECTORY | O.CLOEXEC, RESOLVE.IN_ROOT);
      strictEqual(Deno.readLinkSync(`/proc/self/fd/${lib}`), `${dir}/usr/lib`);
      close(lib);
      throws(() => openat2(top, "lib", O.PATH | O.DIRECTORY, RESOLVE.NO_SYMLINKS), (err: SyscallError) => {
        strictEqual(err.code, "ELOOP");
        return true;
      });
      linkat(top, "lib", top, "lib-link", 0);
      strictEqual(Deno.readLinkSync(`${dir}/lib-link`), "/usr/lib");
    } finally {
      close(top);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
