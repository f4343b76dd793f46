/**
 * Fault injection: kiln run as a real process and killed with SIGKILL after
 * each of its durable steps (`KISS_FAULT_AFTER=N`), across install, upgrade
 * with /etc changes, a run of two packages, an alternative swap and remove.
 * After every kill, the repair every locked command starts with must leave
 * the root either exactly as before the command or exactly as after it,
 * consistent (manifests match the disk, nothing unowned, no temporary file);
 * and, when it was rolled back, running the command again must give the
 * state it gives when nothing goes wrong.
 */
import assert from "node:assert/strict";
import { Durability } from "../../lib/install/durability.ts";
import { recoverRoot } from "../../lib/install/recover.ts";
import type { Session } from "../../lib/install/session.ts";
import { Steps } from "../../lib/install/steps.ts";
import { installArchives } from "../../lib/install/transaction.ts";
import { removePackages } from "../../lib/install/remove.ts";
import { swapAlternative } from "../../lib/install/alternatives.ts";
import type { Config } from "../../lib/config.ts";
import { baseEnv, PROJECT_DIR } from "../_helpers/cli.ts";
import { tempDir } from "../_helpers/fixtures.ts";
import {
  diffSnapshots,
  type FileSpec,
  inconsistencies,
  makeArchive,
  type NodeState,
  rootConfig,
  snapshot,
  testLog,
} from "../_helpers/packages.ts";

const ignoreDerived = (rel: string) => /^\/var\/db\/kiss\/\.kiln-(owners|lock)$/.test(rel);

interface Op {
  name: string;
  /** The pre-state's root (a template, copied for each run). */
  before: string;
  args: string[];
  env?: Record<string, string>;
  /** Does the same in-process. */
  run: (config: Config) => Promise<void>;
  /** For a run of several packages: each package's own install, in the order kiln takes them. */
  stages?: ((config: Config) => Promise<void>)[];
  /** Files that may be unowned after the op (kept user configuration, FILE.new). */
  unowned: string[];
  /** A remove is committed from its first step: it is always completed, never rolled back. */
  forwardOnly?: boolean;
}

async function copyTree(from: string, to: string) {
  const out = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  assert.ok(out.success, "cp -a");
}

async function killedRun(op: Op, root: string, k: number): Promise<Deno.CommandStatus> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", `--config=${PROJECT_DIR}/deno.json`, `${PROJECT_DIR}/main.ts`, ...op.args],
    env: { ...baseEnv(), KISS_ROOT: root, KISS_FSYNC: "0", KISS_FAULT_AFTER: String(k), ...op.env },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return await child.status;
}

function repair(root: string, env: Record<string, string> = {}): string[] {
  const config = rootConfig(root, env);
  const log = testLog();
  const session: Session = {
    config,
    paths: config,
    log,
    steps: new Steps({}),
    durability: new Durability({ KISS_FSYNC: "0" }),
  };
  recoverRoot(session);
  return log.events.lines();
}

Deno.test("SIGKILL at every step of install, upgrade, a run of two, a swap and remove is repaired", async () => {
  await using tmp = await tempDir();
  const t = tmp.path;
  const pkgs = `${t}/pkgs`;
  const lib = await makeArchive({
    name: "lib",
    files: { "usr/lib/liblib.so.1": "lib", "usr/share/common/lib.txt": "lib", "etc/lib.conf": "lib=1\n" },
  }, pkgs);
  /**
   * `app` at `version` (its `n`th), depending on lib: a program printing `n`,
   * `libapp.so.n` holding `lib` and the `libapp.so` link to it, `setting=n`
   * in `/etc/app.conf`, and `files`.
   */
  const app = (version: string, n: number, lib: string, files: Record<string, FileSpec>) =>
    makeArchive({
      name: "app",
      version,
      depends: ["lib"],
      files: {
        "usr/bin/app": { content: `#!/bin/sh\necho ${n}\n`, mode: 0o755 },
        [`usr/lib/libapp.so.${n}`]: lib,
        "usr/lib/libapp.so": { symlink: `libapp.so.${n}` },
        "etc/app.conf": `setting=${n}\n`,
        ...files,
      },
    }, pkgs);
  const v1 = await app("1.0", 1, "one", {
    "usr/share/app/a": "a",
    "usr/share/app/gone/x": "goes away in 2.0",
    "usr/share/common/app.txt": "app",
    "etc/app.d/old.conf": "old\n",
  });
  const v2 = await app("2.0", 2, "two", {
    "usr/share/app/a": "a2",
    "usr/share/app/b": "b",
    "usr/share/common/app.txt": "app2",
    "etc/app.d/new.conf": "new\n",
  });
  const tool = await makeArchive(
    { name: "tool", files: { "usr/bin/tool": "t", "usr/share/doc/tool/README": "r" } },
    pkgs,
  );
  const extra = await makeArchive({ name: "extra", depends: ["tool"], files: { "usr/bin/extra": "e" } }, pkgs);
  const alt = await makeArchive({ name: "alt", files: { "usr/bin/app": { content: "alt", mode: 0o755 } } }, pkgs);

  // Pre-states.
  const base = `${t}/base`;
  Deno.mkdirSync(base);
  await installArchives(rootConfig(base), [lib], testLog());
  const withV1 = `${t}/with-v1`;
  await copyTree(base, withV1);
  await installArchives(rootConfig(withV1), [v1], testLog());
  Deno.writeTextFileSync(`${withV1}/etc/app.conf`, "setting=mine\n");
  const withV2 = `${t}/with-v2`;
  await copyTree(withV1, withV2);
  await installArchives(rootConfig(withV2), [v2], testLog());
  const withAlt = `${t}/with-alt`;
  await copyTree(withV2, withAlt);
  await installArchives(rootConfig(withAlt, { KISS_CHOICE: "1" }), [alt], testLog());

  const ops: Op[] = [
    {
      name: "install",
      before: base,
      args: ["install", v1],
      run: (c) => installArchives(c, [v1], testLog()),
      unowned: [],
    },
    {
      name: "upgrade with /etc changes",
      before: withV1,
      args: ["install", v2],
      run: (c) => installArchives(c, [v2], testLog()),
      unowned: ["/etc/app.conf.new"],
    },
    {
      name: "install of two packages",
      before: withV1,
      args: ["install", extra, tool],
      run: (c) => installArchives(c, [extra, tool], testLog()),
      stages: [(c) => installArchives(c, [tool], testLog()), (c) => installArchives(c, [extra], testLog())],
      unowned: [],
    },
    {
      name: "alternative swap",
      before: withAlt,
      args: ["alternatives", "alt", "/usr/bin/app"],
      run: (c) => swapAlternative(c, "alt", "/usr/bin/app", testLog()),
      unowned: ["/etc/app.conf.new"],
    },
    {
      name: "remove",
      before: withV2,
      args: ["remove", "app"],
      run: (c) => removePackages(c, ["app"], testLog()),
      unowned: ["/etc/app.conf.new", "/etc/app.conf"],
      forwardOnly: true,
    },
  ];

  let points = 0;
  const perOp: string[] = [];
  for (const op of ops) {
    const startPoints = points;
    const pre = snapshot(op.before, ignoreDerived);
    const reference = `${t}/ref-${points}`;
    await copyTree(op.before, reference);
    // Each package of a run is its own transaction: the state after each one is a valid outcome.
    const between: Map<string, NodeState>[] = [];
    for (const stage of op.stages ?? []) {
      await stage(rootConfig(reference, op.env));
      between.push(snapshot(reference, ignoreDerived));
    }
    if (!op.stages) await op.run(rootConfig(reference, op.env));
    const post = snapshot(reference, ignoreDerived);
    assert.notDeepEqual(pre, post, `${op.name} changes the root`);
    const allowed = (rel: string) => op.unowned.includes(rel);
    assert.deepEqual(inconsistencies(reference, allowed), [], `${op.name}: the reference run is consistent`);

    let finished = false;
    let outcomes = { before: 0, after: 0 };
    for (let k = 1; !finished; k += 3) {
      const batch = [k, k + 1, k + 2];
      const roots = batch.map((n) => `${t}/${op.name.replace(/\W+/g, "-")}-${n}`);
      await Promise.all(roots.map((r) => copyTree(op.before, r)));
      const statuses = await Promise.all(batch.map((n, i) => killedRun(op, roots[i], n)));
      for (let i = 0; i < batch.length; i++) {
        const root = roots[i], n = batch[i], status = statuses[i];
        if (status.success) {
          finished = true;
          assert.deepEqual(diffSnapshots(post, snapshot(root, ignoreDerived)), [], `${op.name}: an uninterrupted run`);
        } else if (!finished) {
          assert.equal(status.signal, "SIGKILL", `${op.name}: step ${n} ends by the injected SIGKILL`);
          points++;
          repair(root, op.env);
          const repaired = snapshot(root, ignoreDerived);
          const asBefore = [pre, ...between.slice(0, -1)].some((s) => diffSnapshots(s, repaired).length === 0);
          const asAfter = diffSnapshots(post, repaired).length === 0;
          assert.ok(
            asBefore || asAfter,
            `${op.name}, killed after step ${n}: neither rolled back nor completed:\n${
              diffSnapshots(post, repaired).join("\n")
            }`,
          );
          outcomes = { before: outcomes.before + (asBefore ? 1 : 0), after: outcomes.after + (asAfter ? 1 : 0) };
          assert.deepEqual(inconsistencies(root, allowed), [], `${op.name}, killed after step ${n}`);
          // When rolled back, running the command again gives the uninterrupted result.
          if (!asAfter) {
            await op.run(rootConfig(root, op.env));
            assert.deepEqual(diffSnapshots(post, snapshot(root, ignoreDerived)), [], `${op.name}, step ${n}, rerun`);
          }
        }
        await Deno.remove(root, { recursive: true });
      }
    }
    if (op.forwardOnly) assert.equal(outcomes.before, 0, `${op.name}: never rolled back`);
    else assert.ok(outcomes.before > 0, `${op.name}: early kills are rolled back`);
    assert.ok(outcomes.after > 0, `${op.name}: late kills are completed`);
    perOp.push(`${op.name}: ${points - startPoints} (${outcomes.before} rolled back, ${outcomes.after} completed)`);
  }
  assert.ok(points >= 100, `${points} kill points`);
  console.log(`${points} distinct kill points, all repaired: ${perOp.join("; ")}`);
});

Deno.test("after a SIGKILL the next kiln command repairs the root and says so", async () => {
  await using tmp = await tempDir();
  const pkgs = `${tmp.path}/pkgs`;
  const a = await makeArchive({ name: "a", files: { "usr/bin/a": "a", "usr/share/a/1": "1" } }, pkgs);
  const b = await makeArchive({ name: "b", files: { "usr/bin/b": "b" } }, pkgs);
  for (const k of [4, 12]) {
    const root = `${tmp.path}/root-${k}`;
    Deno.mkdirSync(root);
    const op: Op = { name: "a", before: root, args: ["install", a], run: () => Promise.resolve(), unowned: [] };
    const status = await killedRun(op, root, k);
    assert.equal(status.signal, "SIGKILL");
    assert.ok(Deno.statSync(`${root}/var/db/kiss/.kiln-journal`).isFile, "the journal is left behind");
    const { runKiln } = await import("../_helpers/cli.ts");
    const out = await runKiln(["install", b], { env: { KISS_ROOT: root, KISS_FSYNC: "0" } });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /\[WARN\] an interrupted install of a was found in .* and (rolled back|completed)/);
    assert.deepEqual(inconsistencies(root), []);
    assert.ok(Deno.statSync(`${root}/usr/bin/b`).isFile);
  }
});
