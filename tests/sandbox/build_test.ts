/**
 * Real builds in the sandbox: C compiled with the host's `cc` (host mode),
 * dependencies of the root being built for seen at their normal paths, the
 * hermetic sysroot's closure (declared dependencies work, undeclared ones are
 * not there), and builds that fork many processes.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { collectEvents, Log } from "../../lib/log.ts";
import { runSandboxed } from "../../lib/sandbox/run.ts";
import { makeFakeRoot, makeStandardRoot, runScript, withScratch } from "../_helpers/sandbox.ts";

const HELLO_BUILD = `#!/bin/sh -e
cat > hello.c <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from a sandboxed build"); return 0; }
EOF
cc -O2 -o hello hello.c
./hello
mkdir -p "$1/usr/bin"
cp hello "$1/usr/bin/hello"
echo "built version $2"
`;

Deno.test("host sandbox: a C program is compiled with the host's cc and installed into the package dir", async () => {
  await withScratch(async (s) => {
    const recipe = `${s.dir}/recipe`;
    await Deno.mkdir(recipe);
    await Deno.writeTextFile(`${recipe}/build`, HELLO_BUILD, { mode: 0o755 });
    const events = collectEvents();
    const lines: string[] = [];
    const result = await runSandboxed({
      mode: "host",
      root: "/",
      argv: [`${recipe}/build`, s.pkg, "1.0"],
      env: { PATH: "/usr/bin:/bin", HOME: "/root" },
      cwd: s.build,
      writable: [s.build, s.pkg],
      readable: [recipe],
      packages: [],
      workDir: s.work,
      logFile: s.logFile,
      onLine: (line) => lines.push(line),
    }, new Log(events));
    strictEqual(result.code, 0, await Deno.readTextFile(s.logFile));
    strictEqual(result.mode, "host");
    deepStrictEqual(lines, ["hello from a sandboxed build", "built version 1.0"]);
    strictEqual(await Deno.readTextFile(s.logFile), "hello from a sandboxed build\nbuilt version 1.0\n");
    ok(events.lines("info").includes("sandbox: host"));
    // The installed program is real: run it outside.
    const out = await new Deno.Command(`${s.pkg}/usr/bin/hello`, { stdout: "piped" }).output();
    strictEqual(new TextDecoder().decode(out.stdout), "hello from a sandboxed build\n");
    // Nothing of the sandbox is left in the work directory.
    deepStrictEqual([...Deno.readDirSync(s.work)], []);
  });
});

Deno.test("host sandbox: packages installed in the root show at their normal paths over the host's", async () => {
  await withScratch(async (s) => {
    const root = `${s.dir}/root`;
    await Deno.mkdir(root);
    makeFakeRoot(root, {
      kilndep: {
        hostPaths: [],
        files: {
          "/usr/include/kilndep.h": '#define KILNDEP_GREETING "from the root\'s header"\n',
          "/usr/bin/kilndep-tool": "#!/bin/sh\necho tool from the root\n",
        },
      },
    });
    const script = `cat > use.c <<'EOF'
#include <stdio.h>
#include <kilndep.h>
int main(void) { puts(KILNDEP_GREETING); return 0; }
EOF
cc -o use use.c && ./use && kilndep-tool && test -x /usr/bin/cc && echo host cc still there`;
    const run = await runScript(s, script, { mode: "host", root });
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, ["from the root's header", "tool from the root", "host cc still there"]);

    // Built for the host's own root, the header is not there.
    const without = await runScript(
      s,
      "echo '#include <kilndep.h>' > x.c && cc -c x.c 2>&1 | grep -c 'kilndep.h: No such file'",
      {
        mode: "host",
        root: "/",
      },
    );
    deepStrictEqual(without.lines, ["1"]);
  });
});

Deno.test("hermetic sandbox: declared dependencies are there, undeclared ones are not", async (t) => {
  await withScratch(async (s) => {
    const root = `${s.dir}/root`;
    await Deno.mkdir(root);
    makeStandardRoot(root);
    const script = 'echo needle | grep needle > "$PWD/found" && cat found; ls /var/db/kiss/installed';

    await t.step("a build using grep succeeds when grep is declared", async () => {
      const run = await runScript(s, script, { mode: "hermetic", root, packages: ["grep"] });
      strictEqual(run.code, 0, run.log);
      deepStrictEqual(run.lines, ["needle", "base", "grep", "libc"]);
      ok(run.messages.includes("sandbox: hermetic"));
    });

    await t.step("the same build fails when grep is not declared", async () => {
      const run = await runScript(s, "echo needle | grep needle", { mode: "hermetic", root, packages: [] });
      strictEqual(run.code, 127, run.log);
      deepStrictEqual(run.lines, ["/bin/sh: 1: grep: not found"]);
    });

    await t.step("a make dependency of base is not part of every sysroot", async () => {
      const run = await runScript(s, "sed --version", { mode: "hermetic", root, packages: [] });
      strictEqual(run.code, 127, run.log);
      deepStrictEqual(run.lines, ["/bin/sh: 1: sed: not found"]);
      const declared = await runScript(s, "echo abc | sed s/b/X/", { mode: "hermetic", root, packages: ["sed"] });
      deepStrictEqual(declared.lines, ["aXc"]);
    });

    await t.step("auto picks hermetic for a root with base", async () => {
      const run = await runScript(s, "true", { mode: "auto", root });
      strictEqual(run.mode, "hermetic");
    });

    await t.step("a declared dependency missing from the root stops the build before it starts", async () => {
      await runScript(s, "touch $PWD/ran", { mode: "hermetic", root, packages: ["zlib"] }).then(
        () => ok(false, "expected an error"),
        (err) => {
          strictEqual(err.message, `cannot make the hermetic sysroot: zlib is not installed in ${root}`);
          ok(err.hint.includes("install the build's dependencies"));
        },
      );
      await Deno.stat(`${s.build}/ran`).then(() => ok(false, "the build ran"), () => {});
    });

    await t.step("the sysroot is removed after the build; the root's files are untouched", async () => {
      deepStrictEqual([...Deno.readDirSync(s.work)].filter((e) => e.name.startsWith("sysroot-")), []);
      strictEqual((await Deno.stat(`${root}/usr/bin/cat`)).nlink, 1);
    });
  });
});

// 200 background processes (fork + exec), then 200 command substitutions (a fork each).
const FORK_200 = 'i=0; while [ "$i" -lt 200 ]; do /usr/bin/true & i=$((i+1)); done; wait; ' +
  'j=0; while [ "$j" -lt 200 ]; do j=$(echo $((j+1))); done; echo "forked $i and $j"';

Deno.test("a build that forks 200 processes succeeds (host and hermetic)", async () => {
  await withScratch(async (s) => {
    const host = await runScript(s, FORK_200, { mode: "host" });
    strictEqual(host.code, 0, host.log);
    deepStrictEqual(host.lines, ["forked 200 and 200"]);

    const root = `${s.dir}/root`;
    await Deno.mkdir(root);
    makeStandardRoot(root);
    const hermetic = await runScript(s, FORK_200, { mode: "hermetic", root });
    strictEqual(hermetic.code, 0, hermetic.log);
    deepStrictEqual(hermetic.lines, ["forked 200 and 200"]);
  });
});
