/**
 * Test helpers for the write helper thread (`lib/install/write_helper.ts`):
 * its shared state words, taken from the message that starts it, so that a
 * test can wait for what the helper does (it notifies each change of
 * state) instead of waiting for time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { HEADER_BYTES, SLOT, STATE } from "../../lib/install/helper_thread.ts";
import type { WriteHelper } from "../../lib/install/write_helper.ts";

/** A helper as `start` makes it, with the words of its shared state (seen in the message that starts it). */
export function watched(start: () => WriteHelper | undefined): { helper: WriteHelper; words: Int32Array } {
  const proto = Worker.prototype;
  const post = proto.postMessage;
  let shared: SharedArrayBuffer | undefined;
  proto.postMessage = function (this: Worker, message: unknown, options?: StructuredSerializeOptions) {
    const start = message as { kind?: string; shared?: SharedArrayBuffer } | null;
    if (start?.kind === "start") shared = start.shared;
    return post.call(this, message, options);
  } as typeof post;
  let helper: WriteHelper | undefined;
  try {
    helper = start();
  } finally {
    proto.postMessage = post;
  }
  assert.ok(helper && shared, "a helper starts");
  return { helper, words: new Int32Array(shared, 0, HEADER_BYTES / 4) };
}

/**
 * Block this thread (the writer is synchronous) until the helper is out of
 * its work: it finished its share (or failed in it), or took no part. It
 * tells so itself (an atomic notify); the bound only turns a helper that
 * never answers into a failure.
 */
export function helperOut(words: Int32Array): number {
  for (;;) {
    const state = Atomics.load(words, SLOT.state);
    if (state === STATE.finished || state === STATE.unavailable) return state;
    if (Atomics.wait(words, SLOT.state, state, 120_000) === "timed-out") {
      throw new Error(`the helper is still in state ${state} after two minutes`);
    }
  }
}
