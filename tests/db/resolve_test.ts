import assert from "node:assert/strict";
import { RootResolver } from "../../lib/db/resolve.ts";
import { KilnError } from "../../lib/errors.ts";
import { tempDir } from "../_helpers/fixtures.ts";

Deno.test("RootResolver follows the root's linked directories, never leaving the root", async () => {
  await using tmp = await tempDir();
  const root = tmp.path;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.mkdirSync(`${root}/usr/lib`, { recursive: true });
  Deno.symlinkSync("usr/bin", `${root}/bin`);
  Deno.symlinkSync("/usr/lib", `${root}/lib`); // absolute: relative to the root, not the host
  Deno.symlinkSync("lib", `${root}/lib64`);
  Deno.symlinkSync("../../..", `${root}/usr/lib/up`);
  Deno.symlinkSync("/etc", `${root}/usr/lib/hostetc`);
  const r = new RootResolver(root);
  assert.equal(r.resolve("/bin/sh"), "/usr/bin/sh");
  assert.equal(r.resolve("/lib64/libc.so"), "/usr/lib/libc.so");
  assert.equal(r.resolve("/lib/"), "/usr/lib/");
  assert.equal(r.resolve("/bin"), "/bin", "a file path keeps its last component");
  assert.equal(r.resolveDir("/usr/lib/up"), "/", "'..' stops at the root");
  assert.equal(r.resolve("/usr/lib/hostetc/passwd"), "/etc/passwd", "an absolute target is inside the root");
  assert.equal(r.resolve("/missing/dir/file"), "/missing/dir/file");
  assert.equal(r.host("/etc/passwd"), `${root}/etc/passwd`);
  assert.deepEqual(new Set(r.followed.keys()), new Set(["/bin", "/lib", "/lib64", "/usr/lib/up", "/usr/lib/hostetc"]));
});

Deno.test("RootResolver: a loop of links is a KilnError", async () => {
  await using tmp = await tempDir();
  Deno.symlinkSync("b", `${tmp.path}/a`);
  Deno.symlinkSync("a", `${tmp.path}/b`);
  assert.throws(
    () => new RootResolver(tmp.path).resolve("/a/file"),
    (e) => e instanceof KilnError && /too many levels/.test(e.message),
  );
});
