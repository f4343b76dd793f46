/**
 * `kiln update` against real git repositories: a KISS_PATH whose entries are
 * category directories of one clone (pulled once), a directory that is not a
 * git work tree, a clone without upstream, and signed and unsigned commits
 * with `--require-signed` and `merge.verifySignatures` (a real GnuPG key).
 */
import assert from "node:assert/strict";
import { describe, runKiln } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "kiln test",
  GIT_AUTHOR_EMAIL: "test@kiln.invalid",
  GIT_COMMITTER_NAME: "kiln test",
  GIT_COMMITTER_EMAIL: "test@kiln.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env: { ...GIT_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).trim();
}

async function commitFile(repo: string, file: string, text: string, env: Record<string, string> = {}, sign = false) {
  Deno.mkdirSync(`${repo}/${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
  Deno.writeTextFileSync(`${repo}/${file}`, text);
  await run("git", ["-C", repo, "add", file], env);
  await run("git", ["-C", repo, "commit", "-q", sign ? "-S" : "--no-gpg-sign", "-m", `add ${file}`], env);
}

async function setup(t: string) {
  const upstream = `${t}/upstream`;
  await run("git", ["init", "-q", "--initial-branch=main", upstream]);
  await commitFile(upstream, "core/zlib/version", "1.3 1\n");
  await commitFile(upstream, "extra/curl/version", "8.0 1\n");
  const clone = `${t}/clone`;
  await run("git", ["clone", "-q", upstream, clone]);
  const plain = `${t}/plain`;
  Deno.mkdirSync(plain);
  const local = `${t}/local`;
  await run("git", ["init", "-q", local]);
  const env = {
    KISS_PATH: [`${clone}/core`, `${clone}/extra`, plain, local, `${t}/missing`].join(":"),
    ...GIT_ENV,
  };
  return { upstream, clone, plain, local, env };
}

Deno.test("kiln update pulls each work tree once and says what happened to every KISS_PATH entry", async () => {
  await using tmp = await tempDir();
  const { upstream, clone, plain, local, env } = await setup(tmp.path);
  await commitFile(upstream, "core/musl/version", "1.2 1\n");
  const dry = await runKiln(["update", "--dry-run"], { env });
  assert.equal(dry.code, 0, describe(dry));
  assert.match(dry.stderr, new RegExp(`would update ${clone} from origin/main`));
  assert.throws(() => Deno.statSync(`${clone}/core/musl`), "--dry-run pulls nothing");
  const out = await runKiln(["update"], { env });
  assert.equal(out.code, 0, describe(out));
  assert.equal(Deno.readTextFileSync(`${clone}/core/musl/version`), "1.2 1\n");
  const lines = out.stdout.trim().split("\n");
  assert.equal(lines.length, 4, out.stdout);
  assert.match(lines[0], new RegExp(`^${clone} updated [0-9a-f]{12}\\.\\.[0-9a-f]{12}$`));
  assert.equal(lines[1], `${plain} skipped not a git work tree`);
  assert.equal(lines[2], `${local} skipped the current branch has no upstream`);
  assert.equal(lines[3], `${tmp.path}/missing skipped no such directory`);

  const again = await runKiln(["update", "--json"], { env });
  assert.equal(again.code, 0);
  assert.equal(JSON.parse(again.stdout)[0].status, "up to date");
});

Deno.test("kiln update --require-signed: unsigned commits are refused, signed ones pulled", async () => {
  await using tmp = await tempDir();
  const { upstream, clone, env } = await setup(tmp.path);
  const gnupg = `${tmp.path}/gnupg`;
  Deno.mkdirSync(gnupg, { mode: 0o700 });
  const gpg = { GNUPGHOME: gnupg };
  try {
    await run("gpg", [
      "--batch",
      "--passphrase",
      "",
      "--quick-gen-key",
      "kiln test <test@kiln.invalid>",
      "ed25519",
      "sign",
      "never",
    ], gpg);
    const fpr = (await run("gpg", ["--list-secret-keys", "--with-colons"], gpg)).split("\n")
      .find((l) => l.startsWith("fpr"))!.split(":")[9];
    await run("git", ["-C", upstream, "config", "user.signingkey", fpr]);

    const before = await run("git", ["-C", clone, "rev-parse", "HEAD"]);
    await commitFile(upstream, "core/evil/version", "6.6.6 1\n");
    let out = await runKiln(["update", "--require-signed"], { env: { ...env, ...gpg } });
    assert.equal(out.code, 1, describe(out));
    assert.match(out.stdout, new RegExp(`^${clone} failed .*does not have a GPG signature`, "m"));
    assert.equal(await run("git", ["-C", clone, "rev-parse", "HEAD"]), before, "nothing was merged");

    // merge.verifySignatures set in the repository refuses the same without the flag.
    await run("git", ["-C", clone, "config", "merge.verifySignatures", "true"]);
    out = await runKiln(["update"], { env: { ...env, ...gpg } });
    assert.equal(out.code, 1, describe(out));
    assert.match(out.stderr, /signature verification enabled/);

    // Once the upstream tip is signed by a trusted key, the pull goes through.
    await run("git", ["-C", upstream, "reset", "-q", "--hard", "HEAD~1"]);
    await commitFile(upstream, "core/good/version", "1 1\n", gpg, true);
    out = await runKiln(["update", "--require-signed"], { env: { ...env, ...gpg } });
    assert.equal(out.code, 0, describe(out));
    assert.equal(Deno.readTextFileSync(`${clone}/core/good/version`), "1 1\n");
  } finally {
    // The agent gpg started for this key directory.
    await new Deno.Command("gpgconf", {
      args: ["--kill", "gpg-agent"],
      env: gpg,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    })
      .output().catch(() => {});
  }
});
