/**
 * The timing loop of the stand-alone bench scripts (`download.ts`,
 * `hash.ts`): one warm-up call, then the median of `runs` timed calls.
 *
 * @module
 */

/** Call `fn` once to warm up, then `runs` times; the median duration in seconds. */
export async function medianSeconds(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
