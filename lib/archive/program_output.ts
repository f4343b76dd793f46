/**
 * A decompressor program's output read with blocking `read` calls (the C
 * library's), for code that cannot wait on promises: `PROGRAM -dcq -- FILE`
 * is started (through `/bin/sh`) with its output on a pipe, and this side opens a reading end
 * of its own of that pipe through `/proc` (the runtime's end is closed, so
 * that it never takes a byte), enlarged so that the program can run ahead.
 *
 * @module
 */

import { AT_FDCWD, close, F, fcntl, O, openat, read, writeAll } from "../../ffi/fs.ts";
import type { ReadInto } from "./tar_pull.ts";

/** Pipe capacity asked for (the most an unprivileged process may set by default). */
const PIPE_BYTES = 1024 * 1024;

/** The output of a running decompressor program. */
export class ProgramOutput {
  readonly #child: Deno.ChildProcess;
  #fd: number;

  private constructor(child: Deno.ChildProcess, fd: number) {
    this.#child = child;
    this.#fd = fd;
    // Its status is not waited for here (see `read`); this only lets the runtime reap it.
    child.status.catch(() => {});
  }

  /**
   * Start `program -dcq -- file`; `undefined` when it cannot be run or its
   * output cannot be read with blocking reads here (no `/proc`).
   *
   * A shell is started first, which waits for a line on its standard input
   * before it becomes the program (`exec`, same process): so the pipe is
   * surely still there to be opened through `/proc`, however soon the
   * program would have written everything and exited. The line is written
   * through `/proc` too, with a blocking call.
   */
  static start(program: string, file: string): ProgramOutput | undefined {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command("/bin/sh", {
        args: ["-c", 'read -r _ || :; exec "$0" -dcq -- "$1"', program, file],
        stdin: "piped",
        stdout: "piped",
        // Not kept: nothing would drain a second pipe while this side reads the first.
        stderr: "null",
      }).spawn();
    } catch {
      return undefined;
    }
    const fd = openOutput(child.pid);
    child.stdout.cancel().catch(() => {});
    if (fd < 0 || !release(child.pid)) {
      stop(child);
      if (fd >= 0) close(fd);
      return undefined;
    }
    child.stdin.close().catch(() => {});
    return new ProgramOutput(child, fd);
  }

  /**
   * Read into `into` (blocking); 0 at the end. The program's exit status is
   * not looked at: what it wrote is checked by whoever reads it.
   */
  readonly read: ReadInto = (into) => {
    if (this.#fd < 0) return 0;
    return read(this.#fd, into);
  };

  /** Read and drop the rest of the output, up to its end. */
  drain(): void {
    const scratch = new Uint8Array(64 * 1024);
    while (this.read(scratch) > 0) { /* dropped */ }
  }

  /** The program's exit status (wait for it after the output's end, or after {@linkcode close}). */
  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /**
   * Stop the program (if it still runs; `kill` false: once its output has
   * ended, to let it exit by itself) and close the pipe. Safe to call more
   * than once.
   */
  close(kill = true): void {
    if (this.#fd < 0) return;
    // Killed before its pipe loses its reader, so that it dies of the kill, not of a broken pipe (the
    // program itself, if it still writes, dies of that).
    if (kill) stop(this.#child);
    close(this.#fd);
    this.#fd = -1;
  }
}

function stop(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* it has exited */ }
}

/** Write the line the shell of process `pid` waits for; false when it cannot be written. */
function release(pid: number): boolean {
  let fd: number;
  try {
    fd = openat(AT_FDCWD, `/proc/${pid}/fd/0`, O.WRONLY | O.CLOEXEC);
  } catch {
    return false;
  }
  try {
    writeAll(fd, new TextEncoder().encode("\n"));
    return true;
  } catch {
    return false;
  } finally {
    close(fd);
  }
}

/** A blocking reading end of its own of the output pipe of process `pid`, or -1. */
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
      fcntl(fd, F.GETPIPE_SZ, 0);
    }
    fcntl(fd, F.SETFL, 0);
    return fd;
  } catch {
    close(fd);
    return -1;
  }
}
