/**
 * A second thread for writing a package's files. Most of the time of a big
 * install is the kernel creating files, which two threads on two cores do
 * in about half the time (SPEC §9: install within 1.5× of `tar -x`).
 *
 * The archive is decompressed into shared memory (`zstd_shared.ts`), so the
 * helper — a worker started as soon as the archive is parsed, which is
 * ready by the time planning is done — reads the same bytes this thread
 * checked, with no copy and no second decompression. Only the list of
 * files crosses over: paths, and where each file's bytes lie in the
 * archive. Nothing the helper writes was not checked and planned here.
 *
 * A removal of a big package shares its deletions the same way.
 *
 * Work is handed out in chunks (a run of files in one directory) through a
 * shared counter, so neither thread waits for the other: this thread takes
 * chunks from the start, the helper from the end, until they meet; a helper
 * that is not running yet simply takes none. Both threads count the transaction's steps in one shared counter,
 * so fault injection (`KISS_FAULT_AFTER`) crashes the same way. The first
 * error on either side stops both; this thread waits until the helper is
 * out of its chunk before it reports the error, so a rollback never races
 * a write.
 *
 * @module
 */

import { AT_FDCWD, fileSystemType } from "../../ffi/fs.ts";
import { AT_REMOVEDIR, deletionAddresses, DIRECTORY_FLAGS } from "../../ffi/unlink.ts";
import { ERROR_BYTES, HEADER_BYTES, helperSource, SLOT, STATE } from "./helper_thread.ts";
import type { PackageEntry } from "./package.ts";
import type { Steps } from "./steps.ts";

/** Files in one chunk at most (a directory's files are split into chunks of this size). */
const CHUNK_FILES = 128;

/**
 * Packages of fewer files than this are written (or deleted) by one thread:
 * starting a worker costs this thread about 12–20 ms, which two threads win
 * back, in memory (tmpfs), only from a few thousand files on.
 */
export const HELPER_MIN_FILES = 4000;
/**
 * The same for writing to a file system on a disk, where creating a file
 * costs from a few times to a hundred times more (ext4 on an NVMe disk: some
 * 15 µs; on a slow disk, SD card or USB stick, far more): two threads win
 * from about a thousand files on.
 */
export const HELPER_MIN_FILES_ON_DISK = 1000;

/** `statfs` types of the file systems held in memory: tmpfs and ramfs. */
const MEMORY_FILE_SYSTEMS: ReadonlySet<number> = new Set([0x01021994, 0x858458f6]);

/** From how many files on a package are best written by two threads into `root` (by its file system). */
export function helperThreshold(root: string): number {
  const type = fileSystemType(root);
  return type === undefined || MEMORY_FILE_SYSTEMS.has(type) ? HELPER_MIN_FILES : HELPER_MIN_FILES_ON_DISK;
}
/**
 * A helper given no work this long after it starts ends by itself (so that
 * one nobody stopped lets the process exit); the files are then all written
 * by this thread.
 */
const HELPER_IDLE_MS = 10_000;

/** A job for the helper: what to do, the chunks of its items, and what `helper_thread.ts` needs for it. */
interface HelperMessage {
  readonly kind: "write" | "remove";
  readonly chunks: Int32Array;
  readonly [field: string]: unknown;
}

let live = 0;

/** A helper needs a second processor; with one, it would only take time from this thread. */
function spareProcessor(): boolean {
  return (navigator.hardwareConcurrency ?? 1) >= 2;
}

/** The helper thread of one package archive (see the module documentation). */
export class WriteHelper {
  readonly #worker: Worker;
  readonly #url: string;
  readonly #shared: SharedArrayBuffer;
  readonly #state: Int32Array;
  readonly #archive: Uint8Array | undefined;
  #stopped = false;

  private constructor(worker: Worker, url: string, shared: SharedArrayBuffer, archive?: Uint8Array) {
    this.#worker = worker;
    this.#url = url;
    this.#shared = shared;
    this.#state = new Int32Array(shared, 0, HEADER_BYTES / 4);
    this.#archive = archive;
  }

  /**
   * Start a helper for a package of `files` files whose decompressed
   * archive is `archive` — unless another helper is running (one at a
   * time), the machine has one processor, the package has fewer than
   * `threshold` files (see {@linkcode helperThreshold}), or the archive is
   * not in shared memory (only zstd is decompressed there).
   */
  static forArchive(archive: Uint8Array, files: number, threshold = HELPER_MIN_FILES): WriteHelper | undefined {
    if (files < threshold || !(archive.buffer instanceof SharedArrayBuffer)) return undefined;
    return WriteHelper.#start(archive);
  }

  /** Start a helper to delete `files` files (see {@linkcode forArchive} for when there is none). */
  static forRemoval(files: number): WriteHelper | undefined {
    return files < HELPER_MIN_FILES ? undefined : WriteHelper.#start(undefined);
  }

  static #start(archive: Uint8Array | undefined): WriteHelper | undefined {
    if (live > 0 || !spareProcessor()) return undefined;
    let url: string | undefined;
    try {
      url = URL.createObjectURL(new Blob([helperSource()], { type: "text/javascript" }));
      const worker = new Worker(url, { type: "module" });
      const shared = new SharedArrayBuffer(HEADER_BYTES + ERROR_BYTES);
      live++;
      worker.postMessage({
        kind: "start",
        shared,
        slot: SLOT,
        state: STATE,
        headerBytes: HEADER_BYTES,
        idleMs: HELPER_IDLE_MS,
      });
      return new WriteHelper(worker, url, shared, archive);
    } catch {
      // No workers here (a restricted runtime): one thread writes everything.
      if (url !== undefined) URL.revokeObjectURL(url);
      return undefined;
    }
  }

  /** Whether the helper is stopped (it is stopped after one use). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** End the helper thread. Safe to call more than once. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    live--;
    this.#worker.terminate();
    URL.revokeObjectURL(this.#url);
  }

  /**
   * Write `entries[i]` at the host path `paths[i]` for every `i`, sharing
   * them with the helper; `writeHere(i)` writes one on this thread (the
   * helper writes exactly as it does: a regular file with
   * `Deno.writeFileSync`, given its mode unless it is `plain`, a link with
   * `Deno.symlinkSync`), `progress` is told how many both have written.
   * `runs`, when given, are where runs of files of one directory start
   * (else they are found from the paths).
   * Throws the first error of either thread, once the helper has stopped
   * writing; else returns how many files the helper wrote. The helper is
   * stopped afterwards.
   */
  writeAll(
    paths: readonly string[],
    entries: readonly PackageEntry[],
    plain: number,
    steps: Steps,
    writeHere: (i: number) => void,
    progress: (done: number) => void,
    runs?: readonly number[],
  ): number {
    const chunks = runs === undefined ? chunksOf(paths) : chunksOfRuns(runs, paths.length);
    return this.#run(paths, this.#writeMessage(paths, entries, plain, chunks), steps, writeHere, progress);
  }

  /**
   * Delete every file `prefix + paths[i]` (host paths), sharing them with
   * the helper; `removeHere(path)` deletes one on this thread, and the
   * helper does as `removeFile` of `replay.ts` does (a step for each file it
   * deleted), through the same C library functions, passed by address.
   * Errors, and the return value, as {@linkcode writeAll}.
   */
  removeAll(paths: readonly string[], steps: Steps, removeHere: (path: string) => void, prefix = ""): number {
    // The prefix is added as each file is deleted: the names are sent, and split into chunks, as they are.
    const message: HelperMessage = {
      kind: "remove",
      paths: paths.join("\0"),
      prefix,
      chunks: chunksOf(paths),
      calls: deletionAddresses(),
      flags: { cwd: AT_FDCWD, removeDir: AT_REMOVEDIR, directory: DIRECTORY_FLAGS },
    };
    return this.#run(paths, message, steps, (i) => removeHere(prefix + paths[i]), () => {});
  }

  /**
   * Send the helper `message` (with its `chunks` of the items, and the step
   * counter) and take chunks on this thread too, doing `here(i)` for each
   * item; `undefined` for a message makes this thread do everything.
   */
  #run(
    paths: readonly string[],
    message: HelperMessage | undefined,
    steps: Steps,
    here: (i: number) => void,
    progress: (done: number) => void,
  ): number {
    try {
      if (this.#stopped || message === undefined) {
        for (let i = 0; i < paths.length; i++) {
          here(i);
          if (((i + 1) & 511) === 0) progress(i + 1);
        }
        return 0;
      }
      const chunks = message.chunks;
      this.#worker.postMessage({ ...message, steps: steps.shared.buffer, killAt: steps.killAt ?? 0 });
      const state = this.#state;
      const last = chunks.length - 1;
      let mine = 0;
      let failure: unknown;
      try {
        // Chunks from the start; the helper takes them from the end. Each is taken once: no more than `last` in all.
        for (let c = 0; Atomics.add(state, SLOT.taken, 1) < last; c++) {
          for (let i = chunks[c]; i < chunks[c + 1] && Atomics.load(state, SLOT.stop) === 0; i++) {
            here(i);
            Atomics.add(state, SLOT.done, 1);
            if ((++mine & 511) === 0) progress(Atomics.load(state, SLOT.done));
          }
        }
      } catch (err) {
        failure = err;
        Atomics.store(state, SLOT.stop, 1);
      }
      // Wait until the helper is out of its chunk, then report the first error of either thread.
      while (Atomics.load(state, SLOT.state) === STATE.working) {
        Atomics.wait(state, SLOT.state, STATE.working, 1000);
      }
      if (failure !== undefined) throw failure;
      const length = Atomics.load(state, SLOT.errorLength);
      if (length > 0) {
        throw new Error(new TextDecoder().decode(new Uint8Array(this.#shared, HEADER_BYTES, length)));
      }
      return Atomics.load(state, SLOT.done) - mine;
    } finally {
      this.stop();
    }
  }

  /**
   * The helper's write message — or `undefined` when a file's bytes are not
   * in the shared archive, and this thread writes everything. Names are
   * sent joined by NULs; the helper checks their number, and takes no chunk
   * if a name held a NUL (which no system call would take).
   */
  #writeMessage(
    paths: readonly string[],
    entries: readonly PackageEntry[],
    plain: number,
    chunks: Int32Array,
  ): HelperMessage | undefined {
    const archive = this.#archive?.buffer;
    if (archive === undefined) return undefined;
    const n = entries.length;
    const links: string[] = [];
    const offsets = new Float64Array(n);
    const sizes = new Float64Array(n);
    const modes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const entry = entries[i];
      if (entry.type === "symlink") {
        modes[i] = -1;
        offsets[i] = links.length;
        links.push(entry.linkName ?? "");
        continue;
      }
      const body = entry.body;
      modes[i] = entry.mode;
      sizes[i] = body.length;
      if (body.length === 0) continue;
      if (body.buffer !== archive) return undefined;
      offsets[i] = body.byteOffset;
    }
    return {
      kind: "write",
      archive,
      paths: paths.join("\0"),
      links: links.join("\0"),
      linkCount: links.length,
      offsets,
      sizes,
      modes,
      plain,
      chunks,
    };
  }
}

/** The chunks of `total` items whose runs (of one directory) start at `runs`: each run cut to {@linkcode CHUNK_FILES}. */
function chunksOfRuns(runs: readonly number[], total: number): Int32Array {
  const starts: number[] = [];
  for (let r = 0; r < runs.length; r++) {
    const end = r + 1 < runs.length ? runs[r + 1] : total;
    for (let i = runs[r]; i < end; i += CHUNK_FILES) starts.push(i);
  }
  if (starts[0] !== 0) starts.unshift(0);
  if (total > 0) starts.push(total);
  return Int32Array.from(starts);
}

/** The chunks of `paths`: start indices of runs of at most {@linkcode CHUNK_FILES} in one directory, then the end. */
function chunksOf(paths: readonly string[]): Int32Array {
  const starts: number[] = [];
  let dir = "";
  let inChunk = 0;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    const slash = path.lastIndexOf("/");
    if (inChunk === CHUNK_FILES || slash !== dir.length || !path.startsWith(dir)) {
      starts.push(i);
      dir = path.slice(0, slash);
      inChunk = 0;
    }
    inChunk++;
  }
  starts.push(paths.length);
  return Int32Array.from(starts);
}
