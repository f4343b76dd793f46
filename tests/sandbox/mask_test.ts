/**
 * Host mode hides host secrets (SPEC §7 step 8): what under `/etc` is not
 * for others' eyes is masked — the host's own `/etc`, and the `/etc` of the
 * root being built for, laid over it. The builds here run as root with
 * CAP_DAC_OVERRIDE and try to read, list, overwrite and unmask them.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { findSecrets, isNamedSecret } from "../../lib/sandbox/mask.ts";
import { compileC, ESCAPE_C, makeFakeRoot, makeStandardRoot, runScript, withScratch } from "../_helpers/sandbox.ts";

Deno.test("findSecrets: files others cannot read, directories others cannot enter, and named secrets; no link followed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kiln-mask-" });
  try {
    const file = (path: string, mode: number) => Deno.writeTextFileSync(`${dir}/${path}`, "x\n", { mode });
    const mkdir = (path: string, mode: number) => {
      Deno.mkdirSync(`${dir}/${path}`);
      Deno.chmodSync(`${dir}/${path}`, mode);
    };
    file("motd", 0o644);
    file("shadow", 0o644); // named: masked whatever its mode
    file("gshadow", 0o640);
    file("sudoers", 0o440);
    mkdir("ssh", 0o755);
    file("ssh/ssh_host_ed25519_key", 0o600);
    file("ssh/ssh_host_ed25519_key.pub", 0o644);
    file("ssh/sshd_config", 0o644);
    mkdir("ssl", 0o755);
    mkdir("ssl/private", 0o700);
    file("ssl/private/server.key", 0o600);
    mkdir("sudoers.d", 0o755); // named
    mkdir("listonly", 0o751); // others may enter but not list
    mkdir("deep", 0o755);
    mkdir("deep/er", 0o755);
    file("deep/er/token", 0o600);
    Deno.symlinkSync(`${dir}/ssh/ssh_host_ed25519_key`, `${dir}/key-link`);
    Deno.symlinkSync("/root", `${dir}/root-link`);
    Deno.chmodSync(`${dir}/shadow`, 0o644);
    const found = findSecrets(dir);
    deepStrictEqual(found.files, ["deep/er/token", "gshadow", "shadow", "ssh/ssh_host_ed25519_key", "sudoers"]);
    deepStrictEqual(found.dirs, ["listonly", "ssl/private", "sudoers.d"]);
    strictEqual(found.seen, 17); // masked directories are not walked into
    ok(isNamedSecret("shadow-") && isNamedSecret("ssh/ssh_host_rsa_key") && !isNamedSecret("ssh/ssh_host_rsa_key.pub"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("findSecrets: the cost of walking the host's /etc", () => {
  const started = performance.now();
  const found = findSecrets("/etc");
  const ms = performance.now() - started;
  console.log(
    `/etc: ${found.seen} entries, ${found.files.length} files and ${found.dirs.length} directories masked, ${
      ms.toFixed(1)
    } ms`,
  );
  if (Deno.statSync("/etc/shadow").isFile) ok(found.files.includes("shadow"));
});

async function digest(path: string): Promise<string> {
  try {
    return String(await Deno.readFile(path));
  } catch {
    return "absent";
  }
}

Deno.test("host sandbox: secrets of the host's /etc and of the root's /etc are masked, and stay masked", async () => {
  await withScratch(async (scratch) => {
    const root = `${scratch.dir}/root`;
    Deno.mkdirSync(`${root}/etc/private`, { recursive: true });
    Deno.chmodSync(`${root}/etc/private`, 0o700);
    Deno.writeTextFileSync(`${root}/etc/private/key`, "root key\n", { mode: 0o600 });
    Deno.writeTextFileSync(`${root}/etc/token`, "root token\n", { mode: 0o600 });
    Deno.writeTextFileSync(`${root}/etc/shadow`, "root:secret-hash:1::::::\n", { mode: 0o644 });
    Deno.writeTextFileSync(`${root}/etc/motd`, "welcome\n", { mode: 0o644 });
    const tools = `${scratch.dir}/tools`;
    Deno.mkdirSync(tools);
    const escape = await compileC(tools, "escape", ESCAPE_C);
    const before = await Promise.all(["/etc/shadow", `${root}/etc/token`, `${root}/etc/private/key`].map(digest));

    const run = await runScript(
      scratch,
      [
        "cat /etc/motd",
        "echo shadow:; cat /etc/shadow /etc/gshadow /etc/token",
        "echo private:; ls -A /etc/private /etc/ssl/private",
        "echo key:; cat /etc/private/key",
        "echo write:; echo x > /etc/token; cat /etc/token",
        `${escape} umount /etc/token; ${escape} umount /etc/private`,
        "echo proc:; cat /proc/self/root/etc/token /proc/1/root/etc/shadow",
        "true",
      ].join("; "),
      { mode: "host", root, readable: [tools] },
    );
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, [
      "welcome",
      "shadow:",
      "private:",
      "/etc/private:",
      "",
      "/etc/ssl/private:",
      "key:",
      "cat: /etc/private/key: No such file or directory",
      "write:", // into the /dev/null that masks it: nothing reaches the file
      "umount: Operation not permitted",
      "umount: Operation not permitted",
      "proc:", // /proc is the build's own PID namespace: /proc/1 is the build, whose /etc/shadow is the mask
    ], run.log);
    const after = await Promise.all(["/etc/shadow", `${root}/etc/token`, `${root}/etc/private/key`].map(digest));
    deepStrictEqual(after, before, "a secret changed on the host");
  });
});

Deno.test("hermetic sandbox: the root's own secrets, hard-linked into the sysroot, are masked", async () => {
  await withScratch(async (scratch) => {
    const root = `${scratch.dir}/root`;
    Deno.mkdirSync(root);
    makeStandardRoot(root);
    makeFakeRoot(root, {
      accounts: {
        hostPaths: [],
        files: { "/etc/shadow": "root:secret-hash:1::::::\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n" },
      },
    });
    Deno.chmodSync(`${root}/etc/shadow`, 0o600);
    Deno.chmodSync(`${root}/etc/passwd`, 0o644);
    const run = await runScript(scratch, "cat /etc/passwd; echo shadow:; cat /etc/shadow; echo end", {
      mode: "hermetic",
      root,
      packages: ["accounts"],
    });
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, ["root:x:0:0::/root:/bin/sh", "shadow:", "end"], run.log);
    strictEqual(Deno.readTextFileSync(`${root}/etc/shadow`), "root:secret-hash:1::::::\n");
  });
});
