/**
 * A package archive's decompressed bytes as they arrive, so that reading
 * the tar can go on while the rest is still being decompressed — on another
 * processor, by the `zstd` program (SPEC §9: install within 1.5× of
 * `zstd -dc | tar -x`, which decompresses and unpacks side by side too).
 *
 * A zstd archive is decompressed by `zstd -dcq` when the program is in
 * `PATH`. Its output is read from a pipe of its own, opened through `/proc`
 * and enlarged so that the program can run ahead, with the C library's
 * `read` straight into one growable `SharedArrayBuffer` (so the write
 * helper of `lib/install/write_helper.ts` reads the same bytes), while
 * {@linkcode ArrivingBytes.more} waits for what comes next.
 *
 * `/proc/PID/fd/1` names whatever the process has as its output at that
 * moment: nothing once it has exited, and something else while a wrapper
 * script has redirected it. So the program is not started directly:
 * `/bin/sh` starts first and waits for its standard input to close; the
 * pipe is opened while it waits (its output is then the pipe for certain),
 * and only then is its input closed and the program run in its place
 * (`exec`). Whatever the program does, its output is read from this side's
 * own reading end, to the end, and its status says whether it failed.
 * Without the program, and for every other format, the archive is
 * decompressed in-process at once (`compress.ts`) and arrives whole: kiln
 * needs no `zstd` in a fresh chroot. When the program fails (corrupt data,
 * a bad checksum — or a program that is not what it claims), the caller
 * decodes in-process instead ({@linkcode ZstdProgramFailed}), so errors are
 * the in-process decoder's.
 *
 * @module
 */

import { decompress, detectCompression } from "./compress.ts";
import { AT_FDCWD, close, F, fcntl, O, openat, read } from "../../ffi/fs.ts";

/** The decompressed bytes of an archive, arriving. */
export interface ArrivingBytes {
  /** Room for every byte; the first {@linkcode length} are there. */
  readonly bytes: Uint8Array;
  /** How many bytes have arrived. */
  readonly length: number;
  /** True when all have arrived ({@linkcode finish} still checks the decoder's verdict). */
  readonly done: boolean;
  /** True when the zstd program decompresses them (else they were decompressed in-process). */
  readonly byProgram: boolean;
  /** Wait until more bytes have arrived, or all (blocking this thread). */
  more(): void;
  /**
   * Wait for the rest and the decoder's verdict: the whole decompressed
   * archive. Throws {@linkcode ZstdProgramFailed} when the program failed
   * (or its output outgrew the room reserved for it).
   */
  finish(): Promise<Uint8Array>;
  /**
   * Stop early (the reader found a fault). Returns the
   * {@linkcode ZstdProgramFailed} of a program that had failed by itself.
   */
  cancel(): Promise<ZstdProgramFailed | undefined>;
}

/**
 * The zstd program failed (how, in the message). Its failure is not taken as
 * the archive's: the caller decodes the archive in-process instead, which
 * tells damaged data (the same "damaged zstd data" error as ever) from a
 * program that misbehaves.
 */
export class ZstdProgramFailed extends Error {}

/** The decompressor program used for zstd archives when it is in `PATH`. */
export const ZSTD_PROGRAM = "zstd";

/**
 * The decompressed bytes of the archive `file`; `name` names it in errors.
 * `program` is the zstd program to run (`false`: decompress in-process);
 * `room` the most its output may take (default: the machine's memory, at
 * most 16 GiB). Throws the file system's error when the file cannot be
 * read, and a `KilnError` when it does not decompress.
 */
export async function arrivingBytes(
  file: string,
  name: string,
  program: string | false = ZSTD_PROGRAM,
  room?: number,
): Promise<ArrivingBytes> {
  if (program !== false && detectCompression(readHead(file)) === "zst") {
    const piped = await ZstdPipe.start(program, file, name, room ?? maxBytes());
    if (piped !== undefined) return piped;
  }
  return whole(await decompress(await Deno.readFile(file), name));
}

/** The first bytes of `file`: enough to tell its compression. */
function readHead(file: string): Uint8Array {
  const head = new Uint8Array(16);
  using f = Deno.openSync(file);
  let n = 0;
  for (let got; n < head.length && (got = f.readSync(head.subarray(n))) !== null;) n += got;
  return head.subarray(0, n);
}

/** Bytes of room added to the shared buffer at a time. */
const GROW_BYTES = 16 * 1024 * 1024;

/**
 * The most a package may decompress to in the shared buffer (its address
 * space is reserved up front); a bigger one is read in-process.
 */
function maxBytes(): number {
  const most = 16 * 1024 ** 3;
  try {
    return Math.min(most, Deno.systemMemoryInfo().total);
  } catch {
    return most;
  }
}

/** Bytes that are all there. */
function whole(bytes: Uint8Array): ArrivingBytes {
  return {
    bytes,
    length: bytes.length,
    done: true,
    byProgram: false,
    more: () => {},
    finish: () => Promise.resolve(bytes),
    cancel: () => Promise.resolve(undefined),
  };
}

/** `zstd -dcq FILE` read into a shared buffer (see the module documentation). */
class ZstdPipe implements ArrivingBytes {
  /** A view of fixed length (made anew as the buffer grows): the engine reads those fastest. */
  bytes: Uint8Array;
  length = 0;
  done = false;
  readonly byProgram = true;
  readonly #buffer: SharedArrayBuffer;
  readonly #child: Deno.ChildProcess;
  readonly #name: string;
  /** A reading end of the program's output pipe, of this side's own. */
  #fd: number;
  #tooBig = false;

  private constructor(child: Deno.ChildProcess, fd: number, buffer: SharedArrayBuffer, name: string) {
    this.#child = child;
    this.#fd = fd;
    this.#name = name;
    this.#buffer = buffer;
    this.bytes = new Uint8Array(buffer, 0, 0);
  }

  /** Start `program` on `file`, or `undefined` when it cannot be run or its output cannot be read here. */
  static async start(program: string, file: string, name: string, room: number): Promise<ZstdPipe | undefined> {
    const path = findProgram(program);
    if (path === undefined || !canCallC()) return undefined;
    let buffer: SharedArrayBuffer;
    let child: Deno.ChildProcess;
    try {
      buffer = new SharedArrayBuffer(0, { maxByteLength: room });
      child = new Deno.Command(SHELL, {
        // The shell waits for its input to close (read returns at its end), then becomes the program.
        args: ["-c", 'read -r _; exec "$0" -dcq -- "$1"', path, file],
        stdin: "piped",
        stdout: "piped",
        // Not kept: while this thread reads its output, nothing would drain a second pipe, and a program
        // that said much there would wait forever. Its failure is told by its status; the in-process
        // decoder then says what is wrong.
        stderr: "null",
      }).spawn();
    } catch {
      return undefined;
    }
    // The shell is waiting for its input: its output is the pipe until that input closes.
    const fd = openOutput(child.pid);
    // Only this side's own reading end is read: the runtime's is closed, so that it never takes a byte.
    child.stdout.cancel().catch(() => {});
    if (fd < 0) {
      stopChild(child);
      await child.stdin.abort().catch(() => {});
      await child.status;
      return undefined;
    }
    // Now the program may run.
    await child.stdin.close().catch(() => {});
    return new ZstdPipe(child, fd, buffer, name);
  }

  more(): void {
    if (this.done) return;
    const buffer = this.#buffer;
    if (this.length === buffer.byteLength) {
      if (buffer.byteLength === buffer.maxByteLength) {
        // Full: either the end has come, or more than the room reserved (the program is stopped; finish() says so).
        const more = read(this.#fd, new Uint8Array(1));
        this.#tooBig = more > 0;
        this.#end(this.#tooBig);
        return;
      }
      buffer.grow(Math.min(buffer.maxByteLength, buffer.byteLength + GROW_BYTES));
      this.bytes = new Uint8Array(buffer, 0, buffer.byteLength);
    }
    const n = read(this.#fd, this.bytes.subarray(this.length));
    this.length += n;
    if (n === 0) this.#end();
  }

  async finish(): Promise<Uint8Array> {
    while (!this.done) this.more();
    const error = await this.#verdict();
    if (error !== undefined) throw error;
    return this.bytes.subarray(0, this.length);
  }

  async cancel(): Promise<ZstdProgramFailed | undefined> {
    if (!this.done) this.#end(true);
    return await this.#verdict(true);
  }

  #end(stop = false): void {
    this.done = true;
    // Killed before its pipe loses its reader, so that it dies of the kill, not of a broken pipe.
    if (stop) stopChild(this.#child);
    close(this.#fd);
    this.#fd = -1;
  }

  /** Why the bytes are not to be used, if they are not (`cancelled`: a kill by this side is no failure). */
  async #verdict(cancelled = false): Promise<ZstdProgramFailed | undefined> {
    const status = await this.#child.status;
    if (this.#tooBig) {
      const most = `${Math.round(this.#buffer.maxByteLength / 1024 ** 2)} MiB`;
      return new ZstdProgramFailed(`${this.#name} decompresses to more than the ${most} reserved for it`);
    }
    if (status.success || (cancelled && (status.signal === "SIGKILL" || status.signal === "SIGPIPE"))) return undefined;
    return new ZstdProgramFailed(status.signal ? `killed by ${status.signal}` : `exited with status ${status.code}`);
  }
}

/** The shell that waits until the program's output is open here, then runs it. */
const SHELL = "/bin/sh";

/**
 * The file `program` names: itself when it has a `/`, else the first
 * executable file of that name in `PATH`; `undefined` when there is none
 * (the archive is then decompressed in-process at once).
 */
function findProgram(program: string): string | undefined {
  let dirs: string[];
  try {
    dirs = program.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  } catch {
    return undefined;
  }
  for (const dir of dirs) {
    const path = dir === "" ? program : `${dir}/${program}`;
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return path;
    } catch { /* not there */ }
  }
  return undefined;
}

/** True when foreign calls are allowed (the output is read with the C library's `read`). */
function canCallC(): boolean {
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

/** Pipe capacity asked for (the most an unprivileged process may set by default). */
const PIPE_BYTES = 1024 * 1024;

/**
 * A reading end of its own of the output pipe of process `pid` (through
 * `/proc`), made blocking and as large as allowed, or -1 when there is none
 * (no `/proc`, the process has exited already, or what is there is not a
 * pipe). Read with the C library's `read`, the output goes straight into
 * shared memory, and the larger pipe lets the program decompress ahead of
 * the reader.
 */
function openOutput(pid: number): number {
  let fd: number;
  try {
    fd = openat(AT_FDCWD, `/proc/${pid}/fd/1`, O.RDONLY | O.NONBLOCK | O.CLOEXEC);
  } catch {
    return -1;
  }
  try {
    try {
      fcntl(fd, F.SETPIPE_SZ, PIPE_BYTES);
    } catch {
      // The default capacity works too, more slowly — if this is a pipe at all.
      fcntl(fd, F.GETPIPE_SZ, 0);
    }
    fcntl(fd, F.SETFL, 0);
    return fd;
  } catch {
    close(fd);
    return -1;
  }
}

function stopChild(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* it has exited */ }
}
