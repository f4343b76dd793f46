/**
 * Checksums of source files in either dialect (SPEC §2): SHA-256 for the
 * classic dialect, BLAKE3 with a 33-byte output for the community dialect.
 * The algorithm of an existing checksum is told by its length.
 *
 * Files are read in 1 MiB pieces, so a file of any size hashes in constant
 * memory.
 *
 * @module
 */

import type { Dialect } from "../config.ts";
import { Blake3 } from "./blake3.ts";

/** An incremental hash: feed bytes, then read the digest once as hex. */
export interface Hasher {
  /** Feed more bytes. The bytes may be reused by the caller afterwards. */
  update(bytes: Uint8Array): void;
  /** The digest as lower-case hex. Call once, after the last update. */
  hex(): string;
}

/** Output length of the community dialect's BLAKE3 checksums, in bytes (`b3sum -l 33`). */
export const BLAKE3_CHECKSUM_BYTES = 33;

/** Size of each read when hashing a file. */
export const READ_SIZE = 1 << 20;

/** The checksum algorithm of each dialect, by name. */
export const ALGORITHM: Readonly<Record<Dialect, string>> = { classic: "SHA-256", community: "BLAKE3-264" };

/** A new hasher for the checksums of `dialect`. */
export async function createHasher(dialect: Dialect): Promise<Hasher> {
  if (dialect === "classic") {
    const { createSha256 } = await import("./sha256.ts");
    return await createSha256();
  }
  const blake3 = new Blake3();
  return {
    update(bytes) {
      blake3.update(bytes);
    },
    hex() {
      return blake3.hex(BLAKE3_CHECKSUM_BYTES);
    },
  };
}

/**
 * The dialect a checksum line belongs to, by its length: 64 hex digits are
 * SHA-256 (classic), 66 are BLAKE3-264 (community). `undefined` for anything
 * else, `SKIP` included.
 */
export function checksumDialect(sum: string): Dialect | undefined {
  if (!/^[0-9a-fA-F]+$/.test(sum)) return undefined;
  if (sum.length === 64) return "classic";
  if (sum.length === BLAKE3_CHECKSUM_BYTES * 2) return "community";
  return undefined;
}

/** Checksum of `bytes` in `dialect`, as lower-case hex. */
export async function hashBytes(bytes: Uint8Array, dialect: Dialect): Promise<string> {
  const hasher = await createHasher(dialect);
  hasher.update(bytes);
  return hasher.hex();
}

/**
 * Checksum of the file at `path` in `dialect`, as lower-case hex, read in
 * 1 MiB pieces. `onBytes` is told the running count of bytes read.
 */
export async function hashFile(
  path: string,
  dialect: Dialect,
  onBytes?: (done: number) => void,
): Promise<string> {
  const hasher = await createHasher(dialect);
  using file = await Deno.open(path, { read: true });
  // 4-byte aligned, so BLAKE3 reads the words straight from it.
  const buffer = new Uint8Array(READ_SIZE);
  let done = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hasher.update(n === READ_SIZE ? buffer : buffer.subarray(0, n));
    done += n;
    onBytes?.(done);
  }
  return hasher.hex();
}
