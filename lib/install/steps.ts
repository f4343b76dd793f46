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

/** Counts steps and, when asked to, crashes the process after one of them. */
export class Steps {
  #count = 0;
  readonly #killAt: number | undefined;

  /** `env` is the environment kiln was started with (`KISS_FAULT_AFTER`). */
  constructor(env: Readonly<Record<string, string>> = {}) {
    const n = Number(env.KISS_FAULT_AFTER);
    this.#killAt = Number.isInteger(n) && n > 0 ? n : undefined;
  }

  /** Steps taken so far. */
  get count(): number {
    return this.#count;
  }

  /** Record that one more durable change was made. */
  step(): void {
    this.#count++;
    if (this.#count === this.#killAt) Deno.kill(Deno.pid, "SIGKILL");
  }
}
