/**
 * The integrity checks of the xz format, computed incrementally: CRC-32
 * (also used for xz's headers and index), CRC-64 (ECMA-182, xz's default)
 * and SHA-256 (through `node:crypto`, imported only when a file uses it).
 *
 * @module
 */

/** An incremental checksum: feed bytes, then read the digest as xz stores it. */
export interface Check {
  /** Adds bytes. */
  update(bytes: Uint8Array): void;
  /** The digest, in the byte order xz stores it. */
  digest(): Uint8Array;
}

/** Eight tables of 256 entries for slicing-by-8 of a reflected 32-bit CRC. */
let crc32Tables: Uint32Array | undefined;

function crc32Table(): Uint32Array {
  if (crc32Tables) return crc32Tables;
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 0xff];
  }
  return crc32Tables = t;
}

/** Continues a CRC-32 (IEEE 802.3) `crc` (start with 0) over `bytes`. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  const t = crc32Table();
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (IEEE 802.3) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}

/** Eight CRC-64 tables (ECMA-182 polynomial, reflected) for slicing-by-8, as low and high 32-bit halves. */
let crc64Tables: { lo: Int32Array; hi: Int32Array } | undefined;

function crc64Table(): { lo: Int32Array; hi: Int32Array } {
  if (crc64Tables) return crc64Tables;
  const lo = new Int32Array(8 * 256), hi = new Int32Array(8 * 256);
  const polyLo = 0xd7870f42 | 0, polyHi = 0xc96c5795 | 0;
  for (let n = 0; n < 256; n++) {
    let l = n, h = 0;
    for (let k = 0; k < 8; k++) {
      const odd = l & 1;
      l = (l >>> 1) | (h << 31);
      h = h >>> 1;
      if (odd) {
        l ^= polyLo;
        h ^= polyHi;
      }
    }
    lo[n] = l;
    hi[n] = h;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const l = lo[(k - 1) * 256 + n], h = hi[(k - 1) * 256 + n];
      lo[k * 256 + n] = ((l >>> 8) | (h << 24)) ^ lo[l & 0xff];
      hi[k * 256 + n] = (h >>> 8) ^ hi[l & 0xff];
    }
  }
  return crc64Tables = { lo, hi };
}

class Crc32Check implements Check {
  #crc = 0;
  update(bytes: Uint8Array): void {
    this.#crc = crc32Update(this.#crc, bytes);
  }
  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.#crc, true);
    return out;
  }
}

class Crc64Check implements Check {
  #lo = -1;
  #hi = -1;
  update(bytes: Uint8Array): void {
    const { lo, hi } = crc64Table();
    let l = this.#lo, h = this.#hi;
    let i = 0;
    const n = bytes.length;
    for (; i + 8 <= n; i += 8) {
      l ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      h ^= bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
      const a0 = 1792 + (l & 0xff), a1 = 1536 + ((l >>> 8) & 0xff), a2 = 1280 + ((l >>> 16) & 0xff);
      const a3 = 1024 + (l >>> 24), a4 = 768 + (h & 0xff), a5 = 512 + ((h >>> 8) & 0xff);
      const a6 = 256 + ((h >>> 16) & 0xff), a7 = h >>> 24;
      l = lo[a0] ^ lo[a1] ^ lo[a2] ^ lo[a3] ^ lo[a4] ^ lo[a5] ^ lo[a6] ^ lo[a7];
      h = hi[a0] ^ hi[a1] ^ hi[a2] ^ hi[a3] ^ hi[a4] ^ hi[a5] ^ hi[a6] ^ hi[a7];
    }
    for (; i < n; i++) {
      const x = (l ^ bytes[i]) & 0xff;
      l = ((l >>> 8) | (h << 24)) ^ lo[x];
      h = (h >>> 8) ^ hi[x];
    }
    this.#lo = l;
    this.#hi = h;
  }
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.#lo >>> 0, true);
    view.setUint32(4, ~this.#hi >>> 0, true);
    return out;
  }
}

class NoCheck implements Check {
  update(): void {}
  digest(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** Size of the stored value of any xz check ID (0–15), by the format's rules. */
export function checkSize(id: number): number {
  return id === 0 ? 0 : 4 << Math.floor((id - 1) / 3);
}

type Crypto = typeof import("node:crypto");
let cryptoModule: Crypto | undefined;

/** Loads what the check `id` needs (SHA-256 needs `node:crypto`). */
export async function prepareCheck(id: number): Promise<void> {
  if (id === 10) cryptoModule ??= await import("node:crypto");
}

/** A new check of xz check ID `id` (0 none, 1 CRC-32, 4 CRC-64, 10 SHA-256; call {@linkcode prepareCheck} first). */
export function newCheck(id: number): Check {
  switch (id) {
    case 0:
      return new NoCheck();
    case 1:
      return new Crc32Check();
    case 4:
      return new Crc64Check();
    case 10: {
      if (!cryptoModule) throw new Error("prepareCheck(10) was not awaited");
      const hash = cryptoModule.createHash("sha256");
      return {
        update: (bytes) => hash.update(bytes),
        digest: () => new Uint8Array(hash.digest()),
      };
    }
  }
  throw new RangeError(`xz check ${id} is not supported`);
}
