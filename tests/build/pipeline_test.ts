/**
 * Real builds through the CLI: C compiled with the host's `cc` inside the
 * sandbox (`host` mode), archives read back with GNU tar, dependencies fixed
 * from DT_NEEDED, reproducible archives, failures, -j.
 */

import assert from "node:assert/strict";
import { DB_PATH } from "../../lib/build/files.ts";
import { exists, kiln, makeRepo, mustRun, repoEnv, tarList, tarNames, withTempDir } from "../_helpers/build.ts";

const skip = Deno.uid() !== 0 ? "the host sandbox needs root" : undefined;
const opts = { ignore: skip !== undefined, sanitizeResources: false, sanitizeOps: false };

/** Expected manifest of a package directory, computed independently of kiln: kiss's `find | sort -r`. */
function expectedManifest(names: string[], pkg: string, hasEtc: boolean): string[] {
  const lines = new Set<string>();
  for (const n of names) {
    const p = n.replace(/^\.\//, "/");
    if (p === "/") continue;
    lines.add(p);
  }
  lines.add(`/${DB_PATH}/${pkg}/manifest`);
  if (hasEtc) lines.add(`/${DB_PATH}/${pkg}/etcsums`);
  const enc = (s: string) => [...new TextEncoder().encode(s)];
  return [...lines].sort((a, b) => {
    const x = enc(a), y = enc(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return y[i] - x[i];
    return y.length - x.length;
  });
}

Deno.test({
  name: "pipeline: a library and a program built in the sandbox, packaged, installed, depends fixed",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir);
      const env = repoEnv(repo);
      const r = await kiln(["build", "-y", "prog"], env);
      assert.equal(r.code, 0, r.stderr);
      const err = r.stderr;
      for (
        const line of [
          "[INFO] (1/2) will build package (implicit) libfoo",
          "[INFO] (2/2) will build package (explicit) prog",
          "[INFO] (1/2) building libfoo",
          "[INFO] sandbox: host",
          "[INFO] successfully built libfoo",
          "[INFO] inspecting ELF usr/lib/libfoo.so.1 of type DYN",
          "[INFO] created package libfoo@1.0-1.tar.zst",
          "[INFO] libfoo is needed as a dependency, installing it",
          "[INFO] (2/2) building prog",
          "[INFO] promoted make dependency libfoo of prog to runtime (usr/bin/prog needs libfoo.so.1)",
          "[INFO] created package prog@2.0-3.tar.zst",
        ]
      ) assert.ok(err.includes(line), `missing '${line}' in:\n${err}`);
      // Order of the messages: the library is built and installed before the program's build starts.
      assert.ok(err.indexOf("libfoo is needed as a dependency") < err.indexOf("(2/2) building prog"));

      // The archives, as GNU tar sees them.
      const prog = `${repo.cache}/bin/prog@2.0-3.tar.zst`;
      const listing = await tarList(prog);
      for (const line of listing) assert.match(line, /^\S+ 0\/0 /, line);
      const names = await tarNames(prog);
      assert.deepEqual(names, [...names].sort(), "entries sorted");
      for (
        const want of [
          "./usr/bin/prog",
          "./etc/prog.conf",
          `./${DB_PATH}/prog/build`,
          `./${DB_PATH}/prog/files/prog.c`,
          `./${DB_PATH}/prog/manifest`,
          `./${DB_PATH}/prog/etcsums`,
        ]
      ) assert.ok(names.includes(want), `${want} in ${names.join(" ")}`);
      const manifest = (await mustRun("tar", ["-xOaf", prog, `./${DB_PATH}/prog/manifest`])).split("\n").filter((l) =>
        l
      );
      const expected = expectedManifest(names.map((n) => n.replace(/\/$/, "/")), "prog", true);
      assert.deepEqual(manifest, expected);
      const depends = await mustRun("tar", ["-xOaf", prog, `./${DB_PATH}/prog/depends`]);
      assert.equal(depends, "libfoo\n");
      const etcsums = (await mustRun("tar", ["-xOaf", prog, `./${DB_PATH}/prog/etcsums`])).trim();
      const sha = (await mustRun("sha256sum", [`${repo.repo}/prog/files/prog.conf`])).split(" ")[0];
      assert.equal(etcsums, sha);

      // Installed into the root, runs against the root's library.
      assert.equal(await Deno.readTextFile(`${repo.root}/${DB_PATH}/prog/depends`), "libfoo\n");
      const out = await mustRun(`${repo.root}/usr/bin/prog`, [], { env: { LD_LIBRARY_PATH: `${repo.root}/usr/lib` } });
      assert.equal(out, "foo says 42\n");
      // The recipe copy in the database is the recipe (the build log went away, the work directory too).
      assert.equal(await Deno.readTextFile(`${repo.root}/${DB_PATH}/libfoo/version`), "1.0 1\n");
      assert.deepEqual([...Deno.readDirSync(`${repo.cache}/proc`)], []);
      const logs = [...Deno.readDirSync(`${repo.cache}/logs`)].flatMap((
        d,
      ) => [...Deno.readDirSync(`${repo.cache}/logs/${d.name}`)]);
      assert.deepEqual(logs, [], "logs of successful builds are removed");
      // Stripped: no symbol table left in the installed program.
      assert.doesNotMatch(await mustRun("readelf", ["-S", `${repo.root}/usr/bin/prog`]), /\.symtab/);

      // A package that links the installed libfoo without declaring it gets it added.
      const undeclared = await kiln(["build", "uses-foo"], env);
      assert.equal(undeclared.code, 0, undeclared.stderr);
      assert.ok(
        undeclared.stderr.includes("[INFO] added dependency libfoo of uses-foo (usr/bin/uses-foo needs libfoo.so.1)"),
        undeclared.stderr,
      );
      const usesFoo = `${repo.cache}/bin/uses-foo@1-1.tar.zst`;
      assert.equal(await mustRun("tar", ["-xOaf", usesFoo, `./${DB_PATH}/uses-foo/depends`]), "libfoo\n");
      // The archive is whole: its manifest lists the new depends file, and it installs.
      const usesManifest = await mustRun("tar", ["-xOaf", usesFoo, `./${DB_PATH}/uses-foo/manifest`]);
      assert.ok(usesManifest.split("\n").includes(`/${DB_PATH}/uses-foo/depends`), usesManifest);
      const installed = await kiln(["install", usesFoo], env);
      assert.equal(installed.code, 0, installed.stderr);
      assert.equal(await Deno.readTextFile(`${repo.root}/${DB_PATH}/uses-foo/depends`), "libfoo\n");
    }),
});

Deno.test({
  name: "pipeline: the same package built twice gives byte-identical archives",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir);
      const first = await kiln(["build", "libfoo"], repoEnv(repo));
      assert.equal(first.code, 0, first.stderr);
      const archive = `${repo.cache}/bin/libfoo@1.0-1.tar.zst`;
      const a = await Deno.readFile(archive);
      // Again, from another cache (another work directory), after touching the sources.
      await Deno.utime(`${repo.repo}/libfoo/files/foo.c`, new Date(), new Date());
      const env2 = { ...repoEnv(repo), KISS_CACHE: `${dir}/cache2`, SOURCE_DATE_EPOCH: String(repo.epoch) };
      const second = await kiln(["build", "libfoo"], env2);
      assert.equal(second.code, 0, second.stderr);
      const b = await Deno.readFile(`${dir}/cache2/bin/libfoo@1.0-1.tar.zst`);
      assert.equal(a.length, b.length);
      assert.deepEqual(a, b);
      // Not installed: explicit packages are only built when kiln cannot ask; the archive is printed.
      assert.equal(first.stdout.trim(), archive);
      assert.ok(first.stderr.includes("[INFO] not installing libfoo; to install: kiln install libfoo"), first.stderr);
      assert.ok(!(await exists(`${repo.root}/${DB_PATH}/libfoo`)));
    }),
});

Deno.test({
  name: "pipeline: a failing build shows the end of its log, keeps the log, leaves no work directory",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir);
      const r = await kiln(["build", "broken"], repoEnv(repo));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\[ERROR\] build of broken failed \(exit status 3\); last lines of its log:/);
      assert.ok(r.stderr.includes("  output line 30\n"), r.stderr);
      assert.ok(r.stderr.includes("  output line 11\n"));
      assert.ok(!r.stderr.includes("  output line 10\n"), "only the last 20 lines");
      const logPath = r.stderr.match(/the full log is (\S+)/)?.[1];
      assert.ok(logPath, r.stderr);
      assert.match(
        logPath,
        new RegExp(`^${repo.cache}/logs/\\d{4}-\\d\\d-\\d\\d/broken-\\d{4}-\\d\\d-\\d\\d-\\d\\d:\\d\\d-\\d+$`),
      );
      const log = await Deno.readTextFile(logPath);
      assert.ok(log.includes("output line 1\n") && log.includes("output line 30\n"));
      assert.deepEqual([...Deno.readDirSync(`${repo.cache}/proc`)], []);
      assert.ok(!(await exists(`${repo.cache}/bin/broken@1-1.tar.zst`)));

      // KISS_DEBUG keeps the work directory.
      const d = await kiln(["build", "broken"], { ...repoEnv(repo), KISS_DEBUG: "1" });
      assert.equal(d.code, 1);
      const kept = [...Deno.readDirSync(`${repo.cache}/proc`)];
      assert.equal(kept.length, 1);
      assert.ok(await exists(`${repo.cache}/proc/${kept[0].name}/build/broken/started`));
    }),
});

Deno.test({
  name: "pipeline: -j2 runs independent builds side by side; a dependent waits for its dependency's install",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir);
      const env = { ...repoEnv(repo), KISS_KEEPLOG: "1" };
      const r = await kiln(["build", "-y", "-j2", "slow-a", "slow-b", "after-a"], env);
      assert.equal(r.code, 0, r.stderr);
      const logs = new Map<string, string>();
      for (const day of Deno.readDirSync(`${repo.cache}/logs`)) {
        for (const f of Deno.readDirSync(`${repo.cache}/logs/${day.name}`)) {
          logs.set(f.name.split("-20")[0], await Deno.readTextFile(`${repo.cache}/logs/${day.name}/${f.name}`));
        }
      }
      const span = (pkg: string) => {
        const log = logs.get(pkg) ?? "";
        const start = Number(log.match(/^start (\d+)$/m)?.[1]);
        const end = Number(log.match(/^end (\d+)$/m)?.[1]);
        assert.ok(start > 0 && end >= start, `${pkg}: ${log}`);
        return { start, end };
      };
      const a = span("slow-a"), b = span("slow-b"), c = span("after-a");
      // slow-a and slow-b overlapped; after-a started after slow-a ended and saw its installed file.
      assert.ok(a.start < b.end && b.start < a.end, `a ${a.start}-${a.end}, b ${b.start}-${b.end}`);
      assert.ok(c.start >= a.end);
      assert.ok((logs.get("after-a") ?? "").includes("found /usr/share/slow-a/marker"), logs.get("after-a"));
    }),
});

Deno.test({
  name:
    "pipeline: without a terminal to ask, explicit packages are built, not installed; a missing package stops before work",
  ...opts,
  fn: () =>
    withTempDir(async (dir) => {
      const repo = await makeRepo(dir);
      const r = await kiln(["build", "prog"], repoEnv(repo));
      assert.equal(r.code, 0, r.stderr);
      assert.ok(await exists(`${repo.root}/${DB_PATH}/libfoo`), "the implicit dependency is installed");
      assert.ok(!(await exists(`${repo.root}/${DB_PATH}/prog`)), "the explicit package is not");
      assert.equal(r.stdout.trim(), `${repo.cache}/bin/prog@2.0-3.tar.zst`);

      const missing = await kiln(["build", "-y", "no-such-package"], repoEnv(repo));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no-such-package/);
      assert.ok(!(await exists(`${repo.cache}/proc`)) || [...Deno.readDirSync(`${repo.cache}/proc`)].length === 0);
    }),
});
