/**
 * Bounded parallelism: run tasks a few at a time and wait for all of them.
 *
 * @module
 */

/**
 * Call `work` on every item, at most `limit` at once. Every item runs even
 * when others fail; resolves to the errors thrown, in item order (empty when
 * all succeeded).
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<unknown[]> {
  const errors: (unknown | undefined)[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await work(items[index]);
      } catch (err) {
        errors[index] = err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return errors.filter((e) => e !== undefined);
}
