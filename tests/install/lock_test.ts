import assert from "node:assert/strict";
import { lockFile, RootLock } from "../../lib/install/lock.ts";
import { PROJECT_DIR } from "../_helpers/cli.ts";
import { baseEnv } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import { makeArchive, testLog } from "../_helpers/packages.ts";

Deno.test("the root lock is an flock other programs see, released by release()", async () => {
  await using tmp = await tempDir();
  const db = `${tmp.path}/var/db/kiss`;
  const lock = await RootLock.acquire(db, testLog());
  const probe = () => new Deno.Command("flock", { args: ["-n", lockFile(db), "true"] }).outputSync().code;
  assert.equal(probe(), 1, "held");
  lock.release();
  assert.equal(probe(), 0, "released");
});

Deno.test("a second kiln waits for the lock, says who holds it, and goes on once it is free", async () => {
  await using tmp = await tempDir();
  const root = `${tmp.path}/root`;
  const db = `${root}/var/db/kiss`;
  Deno.mkdirSync(db, { recursive: true });
  const pkg = await makeArchive({ name: "a", files: { "usr/bin/a": "a" } }, `${tmp.path}/pkgs`);
  // Another process holds the lock until its stdin closes.
  const holder = new Deno.Command("flock", {
    args: [lockFile(db), "sh", "-c", "echo locked; read _"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  assert.match(new TextDecoder().decode((await reader.read()).value), /locked/);

  const kiln = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`, "install", pkg],
    env: { ...baseEnv(), KISS_ROOT: root, KISS_FSYNC: "0" },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const errReader = kiln.stderr.getReader();
  let stderr = "";
  while (!/waiting for the lock/.test(stderr)) {
    const { value, done } = await errReader.read();
    assert.ok(!done, `kiln ended without waiting: ${stderr}`);
    stderr += new TextDecoder().decode(value);
  }
  assert.match(stderr, new RegExp(`waiting for the lock on ${lockFile(db)} \\(held by process \\d+\\)`));
  let installed = true;
  try {
    Deno.statSync(`${root}/usr/bin/a`);
  } catch {
    installed = false;
  }
  assert.equal(installed, false, "nothing is installed while the lock is held");

  const w = holder.stdin.getWriter();
  await w.close();
  await reader.cancel();
  await holder.status;
  for (;;) {
    const { value, done } = await errReader.read();
    if (done) break;
    stderr += new TextDecoder().decode(value);
  }
  const status = await kiln.status;
  assert.equal(status.code, 0, stderr);
  assert.match(stderr, /lock acquired/);
  assert.equal(Deno.readTextFileSync(`${root}/usr/bin/a`), "a");
});
