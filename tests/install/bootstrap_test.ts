/**
 * A real root file system: a shell (the host's dash) and its C library
 * packaged, bootstrapped with `kiln bootstrap`, then used with chroot —
 * which is also where package scripts run.
 */
import assert from "node:assert/strict";
import { runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { inconsistencies, makeArchive } from "../_helpers/packages.ts";

const DASH = "/usr/bin/dash";
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LD = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

function available(): boolean {
  try {
    return [DASH, LIBC, LD].every((f) => Deno.statSync(f).isFile) && Deno.uid() === 0;
  } catch {
    return false;
  }
}

async function shellPackages(dir: string) {
  await makeArchive(
    {
      name: "baselayout",
      files: {
        "usr/bin/": { dir: true },
        "usr/lib/x86_64-linux-gnu/": { dir: true },
        "usr/lib64/": { dir: true },
        "bin": { symlink: "usr/bin" },
        "lib": { symlink: "usr/lib" },
        "lib64": { symlink: "usr/lib64" },
        "etc/": { dir: true },
        "tmp/": { dir: true, mode: 0o1777 },
      },
    },
    dir,
    { compress: "zst" },
  );
  await makeArchive(
    {
      name: "libc",
      depends: ["baselayout"],
      postInstall: "#!/bin/sh\necho ran > /etc/libc-configured\n",
      files: {
        "usr/lib/x86_64-linux-gnu/libc.so.6": { content: Deno.readFileSync(LIBC), mode: 0o755 },
        "usr/lib64/ld-linux-x86-64.so.2": { content: Deno.readFileSync(LD), mode: 0o755 },
      },
    },
    dir,
    { compress: "zst" },
  );
  await makeArchive(
    {
      name: "dash",
      depends: ["libc", "gcc make"],
      postInstall: "#!/bin/sh\necho configured > /etc/dash-configured\n",
      preRemove: "#!/bin/sh\necho bye > /tmp/dash-removed\n",
      files: { "usr/bin/dash": { content: Deno.readFileSync(DASH), mode: 0o755 }, "usr/bin/sh": { symlink: "dash" } },
    },
    dir,
    { compress: "zst" },
  );
}

Deno.test({
  name: "kiln bootstrap makes a root a shell can be chrooted into; package scripts run inside it",
  ignore: !available(),
  fn: async () => {
    await using tmp = await tempDir();
    const pkgs = `${tmp.path}/pkgs`;
    await shellPackages(pkgs);
    const root = `${tmp.path}/newroot`;
    const hookLog = `${tmp.path}/hook.log`;
    const hook = `${tmp.path}/hook`;
    Deno.writeTextFileSync(hook, `#!/bin/sh\necho "$@" >> "${hookLog}"\n`);
    Deno.chmodSync(hook, 0o755);
    const env = { KISS_HOOK: hook };

    const out = await runKiln(["bootstrap", root, "dash", "--from", pkgs], { env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /bootstrapping .* with 3 packages: baselayout libc dash/);
    assert.match(
      out.stderr,
      /\[WARN\] libc: cannot run post-install: .* has no \/bin\/sh/,
      "no shell yet when libc goes in",
    );
    assert.match(out.stderr, /is ready: chroot .* \/bin\/sh/);
    assert.deepEqual([...Deno.readDirSync(`${root}/var/db/kiss/installed`)].map((e) => e.name).sort(), [
      "baselayout",
      "dash",
      "libc",
    ]);
    assert.equal(Deno.readTextFileSync(`${root}/etc/dash-configured`), "configured\n", "post-install ran in the root");
    assert.throws(() => Deno.statSync("/etc/dash-configured"), "and not on the host");
    assert.equal((Deno.statSync(`${root}/tmp`).mode ?? 0) & 0o7777, 0o1777);

    const chroot = await new Deno.Command("chroot", { args: [root, "/bin/sh", "-c", "echo $((6 * 7))"] }).output();
    assert.equal(new TextDecoder().decode(chroot.stdout), "42\n");

    const hooks = Deno.readTextFileSync(hookLog).trim().split("\n");
    assert.deepEqual(hooks.map((l) => l.split(" ").slice(0, 2).join(" ")), [
      "pre-install baselayout",
      "post-install baselayout",
      "pre-install libc",
      "post-install libc",
      "pre-install dash",
      "post-install dash",
    ]);
    assert.ok(hooks[4].endsWith(".tar.zst"), "pre-install gets the archive");
    assert.equal(hooks[5], `post-install dash ${root}/var/db/kiss/installed/dash`);

    // pre-remove runs inside the root too.
    const rm = await runKiln(["remove", "dash"], { env: { ...env, KISS_ROOT: root } });
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(Deno.readTextFileSync(`${root}/tmp/dash-removed`), "bye\n");
    assert.deepEqual(Deno.readTextFileSync(hookLog).trim().split("\n").slice(-2), [
      `pre-remove dash ${root}/var/db/kiss/installed/dash`,
      `post-remove dash ${root}`,
    ]);
    const unowned = new Set(["/etc/dash-configured", "/tmp/dash-removed"]);
    assert.deepEqual(inconsistencies(root, (p) => unowned.has(p)), []);
  },
});

Deno.test("bootstrap: usage errors and a missing package", async () => {
  await using tmp = await tempDir();
  const usage = await runKiln(["bootstrap", `${tmp.path}/x`]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /bootstrap needs a directory and at least one package/);
  Deno.mkdirSync(`${tmp.path}/pkgs`);
  const missing = await runKiln(["bootstrap", `${tmp.path}/x`, "nothing", "--from", `${tmp.path}/pkgs`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no archive of nothing in/);
  assert.throws(() => Deno.statSync(`${tmp.path}/x`), "nothing was made");
});
