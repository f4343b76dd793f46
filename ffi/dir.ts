/**
 * Reading a directory with `getdents64(2)`: every name and its type from a
 * few calls into one reused buffer, decoded in JavaScript, where `Deno.readDirSync`
 * builds an object per entry. Planning the removal of a package of 20,000
 * files reads each of its directories once.
 *
 * @module
 */

import { openLibrary } from "./libc.ts";
import { AT_FDCWD, O } from "./fs.ts";

/** `d_type` values of a directory entry. */
export const DT = { UNKNOWN: 0, DIR: 4, REG: 8, LNK: 10 } as const;

const SYMBOLS = {
  openat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | null | undefined;

/** Bytes read per `getdents64` call. */
const BUFFER_BYTES = 128 * 1024;
let buffer: Uint8Array | undefined;
const encoder = new TextEncoder();
// Byte for byte (one UTF-16 unit per byte), so that offsets in the text are offsets in the buffer.
const bytewise = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Set `out[name]` for every entry of directory `path` but `.` and `..`:
 * `kinds[type]` for its `d_type` (see {@linkcode DT}), or `unknown(name)`
 * where the file system does not say. Entries whose `d_type` is `skip` are
 * passed over unread (their names are not even decoded). Names that are not
 * UTF-8 are passed over, as `Deno.readDirSync` does. Returns false when the
 * directory cannot be read (`out` may then hold some of its entries),
 * `undefined` when the C library is not available.
 */
export function readDirectory<T>(
  path: string,
  out: Map<string, T>,
  kinds: readonly T[],
  unknown: (name: string) => T,
  skip = -1,
): boolean | undefined {
  if (lib === undefined) {
    try {
      lib = openLibrary(SYMBOLS);
    } catch {
      lib = null;
    }
  }
  if (lib === null) return undefined;
  const buf = buffer ??= new Uint8Array(BUFFER_BYTES);
  if (path.includes("\0")) return false;
  const bytes = encoder.encode(path);
  const cPath = new Uint8Array(bytes.length + 1);
  cPath.set(bytes);
  const fd = lib.openat(AT_FDCWD, cPath, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
  if (fd < 0) return false;
  try {
    for (;;) {
      const n = Number(lib.getdents64(fd, buf, BigInt(buf.length)));
      if (n < 0) return false;
      if (n === 0) return true;
      let text: string | undefined;
      // struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
      for (let off = 0; off < n; off += buf[off + 16] | (buf[off + 17] << 8)) {
        const type = buf[off + 18];
        if (type === skip) continue;
        text ??= bytewise.decode(buf.subarray(0, n));
        let end = off + 19;
        let high = 0;
        for (; buf[end] !== 0; end++) high |= buf[end];
        let name = text.slice(off + 19, end);
        if (name === "." || name === "..") continue;
        if (high > 0x7f) {
          try {
            name = utf8.decode(buf.subarray(off + 19, end));
          } catch {
            continue;
          }
        }
        out.set(name, type === DT.UNKNOWN ? unknown(name) : kinds[type]);
      }
    }
  } finally {
    lib.close(fd);
  }
}
