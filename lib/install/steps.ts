/**
 * Counting the durable steps of a transaction, and the fault-injection hook
 * the crash tests use: with `KISS_FAULT_AFTER=N` in the environment, kiln
 * kills itself with SIGKILL right after its N-th step (a journal write, a
 * directory made, a file staged or renamed, a file removed, the database
 * entry swapped, the index written). Every N is a distinct, reproducible
 * crash point; the next kiln run on the root must repair it.
 *
 * @module
 */

/**
 * Counts steps and, when asked to, crashes the process after one of them.
 * The count lives in shared memory, so that a helper thread writing files
 * of the same transaction (`write_helper.ts`) counts in it too.
 */
export class Steps {
  readonly #count = new Int32Array(new SharedArrayBuffer(4));
  /** The step after which the process is killed (`KISS_FAULT_AFTER`), if any. */
  readonly killAt: number | undefined;

  /** `env` is the environment kiln was started with (`KISS_FAULT_AFTER`). */
  constructor(env: Readonly<Record<string, string>> = {}) {
    const n = Number(env.KISS_FAULT_AFTER);
    this.killAt = Number.isInteger(n) && n > 0 ? n : undefined;
  }

  /** Steps taken so far. */
  get count(): number {
    return Atomics.load(this.#count, 0);
  }

  /** The shared counter: another thread takes a step with `Atomics.add(shared, 0, 1)` and kills at {@linkcode killAt}. */
  get shared(): Int32Array {
    return this.#count;
  }

  /** Record that one more durable change was made. */
  step(): void {
    if (Atomics.add(this.#count, 0, 1) + 1 === this.killAt) Deno.kill(Deno.pid, "SIGKILL");
  }
}
