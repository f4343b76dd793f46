/**
 * Running a dependency graph of tasks with at most N at once (`-j N`): a task
 * starts only when every task it depends on has finished; ready tasks start
 * in the order given. After a failure no new task starts; the running ones
 * are waited for, then the first failure is thrown.
 *
 * @module
 */

/** One node of the graph. */
export interface Task<T> {
  /** Unique name. */
  readonly name: string;
  /** Names of tasks (in the same graph) that must finish first; others are ignored. */
  readonly after: readonly string[];
  /** The work. */
  readonly run: () => Promise<T>;
}

/** Options of {@linkcode runGraph}. */
export interface GraphOptions {
  /** Tasks at once (at least 1). */
  readonly parallel: number;
  /** Checked before each start: when it returns a reason, nothing more starts and that reason is thrown. */
  readonly stop?: () => Error | undefined;
}

/**
 * Run `tasks` respecting their order constraints; resolves to the results by
 * task name, in completion order.
 */
export async function runGraph<T>(tasks: readonly Task<T>[], options: GraphOptions): Promise<Map<string, T>> {
  const names = new Set(tasks.map((t) => t.name));
  const results = new Map<string, T>();
  const pending = [...tasks];
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  let failed = false;

  const ready = (t: Task<T>) => t.after.every((a) => !names.has(a) || a === t.name || results.has(a));
  while (pending.length > 0 || running.size > 0) {
    const stopped = failed ? undefined : options.stop?.();
    if (stopped && !failed) {
      failed = true;
      failure = stopped;
    }
    while (!failed && running.size < Math.max(1, options.parallel)) {
      const i = pending.findIndex(ready);
      if (i < 0) break;
      const [task] = pending.splice(i, 1);
      running.set(
        task.name,
        task.run().then(
          (value) => {
            results.set(task.name, value);
          },
          (err) => {
            if (!failed) failure = err;
            failed = true;
          },
        ).finally(() => running.delete(task.name)),
      );
    }
    if (running.size === 0) {
      if (failed) break;
      if (pending.length > 0) {
        throw new Error(`tasks can never start (circular order): ${pending.map((t) => t.name).join(", ")}`);
      }
      break;
    }
    await Promise.race(running.values());
  }
  if (failed) throw failure;
  return results;
}
