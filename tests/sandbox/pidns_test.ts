/**
 * The build's PID namespace: the helper's process is its PID 1, kiln's own
 * namespace is restored, and the namespace's pid_max bounds it without ever
 * touching the host's.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { spawnInNewPidNamespace } from "../../lib/sandbox/pidns.ts";

const decoder = new TextDecoder();
const own = () => Deno.readLinkSync("/proc/thread-self/ns/pid_for_children");
const mine = Deno.readLinkSync("/proc/self/ns/pid");
const CHILD = new URL("../_helpers/mount_proc_child.ts", import.meta.url).pathname;

Deno.test("the spawned process is PID 1 of a new namespace; kiln's own children stay in kiln's", async () => {
  strictEqual(own(), mine);
  const child = spawnInNewPidNamespace(
    new Deno.Command("/bin/sh", { args: ["-c", "echo $$; readlink /proc/self/ns/pid"], stdout: "piped" }),
  );
  strictEqual(own(), mine);
  const out = await child.output();
  const [pid, namespace] = decoder.decode(out.stdout).trim().split("\n");
  strictEqual(pid, "1");
  ok(namespace !== mine, "the child is in kiln's namespace");
  const plain = await new Deno.Command("/bin/sh", { args: ["-c", "readlink /proc/self/ns/pid"] }).output();
  strictEqual(decoder.decode(plain.stdout).trim(), mine);
});

Deno.test("a program that cannot be started leaves kiln in its own namespace", () => {
  throws(() => spawnInNewPidNamespace(new Deno.Command("/nonexistent/program")), Deno.errors.NotFound);
  strictEqual(own(), mine);
});

Deno.test("pid_max of the build's namespace bounds its processes; the host's is untouched", async () => {
  const host = Deno.readTextFileSync("/proc/sys/kernel/pid_max");
  const [major, minor] = Deno.osRelease().split(".").map(Number);
  const perNamespace = major > 6 || (major === 6 && minor >= 14);
  // In a new PID namespace (PID 1 there): set, and bounding.
  const inside = await spawnInNewPidNamespace(
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", "--no-check", CHILD, "400", "500"], stdout: "piped" }),
  ).output();
  const lines = decoder.decode(inside.stdout).trim().split("\n");
  if (perNamespace) {
    strictEqual(lines[0], "400");
    ok(lines[1].startsWith("failed: "), lines.join("\n"));
    ok(Number(lines[2]) < 400, lines.join("\n"));
  }
  strictEqual(Deno.readTextFileSync("/proc/sys/kernel/pid_max"), host);
  // Outside a new PID namespace, mountProc leaves pid_max alone (it would be the machine's on older kernels).
  const outside = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", CHILD, "400", "3"],
    stdout: "piped",
  }).output();
  deepStrictEqual(decoder.decode(outside.stdout).trim().split("\n"), [host.trim(), "3"]);
  strictEqual(Deno.readTextFileSync("/proc/sys/kernel/pid_max"), host);
});
