/**
 * SHA-256, the classic dialect's checksum (64 hex digits, as `sha256sum`).
 *
 * Deno's `node:crypto` streams SHA-256 through OpenSSL-grade native code, far
 * faster than anything written in TypeScript; it costs 20–30 ms to import, so
 * it is imported only when a SHA-256 is first needed.
 *
 * @module
 */

import type { Hasher } from "./hasher.ts";

/** A new incremental SHA-256 hasher. */
export async function createSha256(): Promise<Hasher> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  return {
    update(bytes: Uint8Array): void {
      hash.update(bytes);
    },
    hex(): string {
      return hash.digest("hex");
    },
  };
}
