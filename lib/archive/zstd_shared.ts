/**
 * Decoding whole zstd data straight into one `SharedArrayBuffer`, so that a
 * second thread can read the result without a copy (`lib/install/
 * write_helper.ts` writes half of a big package's files from it).
 *
 * `node:zlib` has no public call that decodes into a buffer of the caller's:
 * its one-shot functions allocate their own. The stream classes, though,
 * drive their decoder through `_handle.writeSync(flush, input, inOffset,
 * inLength, output, outOffset, outLength)` with the counts left in
 * `_writeState` — the interface Node's own `zstdDecompressSync` is built on,
 * which Deno provides as well. It is used here when present and behaving as
 * expected; {@linkcode decodeZstdShared} returns `undefined` otherwise and
 * the caller decodes the ordinary way. Data errors (corruption, a checksum
 * mismatch) are thrown as the decoder reports them.
 *
 * @module
 */

type Zlib = typeof import("node:zlib");

/** The internals of a `node:zlib` stream this module relies on. */
interface DecoderInternals {
  _handle?: {
    writeSync?: (
      flush: number,
      input: Uint8Array,
      inOffset: number,
      inLength: number,
      output: Uint8Array,
      outOffset: number,
      outLength: number,
    ) => void;
  };
  _writeState?: Uint32Array;
  _finishFlushFlag?: number;
  on(event: "error", listener: (err: unknown) => void): void;
  close(): void;
}

/** Shared buffers larger than this are not made: the caller decodes the ordinary way. */
const MAX_SHARED = 1024 * 1024 * 1024;

/**
 * Decode zstd `frames` (whole frames, each with a bound of its decompressed
 * size) one after another into a new `SharedArrayBuffer`; returns a view of
 * the decoded bytes, or `undefined` when decoding into a buffer of one's own
 * is not available here or the bounds were too small for the data.
 */
export function decodeZstdShared(
  z: Zlib,
  frames: readonly { bytes: Uint8Array; bound: number }[],
): Uint8Array | undefined {
  const capacity = frames.reduce((n, f) => n + f.bound, 0) + 1;
  if (capacity > MAX_SHARED) return undefined;
  const out = new Uint8Array(new SharedArrayBuffer(capacity));
  let at = 0;
  for (const frame of frames) {
    const stream = z.createZstdDecompress() as unknown as DecoderInternals;
    try {
      const write = stream._handle?.writeSync;
      const state = stream._writeState;
      const flush = stream._finishFlushFlag;
      if (typeof write !== "function" || !(state instanceof Uint32Array) || typeof flush !== "number") return undefined;
      let error: unknown;
      stream.on("error", (err) => error ??= err);
      write.call(stream._handle, flush, frame.bytes, 0, frame.bytes.length, out, at, capacity - at);
      if (error !== undefined) throw error;
      const room = state[0], unread = state[1];
      // A full buffer: the data may go on beyond it (the bounds were wrong). Unread input: the decoder stopped early.
      if (room === 0 || unread !== 0) return undefined;
      at = capacity - room;
    } finally {
      stream.close();
    }
  }
  return out.subarray(0, at);
}
