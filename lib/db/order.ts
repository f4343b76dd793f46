/**
 * Byte order for paths: the order `sort` uses with `LC_ALL=C`, which kiss's
 * manifests are sorted in. JavaScript compares strings by UTF-16 code unit,
 * which differs from UTF-8 byte order only for characters above U+FFFF; this
 * comparison fixes that case so manifests and the owner index sort exactly as
 * their bytes do.
 *
 * @module
 */

function unit(c: number): number {
  // Surrogates (U+D800–U+DFFF) stand for code points above U+FFFF, which sort
  // after every BMP character in UTF-8; characters U+E000–U+FFFF move down to
  // keep their relative order.
  if (c < 0xd800) return c;
  if (c <= 0xdfff) return c + 0x2000;
  return c - 0x800;
}

/** Compare two strings by the UTF-8 byte order of their contents (negative, zero or positive). */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) return unit(x) - unit(y);
  }
  return a.length - b.length;
}

/** The reverse of {@linkcode byteOrder}: the order of kiss manifests (children before parents). */
export function reverseByteOrder(a: string, b: string): number {
  return byteOrder(b, a);
}
