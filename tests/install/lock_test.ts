import assert from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
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

for (const flags of [[], ["--deny-ffi"]]) {
  const how = flags.length ? " (without the C library: Deno's own file lock)" : "";
  Deno.test(`a second kiln waits for the lock, says who holds it, and goes on once it is free${how}`, () =>
    waitsForTheLock(flags));
}

async function waitsForTheLock(flags: string[]) {
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
    args: [
      "run",
      "-A",
      ...flags,
      "--quiet",
      `--config=${PROJECT_DIR}/deno.json`,
      `${PROJECT_DIR}/main.ts`,
      "install",
      pkg,
    ],
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
  // Without the C library the runtime also denies reading /proc/locks (it asks for every permission): no holder.
  const named = flags.length ? "( \\(held by process \\d+\\))?$" : " \\(held by process \\d+\\)";
  assert.match(stderr, new RegExp(`waiting for the lock on ${lockFile(db)}${named}`, "m"));
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
}

Deno.test("a lock file that cannot be opened is an error naming it and saying what to check", async () => {
  await using tmp = await tempDir();
  // The database directory is a file; then the lock file is a directory.
  Deno.writeTextFileSync(`${tmp.path}/file`, "x");
  Deno.mkdirSync(`${tmp.path}/db/.kiln-lock`, { recursive: true });
  for (const db of [`${tmp.path}/file/db`, `${tmp.path}/db`]) {
    await assert.rejects(() => RootLock.acquire(db, testLog()), (err) => {
      assert.ok(err instanceof KilnError, String(err));
      assert.match(err.message, new RegExp(`cannot open the lock file ${lockFile(db)}: `));
      assert.equal(err.hint, "check that the root exists and is writable");
      return true;
    });
  }
});
