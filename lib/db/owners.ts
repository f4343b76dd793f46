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

import { isNotFound } from "../errors.ts";
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
const NL = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The index file of a database. */
export function ownerIndexFile(paths: DatabasePaths): string {
  return `${paths.dbRoot}/.kiln-owners`;
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

/** `key` and a NUL as UTF-8, in a buffer reused between look-ups. */
function keyBytes(key: string): Uint8Array {
  if (key.length * 3 + 1 > keyBuffer.length) keyBuffer = new Uint8Array(key.length * 3 + 1);
  const { written } = encoder.encodeInto(key, keyBuffer);
  keyBuffer[written] = 0;
  return keyBuffer.subarray(0, written + 1);
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
    const file = ownerIndexFile(paths);
    let bytes: Uint8Array | undefined;
    try {
      bytes = Deno.readFileSync(file);
    } catch (err) {
      if (!isNotFound(err)) throw err;
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
    const head = encoder.encode(JSON.stringify(header) + "\n");
    const body = encoder.encode(lines.length ? lines.join("\n") + "\n" : "");
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
    const suffix = "\0" + name;
    const text = decoder.decode(this.#bytes.subarray(this.#bodyStart));
    const kept = text === "" ? [] : text.slice(0, -1).split("\n").filter((l) => !l.endsWith(suffix));
    const added = (resolvedPaths ?? []).map((p) => p + suffix).sort(byteOrder);
    const merged: string[] = new Array(kept.length + added.length);
    let i = 0, j = 0, k = 0;
    while (i < kept.length && j < added.length) {
      merged[k++] = byteOrder(kept[i], added[j]) <= 0 ? kept[i++] : added[j++];
    }
    while (i < kept.length) merged[k++] = kept[i++];
    while (j < added.length) merged[k++] = added[j++];
    const packages = { ...this.#header.packages };
    if (resolvedPaths === undefined) delete packages[name];
    else packages[name] = stamp;
    const header: Header = {
      v: VERSION,
      packages,
      links: { ...this.#header.links, ...Object.fromEntries(links ?? []) },
    };
    const next = OwnerIndex.#fromLines(header, merged);
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
   * Write the index atomically (temporary file, rename). A root kiln cannot
   * write to (a read-only mount, another user's root) keeps no index file:
   * returns false and the next query rebuilds it again.
   */
  trySave(paths: DatabasePaths): boolean {
    const file = ownerIndexFile(paths);
    const tmp = `${file}.${Deno.pid}.tmp`;
    try {
      Deno.statSync(paths.dbRoot);
      Deno.writeFileSync(tmp, this.#bytes);
      Deno.renameSync(tmp, file);
      return true;
    } catch {
      try {
        Deno.removeSync(tmp);
      } catch { /* never written */ }
      return false;
    }
  }
}
