import assert from "node:assert/strict";
import {
  compare,
  formatMs,
  formatRatio,
  formatStats,
  measure,
  perUnit,
  ratio,
  renderReport,
  renderRows,
  renderTargets,
  type Row,
  shift,
  Skip,
  summarize,
  targetStatus,
  throughput,
} from "../../bench/harness.ts";
import { machineInfo, parseVersion } from "../../bench/peers.ts";

Deno.test("bench: summarize gives the median, min and max of odd and even counts", () => {
  assert.deepEqual(summarize([5, 1, 3]), { runs: 3, median: 3, min: 1, max: 5 });
  assert.deepEqual(summarize([4, 1, 3, 2]), { runs: 4, median: 2.5, min: 1, max: 4 });
  assert.deepEqual(summarize([7]), { runs: 1, median: 7, min: 7, max: 7 });
  assert.throws(() => summarize([]), /no samples/);
});

Deno.test("bench: shift never goes below zero and perUnit divides every figure", () => {
  const s = summarize([10, 20, 30]);
  assert.deepEqual(shift(s, -15), { runs: 3, median: 5, min: 0, max: 15 });
  assert.deepEqual(perUnit(s, 10), { runs: 3, median: 2, min: 1, max: 3 });
});

Deno.test("bench: measure runs the warm-up untimed and prepares every run", async () => {
  const events: string[] = [];
  let n = 0;
  const m = await measure(() => {
    events.push("run");
    return ++n * 10;
  }, {
    warmup: 2,
    runs: 3,
    before: () => events.push("before"),
    after: () => events.push("after"),
  });
  assert.equal(events.filter((e) => e === "run").length, 5);
  assert.equal(events.filter((e) => e === "before").length, 5);
  assert.deepEqual(events.slice(0, 3), ["before", "run", "after"]);
  assert.deepEqual(m.stats, { runs: 3, median: 40, min: 30, max: 50 });
  assert.equal(m.first, 10);
});

Deno.test("bench: a first run slower than slowMs is the only sample, and errors propagate", async () => {
  let calls = 0;
  const m = await measure(() => (++calls, 9000), { runs: 5, slowMs: 5000 });
  assert.equal(calls, 1);
  assert.deepEqual(m.stats, { runs: 1, median: 9000, min: 9000, max: 9000 });
  let cleaned = 0;
  await assert.rejects(
    measure(() => {
      throw new Error("boom");
    }, { after: () => cleaned++ }),
    /boom/,
  );
  assert.equal(cleaned, 1);
});

Deno.test("bench: compare interleaves the contenders round by round and drops a skipped one", async () => {
  const order: string[] = [];
  let b = 0;
  const figures = await compare([
    { label: "a", run: () => (order.push("a"), 10), bytes: 1e6 },
    {
      label: "b",
      run: () => {
        order.push("b");
        if (++b === 2) throw new Skip("b broke on its second run");
        return 20;
      },
    },
    { label: "c", run: () => (order.push("c"), 30) },
  ], { warmup: 1, runs: 2 });
  assert.deepEqual(order, ["a", "b", "c", "a", "b", "c", "a", "c"]);
  assert.deepEqual(figures[0], { label: "a", stats: summarize([10, 10]), bytes: 1e6 });
  assert.deepEqual(figures[1], { label: "b", skipped: "b broke on its second run" });
  assert.deepEqual(figures[2].stats, summarize([30, 30]));
});

Deno.test("bench: compare runs fewer rounds when the first round eats the budget", async () => {
  let calls = 0;
  const [f] = await compare([{
    label: "f",
    run: () => {
      calls++;
      const until = performance.now() + 20;
      while (performance.now() < until) { /* a 20 ms round */ }
      return 20;
    },
  }], { warmup: 1, runs: 9, budgetMs: 30 });
  assert.equal(calls, 3, "one warm-up round, then the floor of 2 timed rounds");
  assert.equal(f.stats?.runs, 2);
});

Deno.test("bench: compare keeps the single first run of a slow contender, and other errors propagate", async () => {
  let slow = 0;
  const [fast, once] = await compare([
    { label: "fast", run: () => 1 },
    { label: "slow", run: () => (++slow, 9000), slowMs: 5000 },
  ], { warmup: 1, runs: 3 });
  assert.equal(slow, 1);
  assert.deepEqual(once.stats, summarize([9000]));
  assert.equal(fast.stats?.runs, 3);
  await assert.rejects(
    compare([{
      label: "x",
      run: () => {
        throw new TypeError("a bug");
      },
    }]),
    TypeError,
  );
});

Deno.test("bench: figures are formatted with units, ranges, throughput and ratios", () => {
  assert.equal(formatMs(1.234), "1.23 ms");
  assert.equal(formatMs(45.67), "45.7 ms");
  assert.equal(formatMs(456.7), "457 ms");
  assert.equal(formatMs(4567), "4.57 s");
  assert.equal(throughput(1e9, 2000), 500);
  assert.equal(formatStats(summarize([100, 120, 110]), 1e8), "110 ms (100 ms–120 ms, 3 runs, 909 MB/s)");
  assert.equal(formatStats(summarize([2500])), "2.50 s (1 run)");
  assert.equal(formatRatio(ratio(summarize([30]), summarize([20]))), "1.50×");
  assert.equal(formatRatio(ratio(summarize([30]), summarize([0]))), "∞");
});

Deno.test("bench: the table has a line per peer with kiln's ratio, and skip reasons", () => {
  const rows: Row[] = [{
    scenario: "1. install",
    case: "20,000 files",
    kiln: { label: "kiln install", stats: summarize([300]) },
    peers: [
      { label: "zstd -dc | tar -x", stats: summarize([200]) },
      { label: "kiss i", skipped: "KISS_BIN not given" },
    ],
  }, {
    scenario: "3. owns",
    case: "look-up",
    kiln: { label: "kiln owns", skipped: "lib/cli/cmd/owns.ts missing" },
    peers: [],
  }];
  const lines = renderRows(rows).split("\n");
  assert.equal(lines.length, 2 + 3);
  assert.match(lines[2], /^\| 1\. install \| 20,000 files \| kiln install: 300 ms \(1 run\) \| zstd -dc \\\| tar -x/);
  assert.match(lines[2], /\| 1\.50× \|$/);
  assert.equal(lines[3], "|  |  |  | kiss i | skipped: KISS_BIN not given | — |");
  assert.match(lines[4], /kiln owns: skipped: lib\/cli\/cmd\/owns\.ts missing \| — \| — \| — \|$/);
});

Deno.test("bench: targets read met, not met, or not measured with the reason", () => {
  assert.equal(targetStatus({ target: "t", met: true }), "met");
  assert.equal(targetStatus({ target: "t", met: false }), "**not met**");
  assert.equal(targetStatus({ target: "t", reason: "quick run" }), "not measured (quick run)");
  const table = renderTargets([{ target: "start-up under 50 ms", measured: "31 ms", met: true }]);
  assert.match(table, /\| start-up under 50 ms \| 31 ms \| met \|/);
});

Deno.test("bench: the report names the machine but no host name or path", () => {
  const machine = machineInfo();
  assert.ok(machine.cores >= 1);
  assert.ok(machine.memoryGiB > 0);
  const text = renderReport({
    machine,
    peers: [["GNU tar", "1.34"]],
    rows: [],
    targets: [],
    skipped: ["6. sandbox: lib/sandbox/run.ts is not there yet"],
    scenarios: ["4. hashing: a 1 GiB file"],
    context: [],
    totalMs: 61_000,
    quick: false,
    date: new Date("2026-01-02T03:04:05Z"),
  });
  assert.match(text, /^# Benchmarks/);
  assert.match(
    text,
    new RegExp(`\\| ${machine.cores} \\| ${machine.memoryGiB} GiB \\| ${machine.kernel.replace(/\./g, "\\.")}`),
  );
  assert.match(text, /Peers: GNU tar 1\.34\./);
  assert.match(text, /## Scenarios\n\n- 4\. hashing: a 1 GiB file\n/);
  assert.match(text, /## Skipped\n\n- 6\. sandbox: lib\/sandbox\/run\.ts is not there yet/);
  assert.ok(!text.includes(Deno.hostname()), "the report must not name the host");
  assert.ok(!text.includes(Deno.cwd()), "the report must not hold local paths");
});

Deno.test("bench: tool versions are read from their --version output", () => {
  assert.equal(parseVersion("tar (GNU tar) 1.34\nCopyright"), "1.34");
  assert.equal(parseVersion("*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***"), "1.5.4");
  assert.equal(parseVersion("no digits"), undefined);
});
