/**
 * runSandboxed: exit statuses, output to the log and to the caller, the
 * environment, the announced mode, and the errors a caller can get.
 */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { KilnError } from "../../lib/errors.ts";
import { collectEvents, Log } from "../../lib/log.ts";
import { runSandboxed, type SandboxRequest } from "../../lib/sandbox/run.ts";
import { runScript, type Scratch, withScratch } from "../_helpers/sandbox.ts";

function request(s: Scratch, overrides: Partial<SandboxRequest>): SandboxRequest {
  return {
    mode: "host",
    root: "/",
    argv: ["/bin/sh", "-c", "true"],
    env: { PATH: "/usr/bin:/bin" },
    cwd: s.build,
    writable: [s.build, s.pkg],
    packages: [],
    workDir: s.work,
    logFile: s.logFile,
    ...overrides,
  };
}

Deno.test("the build's exit status is returned, also when a signal ends it", async () => {
  await withScratch(async (s) => {
    strictEqual((await runScript(s, "exit 7", { mode: "host" })).code, 7);
    // In host and hermetic modes the build is PID 1 of its namespace, which its own signals do not end:
    // a process it starts can be killed, and its status passes through.
    strictEqual((await runScript(s, "sh -c 'kill -KILL $$'; exit $?", { mode: "host" })).code, 137);
    strictEqual((await runScript(s, "kill -KILL $$", { mode: "landlock" })).code, 137);
    strictEqual((await runScript(s, "exit 0", { mode: "landlock" })).code, 0);
  });
});

Deno.test("standard output and error go, interleaved, to the log file and to onLine", async () => {
  await withScratch(async (s) => {
    await Deno.writeTextFile(s.logFile, "header written by the caller\n");
    const lines: string[] = [];
    const result = await runSandboxed(
      request(s, {
        argv: ["/bin/sh", "-c", "echo one; echo two >&2; printf 'three\\r\\nno newline'"],
        logFile: s.logFile,
        onLine: (line) => lines.push(line),
      }),
      new Log(collectEvents()),
    );
    strictEqual(result.code, 0);
    deepStrictEqual(lines, ["one", "two", "three", "no newline"]);
    strictEqual(
      await Deno.readTextFile(s.logFile),
      "header written by the caller\none\ntwo\nthree\r\nno newline",
    );
  });
});

Deno.test("the build gets exactly the given environment, no input, and the given directory", async () => {
  await withScratch(async (s) => {
    const run = await runScript(s, "env | sort; cat; pwd", {
      mode: "host",
      env: { PATH: "/usr/bin:/bin", CFLAGS: "-O2 -pipe", SOURCE_DATE_EPOCH: "1" },
    });
    strictEqual(run.code, 0, run.log);
    deepStrictEqual(run.lines, [
      "CFLAGS=-O2 -pipe",
      "PATH=/usr/bin:/bin",
      `PWD=${s.build}`,
      "SOURCE_DATE_EPOCH=1",
      s.build,
    ]);
  });
});

Deno.test("the mode is announced for every build; none is a warning and confines nothing", async () => {
  await withScratch(async (s) => {
    const host = await runScript(s, "true", { mode: "host" });
    deepStrictEqual(
      host.messages.filter((m) => m.startsWith("sandbox: ") && !m.includes("starting") && !m.includes("control group")),
      [
        "sandbox: host",
      ],
    );
    const events = collectEvents();
    const result = await runSandboxed(
      request(s, { mode: "none", argv: ["/bin/sh", "-c", `echo unconfined > ${s.dir}/outside`] }),
      new Log(events),
    );
    strictEqual(result.code, 0);
    strictEqual(result.mode, "none");
    deepStrictEqual(events.lines("warn"), ["sandbox: none (KISS_SANDBOX=none): the build runs unconfined"]);
    strictEqual(await Deno.readTextFile(`${s.dir}/outside`), "unconfined\n");
  });
});

Deno.test("a read-only shared file can be read but not written", async () => {
  await withScratch(async (s) => {
    const file = `${s.dir}/config.site`;
    await Deno.writeTextFile(file, "site settings\n");
    const run = await runScript(s, `cat ${file}; echo changed >> ${file}`, { mode: "host", readable: [file] });
    deepStrictEqual(run.lines, ["site settings", `/bin/sh: 1: cannot create ${file}: Read-only file system`]);
    strictEqual(run.code, 2);
    strictEqual(await Deno.readTextFile(file), "site settings\n");
  });
});

Deno.test("a command that cannot be started is an error naming it", async () => {
  await withScratch(async (s) => {
    await rejects(
      runSandboxed(request(s, { argv: [`${s.dir}/no-such-build`] }), new Log(collectEvents())),
      (err: KilnError) => {
        strictEqual(
          err.message,
          `sandbox: starting the build: cannot run ${s.dir}/no-such-build: No such file or directory`,
        );
        ok(err.hint?.includes("is executable"));
        return true;
      },
    );
    await rejects(
      runSandboxed(request(s, { argv: ["no-such-tool"] }), new Log(collectEvents())),
      (err: KilnError) => {
        strictEqual(
          err.message,
          "sandbox: finding the build command: cannot run no-such-tool: not found in PATH=/usr/bin:/bin inside the sandbox",
        );
        return true;
      },
    );
    // A script whose interpreter is missing inside the sandbox.
    await Deno.writeTextFile(`${s.build}/build`, "#!/no/such/interpreter\n", { mode: 0o755 });
    await rejects(
      runSandboxed(request(s, { argv: [`${s.build}/build`] }), new Log(collectEvents())),
      (err: KilnError) => err.message.endsWith(`cannot run ${s.build}/build: No such file or directory`),
    );
    deepStrictEqual([...Deno.readDirSync(s.work)], []);
  });
});

Deno.test("requests that would weaken the sandbox are refused before anything runs", async () => {
  await withScratch(async (s) => {
    await rejects(
      runSandboxed(
        request(s, { writable: [s.work], argv: ["/bin/sh", "-c", `touch ${s.dir}/ran`] }),
        new Log(collectEvents()),
      ),
      (err: KilnError) => {
        ok(err instanceof KilnError);
        ok(
          err.message.startsWith(`sandbox: the writable directory ${s.work} contains the sandbox root ${s.work}/root-`),
        );
        return true;
      },
    );
    await rejects(
      runSandboxed(request(s, { cwd: "build" }), new Log(collectEvents())),
      (err: KilnError) => err.message === "sandbox: 'build' is not an absolute path",
    );
    await rejects(
      runSandboxed(request(s, { argv: [] }), new Log(collectEvents())),
      (err: KilnError) => err.message === "sandbox: no command to run",
    );
    await Deno.stat(`${s.dir}/ran`).then(() => ok(false, "the command ran"), () => {});
  });
});

Deno.test("the helper reports its start-up and set-up times", async () => {
  await withScratch(async (s) => {
    const run = await runScript(s, "true", { mode: "host" });
    ok(run.timing !== undefined);
    ok(run.timing.startup > 0 && run.timing.setup > 0, JSON.stringify(run.timing));
  });
});

Deno.test("inside: writable build, package, /tmp and /dev/shm; working device nodes; its own hostname", async () => {
  await withScratch(async (s) => {
    const script = [
      `echo b > ${s.build}/f && echo p > ${s.pkg}/f && echo t > /tmp/f && echo m > /dev/shm/f`,
      `cat ${s.build}/f ${s.pkg}/f /tmp/f /dev/shm/f`,
      "echo gone > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c",
      "echo x > /dev/full",
      "cat /proc/sys/kernel/hostname",
      "ls /dev",
    ].join("; ");
    const run = await runScript(s, script, { mode: "host" });
    deepStrictEqual(run.lines, [
      "b",
      "p",
      "t",
      "m",
      "4",
      "4",
      "/bin/sh: 1: echo: echo: I/O error",
      "kiln",
      "fd",
      "full",
      "null",
      "ptmx",
      "pts",
      "random",
      "shm",
      "stderr",
      "stdin",
      "stdout",
      "tty",
      "urandom",
      "zero",
    ]);
    strictEqual(await Deno.readTextFile(`${s.pkg}/f`), "p\n");
  });
});
