/**
 * KISS_SANDBOX: which sandbox a build gets.
 */

import { notStrictEqual, strictEqual, throws } from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { KilnError } from "../../lib/errors.ts";
import { hasBase, resolveMode, resolveSandboxMode } from "../../lib/sandbox/mode.ts";

async function withRoot(withBase: boolean, fn: (root: string) => void): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "kiln-mode-" });
  try {
    if (withBase) {
      await Deno.mkdir(`${root}/var/db/kiss/installed/base`, { recursive: true });
      await Deno.writeTextFile(`${root}/var/db/kiss/installed/base/manifest`, "/var/db/kiss/installed/base/manifest\n");
    }
    fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("auto is hermetic with base installed, host without, landlock without root", async () => {
  await withRoot(true, (root) => {
    strictEqual(hasBase(root), true);
    strictEqual(resolveSandboxMode(loadConfig({ KISS_SANDBOX: "auto" }), root, 0), "hermetic");
    strictEqual(resolveSandboxMode(loadConfig({}), root, 1000), "landlock");
  });
  await withRoot(false, (root) => {
    strictEqual(hasBase(root), false);
    strictEqual(resolveSandboxMode(loadConfig({}), root, 0), "host");
    strictEqual(resolveSandboxMode(loadConfig({}), root, 1000), "landlock");
  });
});

Deno.test("explicit modes are kept; none and landlock need no root", async () => {
  await withRoot(true, (root) => {
    for (const mode of ["hermetic", "host", "none"] as const) strictEqual(resolveMode(mode, root, 0), mode);
    strictEqual(resolveMode("none", root, 1000), "none");
    strictEqual(resolveMode("landlock", root, 1000), "landlock");
  });
});

Deno.test("as root, Landlock alone is never chosen, and asking for it is refused with a hint", async () => {
  for (const withBase of [true, false]) {
    await withRoot(withBase, (root) => {
      notStrictEqual(resolveMode("auto", root, 0), "landlock");
      throws(() => resolveSandboxMode(loadConfig({ KISS_SANDBOX: "landlock" }), root, 0), (err: KilnError) => {
        strictEqual(
          err.message,
          "KISS_SANDBOX=landlock is refused as root: Landlock alone cannot stop a build running as root from " +
            "changing, reading or signalling the host",
        );
        strictEqual(
          err.hint,
          "leave KISS_SANDBOX unset (or auto, host, hermetic) to build in namespaces; where namespaces cannot be " +
            "made, run kiln as an unprivileged user, whose Landlock mode holds",
        );
        return true;
      });
    });
  }
});

Deno.test("hermetic or host without root, and hermetic without base, are refused with a hint", async () => {
  await withRoot(true, (root) => {
    throws(() => resolveMode("hermetic", root, 1000), (err: KilnError) => {
      strictEqual(err.message, "KISS_SANDBOX=hermetic needs root privileges (namespaces and mounts)");
      strictEqual(err.hint, "run kiln as root, or set KISS_SANDBOX=landlock (or auto) to build with Landlock alone");
      return true;
    });
    throws(() => resolveMode("host", root, 1000), KilnError);
  });
  await withRoot(false, (root) => {
    throws(() => resolveMode("hermetic", root, 0), (err: KilnError) => {
      strictEqual(
        err.message,
        `KISS_SANDBOX=hermetic needs the 'base' package installed in ${root} (no ${root}/var/db/kiss/installed/base/manifest)`,
      );
      return true;
    });
  });
});
