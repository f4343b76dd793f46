/**
 * Exact-size reads from a byte stream, without copying when the bytes asked
 * for lie within one chunk.
 *
 * @module
 */

/** Reads a `ReadableStream<Uint8Array>` in pieces of chosen sizes. */
export class ByteQueue {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #available = 0;
  #done = false;
  /** Bytes consumed so far (the offset of the next byte in the stream). */
  position = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Reads until `n` bytes are buffered or the stream ends; returns how many are buffered. */
  async fill(n: number): Promise<number> {
    while (this.#available < n && !this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
      } else if (value.length > 0) {
        this.#chunks.push(value);
        this.#available += value.length;
      }
    }
    return this.#available;
  }

  /** Takes `n` buffered bytes (call {@linkcode fill} first). A view when possible, else a copy. */
  take(n: number): Uint8Array {
    if (n > this.#available) throw new RangeError(`take(${n}) with ${this.#available} bytes buffered`);
    this.position += n;
    this.#available -= n;
    const first = this.#chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const count = Math.min(chunk.length - this.#head, n - filled);
      out.set(chunk.subarray(this.#head, this.#head + count), filled);
      filled += count;
      this.#advance(count);
    }
    return out;
  }

  /** Drops `n` buffered bytes (call {@linkcode fill} first). */
  skip(n: number): void {
    if (n > this.#available) throw new RangeError(`skip(${n}) with ${this.#available} bytes buffered`);
    this.position += n;
    this.#available -= n;
    while (n > 0) {
      const count = Math.min(this.#chunks[0].length - this.#head, n);
      this.#advance(count);
      n -= count;
    }
  }

  #advance(count: number): void {
    this.#head += count;
    if (this.#head === this.#chunks[0].length) {
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Reads and drops everything left in the stream. */
  async drain(): Promise<void> {
    this.#chunks = [];
    this.#head = 0;
    this.#available = 0;
    while (!this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) this.#done = true;
      else this.position += value.length;
    }
  }

  /** Stops reading and releases the stream. */
  async cancel(): Promise<void> {
    this.#chunks = [];
    this.#available = 0;
    await this.#reader.cancel().catch(() => {});
  }
}
