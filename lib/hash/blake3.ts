/**
 * BLAKE3 in TypeScript, with extendable output: the community dialect's
 * checksum is BLAKE3 with a 33-byte output (`b3sum -l 33`, SPEC §2).
 *
 * A straight implementation of the reference design (chunks of 1024 bytes,
 * blocks of 64, a stack of chaining values merged into a binary tree), with
 * the compression function kept in local variables so that V8 compiles it to
 * plain 32-bit register arithmetic. Its seven rounds are written out, each
 * with its message schedule (the reference's word permutation applied round
 * after round) resolved into the word names, which is about 10% faster than a
 * loop that permutes the words. Whole chunks are compressed straight from
 * the caller's buffer when it is 4-byte aligned; JavaScript engines run on
 * little-endian hosts, so a `Uint32Array` view reads the message words.
 *
 * @example
 * ```ts
 * const h = new Blake3();
 * h.update(new TextEncoder().encode("abc"));
 * const hex = h.hex(33); // same as `printf abc | b3sum -l 33`
 * ```
 *
 * @module
 */

const IV = new Uint32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

const CHUNK_START = 1;
const CHUNK_END = 2;
const PARENT = 4;
const ROOT = 8;

const BLOCK_LEN = 64;
const CHUNK_LEN = 1024;
const TWO_32 = 0x1_0000_0000;

/**
 * The BLAKE3 compression function. Reads the chaining value `cv[cvOff..+8]`
 * and the message block `m[mOff..+16]`, writes 8 words (or 16 with `full`,
 * for extendable output) to `out[outOff..]`. `out` may alias `cv`.
 */
function compress(
  cv: Uint32Array,
  cvOff: number,
  m: Uint32Array,
  mOff: number,
  counter: number,
  blockLen: number,
  flags: number,
  out: Uint32Array,
  outOff: number,
  full: boolean,
): void {
  const m0 = m[mOff] | 0, m1 = m[mOff + 1] | 0, m2 = m[mOff + 2] | 0, m3 = m[mOff + 3] | 0;
  const m4 = m[mOff + 4] | 0, m5 = m[mOff + 5] | 0, m6 = m[mOff + 6] | 0, m7 = m[mOff + 7] | 0;
  const m8 = m[mOff + 8] | 0, m9 = m[mOff + 9] | 0, m10 = m[mOff + 10] | 0, m11 = m[mOff + 11] | 0;
  const m12 = m[mOff + 12] | 0, m13 = m[mOff + 13] | 0, m14 = m[mOff + 14] | 0, m15 = m[mOff + 15] | 0;
  const c0 = cv[cvOff] | 0, c1 = cv[cvOff + 1] | 0, c2 = cv[cvOff + 2] | 0, c3 = cv[cvOff + 3] | 0;
  const c4 = cv[cvOff + 4] | 0, c5 = cv[cvOff + 5] | 0, c6 = cv[cvOff + 6] | 0, c7 = cv[cvOff + 7] | 0;
  let v0 = c0, v1 = c1, v2 = c2, v3 = c3, v4 = c4, v5 = c5, v6 = c6, v7 = c7;
  let v8 = 0x6a09e667, v9 = 0xbb67ae85 | 0, v10 = 0x3c6ef372, v11 = 0xa54ff53a | 0;
  let v12 = counter | 0, v13 = (counter / TWO_32) | 0, v14 = blockLen | 0, v15 = flags | 0;

  // Round 1: message words 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15.
  v0 = (v0 + v4 + m0) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m1) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m2) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m3) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m4) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m5) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m6) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m7) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m8) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m9) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m10) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m11) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m12) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m13) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m14) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m15) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 2: message words 2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8.
  v0 = (v0 + v4 + m2) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m6) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m3) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m10) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m7) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m0) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m4) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m13) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m1) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m11) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m12) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m5) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m9) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m14) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m15) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m8) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 3: message words 3 4 10 12 13 2 7 14 6 5 9 0 11 15 8 1.
  v0 = (v0 + v4 + m3) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m4) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m10) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m12) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m13) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m2) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m7) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m14) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m6) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m5) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m9) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m0) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m11) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m15) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m8) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m1) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 4: message words 10 7 12 9 14 3 13 15 4 0 11 2 5 8 1 6.
  v0 = (v0 + v4 + m10) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m7) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m12) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m9) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m14) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m3) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m13) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m15) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m4) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m0) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m11) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m2) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m5) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m8) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m1) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m6) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 5: message words 12 13 9 11 15 10 14 8 7 2 5 3 0 1 6 4.
  v0 = (v0 + v4 + m12) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m13) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m9) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m11) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m15) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m10) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m14) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m8) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m7) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m2) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m5) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m3) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m0) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m1) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m6) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m4) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 6: message words 9 14 11 5 8 12 15 1 13 3 0 10 2 6 4 7.
  v0 = (v0 + v4 + m9) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m14) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m11) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m5) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m8) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m12) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m15) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m1) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m13) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m3) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m0) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m10) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m2) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m6) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m4) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m7) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);
  // Round 7: message words 11 15 5 0 1 9 8 6 14 10 2 12 3 4 7 13.
  v0 = (v0 + v4 + m11) | 0, v12 ^= v0, v12 = (v12 >>> 16) | (v12 << 16), v8 = (v8 + v12) | 0;
  v4 ^= v8, v4 = (v4 >>> 12) | (v4 << 20), v0 = (v0 + v4 + m15) | 0, v12 ^= v0;
  v12 = (v12 >>> 8) | (v12 << 24), v8 = (v8 + v12) | 0, v4 ^= v8, v4 = (v4 >>> 7) | (v4 << 25);
  v1 = (v1 + v5 + m5) | 0, v13 ^= v1, v13 = (v13 >>> 16) | (v13 << 16), v9 = (v9 + v13) | 0;
  v5 ^= v9, v5 = (v5 >>> 12) | (v5 << 20), v1 = (v1 + v5 + m0) | 0, v13 ^= v1;
  v13 = (v13 >>> 8) | (v13 << 24), v9 = (v9 + v13) | 0, v5 ^= v9, v5 = (v5 >>> 7) | (v5 << 25);
  v2 = (v2 + v6 + m1) | 0, v14 ^= v2, v14 = (v14 >>> 16) | (v14 << 16), v10 = (v10 + v14) | 0;
  v6 ^= v10, v6 = (v6 >>> 12) | (v6 << 20), v2 = (v2 + v6 + m9) | 0, v14 ^= v2;
  v14 = (v14 >>> 8) | (v14 << 24), v10 = (v10 + v14) | 0, v6 ^= v10, v6 = (v6 >>> 7) | (v6 << 25);
  v3 = (v3 + v7 + m8) | 0, v15 ^= v3, v15 = (v15 >>> 16) | (v15 << 16), v11 = (v11 + v15) | 0;
  v7 ^= v11, v7 = (v7 >>> 12) | (v7 << 20), v3 = (v3 + v7 + m6) | 0, v15 ^= v3;
  v15 = (v15 >>> 8) | (v15 << 24), v11 = (v11 + v15) | 0, v7 ^= v11, v7 = (v7 >>> 7) | (v7 << 25);
  v0 = (v0 + v5 + m14) | 0, v15 ^= v0, v15 = (v15 >>> 16) | (v15 << 16), v10 = (v10 + v15) | 0;
  v5 ^= v10, v5 = (v5 >>> 12) | (v5 << 20), v0 = (v0 + v5 + m10) | 0, v15 ^= v0;
  v15 = (v15 >>> 8) | (v15 << 24), v10 = (v10 + v15) | 0, v5 ^= v10, v5 = (v5 >>> 7) | (v5 << 25);
  v1 = (v1 + v6 + m2) | 0, v12 ^= v1, v12 = (v12 >>> 16) | (v12 << 16), v11 = (v11 + v12) | 0;
  v6 ^= v11, v6 = (v6 >>> 12) | (v6 << 20), v1 = (v1 + v6 + m12) | 0, v12 ^= v1;
  v12 = (v12 >>> 8) | (v12 << 24), v11 = (v11 + v12) | 0, v6 ^= v11, v6 = (v6 >>> 7) | (v6 << 25);
  v2 = (v2 + v7 + m3) | 0, v13 ^= v2, v13 = (v13 >>> 16) | (v13 << 16), v8 = (v8 + v13) | 0;
  v7 ^= v8, v7 = (v7 >>> 12) | (v7 << 20), v2 = (v2 + v7 + m4) | 0, v13 ^= v2;
  v13 = (v13 >>> 8) | (v13 << 24), v8 = (v8 + v13) | 0, v7 ^= v8, v7 = (v7 >>> 7) | (v7 << 25);
  v3 = (v3 + v4 + m7) | 0, v14 ^= v3, v14 = (v14 >>> 16) | (v14 << 16), v9 = (v9 + v14) | 0;
  v4 ^= v9, v4 = (v4 >>> 12) | (v4 << 20), v3 = (v3 + v4 + m13) | 0, v14 ^= v3;
  v14 = (v14 >>> 8) | (v14 << 24), v9 = (v9 + v14) | 0, v4 ^= v9, v4 = (v4 >>> 7) | (v4 << 25);

  out[outOff] = v0 ^ v8, out[outOff + 1] = v1 ^ v9, out[outOff + 2] = v2 ^ v10, out[outOff + 3] = v3 ^ v11;
  out[outOff + 4] = v4 ^ v12, out[outOff + 5] = v5 ^ v13, out[outOff + 6] = v6 ^ v14, out[outOff + 7] = v7 ^ v15;
  if (full) {
    out[outOff + 8] = v8 ^ c0, out[outOff + 9] = v9 ^ c1, out[outOff + 10] = v10 ^ c2, out[outOff + 11] = v11 ^ c3;
    out[outOff + 12] = v12 ^ c4, out[outOff + 13] = v13 ^ c5, out[outOff + 14] = v14 ^ c6;
    out[outOff + 15] = v15 ^ c7;
  }
}

/** An incremental BLAKE3 hasher (unkeyed), with output of any length. */
export class Blake3 {
  /** Chaining value of the current chunk. */
  readonly #cv = new Uint32Array(8);
  /** The current block, buffered (zero-padded). */
  readonly #block = new Uint8Array(BLOCK_LEN);
  readonly #blockWords = new Uint32Array(this.#block.buffer);
  #blockLen = 0;
  #blocksCompressed = 0;
  #chunkCounter = 0;
  /** Chaining values of completed subtrees: at most 54 for inputs below 2^64 bytes. */
  readonly #stack = new Uint32Array(54 * 8);
  #stackLen = 0;
  /** Scratch for unaligned input and parent blocks. */
  readonly #scratch = new Uint32Array(16);

  constructor() {
    this.#cv.set(IV);
  }

  /** Feed more input. Returns the hasher for chaining. */
  update(input: Uint8Array): this {
    const aligned = input.byteOffset % 4 === 0;
    const words = aligned ? new Uint32Array(input.buffer, input.byteOffset, input.length >>> 2) : undefined;
    let pos = 0;
    const len = input.length;
    while (pos < len) {
      if (this.#blocksCompressed * BLOCK_LEN + this.#blockLen === CHUNK_LEN) this.#finishChunk();
      // Fast path: a whole chunk that is not the last one, straight from the input.
      if (words && this.#blockLen === 0 && this.#blocksCompressed === 0 && len - pos > CHUNK_LEN) {
        const cv = this.#cv;
        const counter = this.#chunkCounter;
        let off = pos >>> 2;
        compress(cv, 0, words, off, counter, BLOCK_LEN, CHUNK_START, cv, 0, false);
        for (let b = 1; b < 15; b++) {
          off += 16;
          compress(cv, 0, words, off, counter, BLOCK_LEN, 0, cv, 0, false);
        }
        compress(cv, 0, words, off + 16, counter, BLOCK_LEN, CHUNK_END, cv, 0, false);
        pos += CHUNK_LEN;
        this.#pushChunk();
        continue;
      }
      if (this.#blockLen === BLOCK_LEN) {
        // More input follows, so this block is not the chunk's last.
        const flags = this.#blocksCompressed === 0 ? CHUNK_START : 0;
        compress(this.#cv, 0, this.#blockWords, 0, this.#chunkCounter, BLOCK_LEN, flags, this.#cv, 0, false);
        this.#blocksCompressed++;
        this.#blockLen = 0;
        this.#block.fill(0);
      }
      const room = Math.min(
        BLOCK_LEN - this.#blockLen,
        CHUNK_LEN - this.#blocksCompressed * BLOCK_LEN - this.#blockLen,
      );
      const take = Math.min(room, len - pos);
      this.#block.set(input.subarray(pos, pos + take), this.#blockLen);
      this.#blockLen += take;
      pos += take;
    }
    return this;
  }

  /** Write `length` bytes of output (the default 32 is BLAKE3's standard digest). The hasher may go on. */
  digest(length = 32): Uint8Array {
    // The root node: the current chunk, folded with every subtree on the stack.
    const node = new Uint32Array(16);
    const nodeCv = new Uint32Array(8);
    let flags = CHUNK_END | (this.#blocksCompressed === 0 ? CHUNK_START : 0);
    let counter = this.#chunkCounter;
    let blockLen = this.#blockLen;
    nodeCv.set(this.#cv);
    node.set(this.#blockWords);
    for (let i = this.#stackLen - 1; i >= 0; i--) {
      const right = new Uint32Array(8);
      compress(nodeCv, 0, node, 0, counter, blockLen, flags, right, 0, false);
      node.set(this.#stack.subarray(i * 8, i * 8 + 8), 0);
      node.set(right, 8);
      nodeCv.set(IV);
      counter = 0;
      blockLen = BLOCK_LEN;
      flags = PARENT;
    }
    const out = new Uint8Array(length);
    const words = new Uint32Array(16);
    const bytes = new Uint8Array(words.buffer);
    for (let t = 0, done = 0; done < length; t++, done += BLOCK_LEN) {
      compress(nodeCv, 0, node, 0, t, blockLen, flags | ROOT, words, 0, true);
      out.set(bytes.subarray(0, Math.min(BLOCK_LEN, length - done)), done);
    }
    return out;
  }

  /** The output as lower-case hex, `length` bytes long. */
  hex(length = 32): string {
    let s = "";
    for (const b of this.digest(length)) s += HEX[b];
    return s;
  }

  /** Close the full current chunk and start the next one. */
  #finishChunk(): void {
    compress(this.#cv, 0, this.#blockWords, 0, this.#chunkCounter, this.#blockLen, CHUNK_END, this.#cv, 0, false);
    this.#pushChunk();
  }

  /** Push the current chunk's chaining value, merge completed subtrees, reset the chunk state. */
  #pushChunk(): void {
    const stack = this.#stack;
    const scratch = this.#scratch;
    let total = this.#chunkCounter + 1;
    scratch.set(this.#cv, 8);
    while ((total & 1) === 0) {
      this.#stackLen--;
      scratch.set(stack.subarray(this.#stackLen * 8, this.#stackLen * 8 + 8), 0);
      compress(IV, 0, scratch, 0, 0, BLOCK_LEN, PARENT, scratch, 8, false);
      total = Math.floor(total / 2);
    }
    stack.set(scratch.subarray(8, 16), this.#stackLen * 8);
    this.#stackLen++;
    this.#chunkCounter++;
    this.#cv.set(IV);
    this.#block.fill(0);
    this.#blockLen = 0;
    this.#blocksCompressed = 0;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
