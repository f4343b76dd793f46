/**
 * The owner index: which installed package owns each path, so that conflict
 * checks and `kiln owns` never scan every manifest (SPEC §8.3).
 *
 * It lives in `<root>/var/db/kiss/.kiln-owners` and is derived data: it can
 * always be rebuilt from the manifests. The file is one JSON header line —
 * a stamp (inode, size, mtime) of every package's manifest and the symbolic
 * links followed while resolving paths — then one `PATH\0PACKAGE` line per
 * manifest entry, sorted by byte order, paths resolved through the root's
 * linked directories (`/bin/sh` is filed as `/usr/bin/sh` when `/bin` links to
 * `usr/bin`). Loading compares the stamps with the database and the links
 * with the root; any difference (another tool such as kiss changed the
 * database) rebuilds the index silently. A look-up is a binary search over
 * the file's bytes, with nothing decoded but the lines it returns.
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";
import { DatabaseDir } from "./dbdir.ts";
import { parseManifest } from "./manifest.ts";
import { byteOrder } from "./order.ts";
import { RootResolver } from "./resolve.ts";

/** Where a root's database lives (a {@linkcode Config} has these). */
export interface DatabasePaths {
  readonly root: string;
  readonly dbRoot: string;
  readonly installedDir: string;
}

interface Header {
  v: number;
  packages: Record<string, string>;
  links: Record<string, string>;
}

const VERSION = 1;
/** The index's file name in the database directory. */
const INDEX_FILE = ".kiln-owners";
const NL = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The index file of a database. */
export function ownerIndexFile(paths: DatabasePaths): string {
  return `${paths.dbRoot}/${INDEX_FILE}`;
}

/** Names of the packages installed in a database (directory names not starting with `.`), sorted. */
export function installedNames(installedDir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(installedDir)) {
      if (!e.name.startsWith(".") && (e.isDirectory || e.isSymlink)) names.push(e.name);
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return names.sort(byteOrder);
}

/** A cheap fingerprint of a package's manifest file: inode, size and mtime; `-` when it has none. */
export function manifestStamp(installedDir: string, name: string): string {
  try {
    const s = Deno.statSync(`${installedDir}/${name}/manifest`);
    return `${s.ino ?? 0}:${s.size}:${s.mtime?.getTime() ?? 0}`;
  } catch {
    return "-";
  }
}

let keyBuffer = new Uint8Array(4096);

/** `key` as UTF-8 followed by a NUL (or, with `nul` false, without), in a buffer reused between look-ups. */
function keyBytes(key: string, nul = true): Uint8Array {
  if (key.length * 3 + 1 > keyBuffer.length) keyBuffer = new Uint8Array(key.length * 3 + 1);
  const { written } = encoder.encodeInto(key, keyBuffer);
  if (!nul) return keyBuffer.subarray(0, written);
  keyBuffer[written] = 0;
  return keyBuffer.subarray(0, written + 1);
}

/** True when the bytes of `buf` before `end` are `suffix`. */
function endsWithBytes(buf: Uint8Array, end: number, suffix: Uint8Array): boolean {
  const from = end - suffix.length;
  if (from < 0) return false;
  for (let i = 0; i < suffix.length; i++) if (buf[from + i] !== suffix[i]) return false;
  return true;
}

/** Byte order of the line `a[aFrom..aEnd)` against the line `b[bFrom..bEnd)` (negative, zero or positive). */
function compareLines(a: Uint8Array, aFrom: number, aEnd: number, b: Uint8Array, bFrom: number, bEnd: number): number {
  const n = Math.min(aEnd - aFrom, bEnd - bFrom);
  for (let i = 0; i < n; i++) {
    const d = a[aFrom + i] - b[bFrom + i];
    if (d !== 0) return d;
  }
  return (aEnd - aFrom) - (bEnd - bFrom);
}

/** Lines of one package's records that {@linkcode OwnerIndex.hasPathsUnder} reads before it stops looking. */
const SCAN_LIMIT = 65536;

/** Code units that sort differently in UTF-16 and in UTF-8: surrogates and U+E000–U+FFFF. */
const HIGH_UNITS = /[\uD800-\uFFFF]/;

/** {@linkcode byteOrder}, by the engine's own comparison where that gives the same answer. */
function compareRecords(a: string, b: string): number {
  if (HIGH_UNITS.test(a) || HIGH_UNITS.test(b)) return byteOrder(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort strings in byte order; records made from a manifest come in reverse order, which is checked for first. */
function sortRecords(lines: string[]): string[] {
  let ascending = true, descending = true;
  for (let i = 1; i < lines.length && (ascending || descending); i++) {
    const d = compareRecords(lines[i - 1], lines[i]);
    if (d > 0) ascending = false;
    else if (d < 0) descending = false;
  }
  if (ascending) return lines;
  if (descending) return lines.reverse();
  return lines.sort(compareRecords);
}

function compareBytes(buf: Uint8Array, at: number, end: number, key: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    const p = at + i;
    if (p >= end || buf[p] === NL) return -1;
    const d = buf[p] - key[i];
    if (d !== 0) return d;
  }
  return 0;
}

/** The owner index of one root (see the module documentation). */
export class OwnerIndex {
  #header: Header;
  #bytes: Uint8Array;
  #bodyStart: number;

  private constructor(header: Header, bytes: Uint8Array, bodyStart: number) {
    this.#header = header;
    this.#bytes = bytes;
    this.#bodyStart = bodyStart;
  }

  /** The packages the index knows, with their manifest stamps. */
  get stamps(): Readonly<Record<string, string>> {
    return this.#header.packages;
  }

  /**
   * The index of a root: read from its file when that is current, else built
   * from the manifests and (when `save` is not false and the database is
   * writable) written back.
   */
  static load(paths: DatabasePaths, options: { save?: boolean } = {}): OwnerIndex {
    let bytes: Uint8Array | undefined;
    // Read from the checked database directory, never through a link (a link there is rebuilt over).
    let db: DatabaseDir | undefined;
    try {
      db = DatabaseDir.open(paths.dbRoot, false);
      bytes = db?.read(INDEX_FILE);
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof KilnError)) throw err;
    } finally {
      db?.close();
    }
    if (bytes) {
      const index = OwnerIndex.#parse(bytes);
      if (index && index.#isCurrent(paths)) return index;
    }
    const index = OwnerIndex.build(paths);
    if (options.save !== false) index.trySave(paths);
    return index;
  }

  static #parse(bytes: Uint8Array): OwnerIndex | undefined {
    const nl = bytes.indexOf(NL);
    if (nl < 0) return undefined;
    try {
      const header = JSON.parse(decoder.decode(bytes.subarray(0, nl))) as Header;
      if (header.v !== VERSION || typeof header.packages !== "object" || typeof header.links !== "object") {
        return undefined;
      }
      return new OwnerIndex(header, bytes, nl + 1);
    } catch {
      return undefined;
    }
  }

  #isCurrent(paths: DatabasePaths): boolean {
    const names = installedNames(paths.installedDir);
    const known = this.#header.packages;
    if (names.length !== Object.keys(known).length) return false;
    for (const name of names) {
      if (known[name] !== manifestStamp(paths.installedDir, name)) return false;
    }
    const root = paths.root === "/" ? "" : paths.root;
    for (const [path, target] of Object.entries(this.#header.links)) {
      try {
        if (Deno.readLinkSync(root + path) !== target) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Build the index from every manifest of the root's database. */
  static build(paths: DatabasePaths): OwnerIndex {
    const resolver = new RootResolver(paths.root);
    const packages: Record<string, string> = {};
    const lines: string[] = [];
    for (const name of installedNames(paths.installedDir)) {
      // The stamp is taken before the manifest is read: a change in between
      // leaves a stamp that no longer matches, so the next load rebuilds.
      packages[name] = manifestStamp(paths.installedDir, name);
      let text: string;
      try {
        text = Deno.readTextFileSync(`${paths.installedDir}/${name}/manifest`);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      for (const line of parseManifest(text)) lines.push(`${resolver.resolve(line)}\0${name}`);
    }
    lines.sort(byteOrder);
    return OwnerIndex.#fromLines({ v: VERSION, packages, links: Object.fromEntries(resolver.followed) }, lines);
  }

  static #fromLines(header: Header, lines: string[]): OwnerIndex {
    return OwnerIndex.#fromBody(header, encoder.encode(lines.length ? lines.join("\n") + "\n" : ""));
  }

  static #fromBody(header: Header, body: Uint8Array): OwnerIndex {
    const head = encoder.encode(JSON.stringify(header) + "\n");
    const bytes = new Uint8Array(head.length + body.length);
    bytes.set(head);
    bytes.set(body, head.length);
    return new OwnerIndex(header, bytes, head.length);
  }

  /** Offset of the first record whose bytes are not less than `key`. */
  #lowerBound(key: Uint8Array): number {
    const buf = this.#bytes;
    const end = buf.length;
    let lo = this.#bodyStart, hi = end;
    while (lo < hi) {
      let s = (lo + hi) >>> 1;
      while (s > lo && buf[s - 1] !== NL) s--;
      if (compareBytes(buf, s, end, key) < 0) {
        const nl = buf.indexOf(NL, s);
        lo = nl < 0 ? end : nl + 1;
      } else {
        hi = s;
      }
    }
    return lo;
  }

  #ownersOfKey(key: string): string[] {
    const buf = this.#bytes;
    if (this.#bodyStart >= buf.length) return [];
    const k = keyBytes(key);
    const out: string[] = [];
    for (let at = this.#lowerBound(k); at < buf.length;) {
      if (compareBytes(buf, at, buf.length, k) !== 0) break;
      let nl = buf.indexOf(NL, at);
      if (nl < 0) nl = buf.length;
      out.push(decoder.decode(buf.subarray(at + k.length, nl)));
      at = nl + 1;
    }
    return out;
  }

  /**
   * The packages owning a resolved path. A path without a trailing `/` also
   * finds the owners of the directory of that name.
   */
  owners(resolvedPath: string): string[] {
    const found = this.#ownersOfKey(resolvedPath);
    if (!resolvedPath.endsWith("/")) found.push(...this.#ownersOfKey(resolvedPath + "/"));
    return [...new Set(found)];
  }

  /**
   * Whether any record's path starts with `prefix` (a resolved directory
   * with its trailing `/`): when not, nothing below that directory has an
   * owner, and no path in it needs a look-up of its own. With `except`,
   * records of that package do not count.
   */
  hasPathsUnder(prefix: string, except?: string): boolean {
    const buf = this.#bytes;
    if (this.#bodyStart >= buf.length) return false;
    const suffix = except === undefined ? undefined : encoder.encode("\0" + except);
    const key = keyBytes(prefix, false);
    let scanned = 0;
    for (let at = this.#lowerBound(key); at < buf.length;) {
      if (compareBytes(buf, at, buf.length, key) !== 0) return false;
      if (suffix === undefined || ++scanned > SCAN_LIMIT) return true;
      let nl = buf.indexOf(NL, at);
      if (nl < 0) nl = buf.length;
      if (!endsWithBytes(buf, nl, suffix)) return true;
      at = nl + 1;
    }
    return false;
  }

  /** Every record as `[resolvedPath, package]`, in index order. */
  *entries(): Generator<[string, string]> {
    const text = decoder.decode(this.#bytes.subarray(this.#bodyStart));
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const z = line.lastIndexOf("\0");
      yield [line.slice(0, z), line.slice(z + 1)];
    }
  }

  /**
   * Replace what the index says about `name`: `resolvedPaths` is its new
   * manifest resolved (or `undefined` when it was removed), `stamp` its
   * manifest's new stamp, `links` links followed while resolving.
   */
  replacePackage(
    name: string,
    resolvedPaths: readonly string[] | undefined,
    stamp: string,
    links?: ReadonlyMap<string, string>,
  ) {
    // A merge of two sorted runs of lines, done on the bytes: the package's
    // old records dropped, the others copied in runs, the new ones put in order.
    const suffixText = "\0" + name;
    const suffix = encoder.encode(suffixText);
    const records = sortRecords((resolvedPaths ?? []).map((p) => p + suffixText));
    const add = encoder.encode(records.length ? records.join("\n") + "\n" : "");
    const old = this.#bytes;
    const out = new Uint8Array(old.length - this.#bodyStart + add.length + 1);
    let o = 0;
    let a = 0;
    let aEnd = add.indexOf(NL);
    const put = (from: Uint8Array, start: number, end: number) => {
      out.set(from.subarray(start, end), o);
      o += end - start;
    };
    let run = this.#bodyStart;
    let at = run;
    while (at < old.length) {
      let nl = old.indexOf(NL, at);
      if (nl < 0) nl = old.length;
      if (endsWithBytes(old, nl, suffix)) {
        put(old, run, at);
        run = nl + 1;
      } else {
        while (aEnd >= 0 && compareLines(add, a, aEnd, old, at, nl) < 0) {
          put(old, run, at);
          run = at;
          put(add, a, aEnd + 1);
          a = aEnd + 1;
          aEnd = add.indexOf(NL, a);
        }
      }
      at = nl + 1;
    }
    if (run < old.length) {
      put(old, run, old.length);
      if (old[old.length - 1] !== NL) out[o++] = NL;
    }
    put(add, a, add.length);
    const packages = { ...this.#header.packages };
    if (resolvedPaths === undefined) delete packages[name];
    else packages[name] = stamp;
    const header: Header = {
      v: VERSION,
      packages,
      links: { ...this.#header.links, ...Object.fromEntries(links ?? []) },
    };
    const next = OwnerIndex.#fromBody(header, out.subarray(0, o));
    this.#header = next.#header;
    this.#bytes = next.#bytes;
    this.#bodyStart = next.#bodyStart;
  }

  /** Rebuild the index in place from the root's manifests (after links in the root changed). */
  rebuild(paths: DatabasePaths): void {
    const next = OwnerIndex.build(paths);
    this.#header = next.#header;
    this.#bytes = next.#bytes;
    this.#bodyStart = next.#bodyStart;
  }

  /** The index file's bytes. */
  bytes(): Uint8Array {
    return this.#bytes;
  }

  /**
   * Write the index atomically (a temporary file of an unpredictable name,
   * made with `O_EXCL` in the checked database directory, then renamed). A root kiln cannot
   * write to (a read-only mount, another user's root) keeps no index file:
   * returns false and the next query rebuilds it again.
   */
  trySave(paths: DatabasePaths): boolean {
    let db: DatabaseDir | undefined;
    try {
      db = DatabaseDir.open(paths.dbRoot, false);
      if (db === undefined) return false;
      db.replace(INDEX_FILE, this.#bytes as Uint8Array<ArrayBuffer>, false);
      return true;
    } catch {
      return false;
    } finally {
      db?.close();
    }
  }
}
