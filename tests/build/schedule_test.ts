import assert from "node:assert/strict";
import { runGraph, type Task } from "../../lib/build/schedule.ts";

/** Tasks that record start/finish events and how many ran at once; each yields a few times. */
function recorder() {
  const events: string[] = [];
  let running = 0, most = 0;
  const task = (name: string, after: string[] = [], fail = false): Task<string> => ({
    name,
    after,
    run: async () => {
      events.push(`start ${name}`);
      running++;
      most = Math.max(most, running);
      // Yield to the other tasks (a turn of the microtask queue each: in order, no timer).
      for (let i = 0; i < 5; i++) await Promise.resolve();
      running--;
      events.push(`end ${name}`);
      if (fail) throw new Error(`${name} failed`);
      return name.toUpperCase();
    },
  });
  return { events, task, most: () => most };
}

Deno.test("schedule: a task starts only after the tasks it depends on have finished", async () => {
  const r = recorder();
  // zlib <- openssl <- curl; pigz <- zlib; curl and pigz are independent.
  const results = await runGraph(
    [
      r.task("zlib"),
      r.task("openssl", ["zlib"]),
      r.task("pigz", ["zlib"]),
      r.task("curl", ["openssl", "zlib", "not-in-plan"]),
    ],
    { parallel: 4 },
  );
  assert.deepEqual([...results.keys()].sort(), ["curl", "openssl", "pigz", "zlib"]);
  assert.equal(results.get("curl"), "CURL");
  const at = (e: string) => r.events.indexOf(e);
  assert.ok(at("end zlib") < at("start openssl"));
  assert.ok(at("end zlib") < at("start pigz"));
  assert.ok(at("end openssl") < at("start curl"));
  // openssl and pigz were ready together and ran side by side.
  assert.ok(at("start pigz") < at("end openssl"), r.events.join(", "));
});

Deno.test("schedule: never more than N at once, and one at a time with N = 1 in the given order", async () => {
  const r = recorder();
  await runGraph(["a", "b", "c", "d", "e"].map((n) => r.task(n)), { parallel: 2 });
  assert.equal(r.most(), 2);

  const s = recorder();
  await runGraph(["a", "b", "c"].map((n) => s.task(n)), { parallel: 1 });
  assert.equal(s.most(), 1);
  assert.deepEqual(s.events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

Deno.test("schedule: after a failure nothing new starts, running tasks finish, the first failure is thrown", async () => {
  const r = recorder();
  await assert.rejects(
    runGraph([r.task("bad", [], true), r.task("slow"), r.task("later"), r.task("child", ["bad"])], { parallel: 2 }),
    /bad failed/,
  );
  assert.ok(r.events.includes("end slow"), "the running task was waited for");
  assert.ok(!r.events.includes("start child"));
  assert.ok(!r.events.includes("start later"));
});

Deno.test("schedule: a stop reason ends the run before the next start", async () => {
  const r = recorder();
  let stop: Error | undefined;
  const tasks = [
    r.task("a"),
    { ...r.task("b"), run: () => (stop = new Error("interrupted"), Promise.resolve("B")) },
    r.task("c"),
  ];
  await assert.rejects(runGraph(tasks, { parallel: 1, stop: () => stop }), /interrupted/);
  assert.ok(!r.events.includes("start c"));
});

Deno.test("schedule: tasks that wait on each other are reported instead of hanging", async () => {
  const r = recorder();
  await assert.rejects(runGraph([r.task("a", ["b"]), r.task("b", ["a"])], { parallel: 2 }), /circular order\): a, b/);
});
