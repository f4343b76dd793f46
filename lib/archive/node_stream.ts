/**
 * Runs a web byte stream through a Node.js transform (a `node:zlib` stream),
 * with back-pressure both ways.
 *
 * @module
 */

/** The part of a Node.js Transform that the adapter uses. */
export interface NodeTransform {
  write(chunk: Uint8Array, callback?: (err?: Error | null) => void): boolean;
  end(): void;
  pause(): void;
  resume(): void;
  destroy(err?: Error): void;
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "drain", listener: () => void): unknown;
  once(event: "drain", listener: () => void): unknown;
}

/**
 * Pipes `input` through `transform`; `wrapError` turns the transform's error
 * into the one the returned stream reports.
 */
export function throughNode(
  input: ReadableStream<Uint8Array>,
  transform: NodeTransform,
  wrapError: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  let failed = false;
  const reader = input.getReader();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      transform.on("data", (chunk) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) transform.pause();
      });
      transform.on("end", () => {
        if (!failed) controller.close();
      });
      transform.on("error", (err) => {
        if (failed) return;
        failed = true;
        controller.error(wrapError(err));
      });
      (async () => {
        for (;;) {
          const { value: chunk, done } = await reader.read();
          if (done) break;
          if (failed) return;
          if (!transform.write(chunk)) await new Promise<void>((resolve) => transform.once("drain", resolve));
        }
        transform.end();
      })().catch((err) => {
        if (failed) return;
        failed = true;
        transform.destroy();
        controller.error(err);
      });
    },
    pull() {
      transform.resume();
    },
    cancel() {
      failed = true;
      transform.destroy();
      return reader.cancel().catch(() => {});
    },
  }, { highWaterMark: 4 });
}
