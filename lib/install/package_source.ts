/**
 * Where a package archive's decompressed tar comes from while it is read,
 * and how much of it may be held in memory (SPEC §8.1, §9).
 *
 * A zstd archive is decompressed by the `zstd` program when it is in
 * `PATH`, on another processor, and read through a window of fixed size
 * with blocking reads (`tar_pull.ts`): the content of its
 * files is not kept (only the database entry and `/etc` files, which the
 * checks and the plan read), and is read again, from a second run of the
 * program, while the files are written (`stream_write.ts`) — decompressing
 * costs far less than holding the package (zstd decompresses some
 * gigabytes a second). Every other format, and zstd without the program
 * (kiln needs no `zstd` in a fresh chroot), is decompressed in-process as a
 * stream, and the content of its files is held in memory, up to
 * {@linkcode IN_MEMORY_MOST}: a bigger package of such an archive is
 * refused, saying so.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { decompressStream, detectCompression } from "../archive/compress.ts";
import type { TarEntry } from "../archive/tar_entry.ts";
import { ProgramOutput } from "../archive/program_output.ts";
import { TarPull } from "../archive/tar_pull.ts";
import { formatBytes, NoRoom } from "./space.ts";

/** The decompressor program used for zstd archives when it is in `PATH`. */
export const ZSTD_PROGRAM = "zstd";

/**
 * The zstd program failed (how, in the message). Its failure is not taken as
 * the archive's: the caller decodes the archive in-process instead, which
 * tells damaged data from a program that misbehaves.
 */
export class ZstdProgramFailed extends Error {}

/** Bytes of file content held in memory at most when the archive cannot be read again. */
export const IN_MEMORY_MOST = 1024 ** 3;
/** Bytes of the database entry and `/etc` files held in memory at most when the rest is read again. */
export const KEPT_MOST = 64 * 1024 ** 2;

/** A decompressed tar stream being read: as a stream of bytes, or entry by entry with blocking reads. */
export interface DecompressedSource {
  /** The bytes, decompressed in-process. */
  readonly stream?: ReadableStream<Uint8Array>;
  /** The entries, decompressed by a program. */
  readonly pull?: TarPull;
  /** The program that decompresses it, which can be run again to read it again; `undefined`: in-process. */
  readonly again?: string;
  /** Once the stream is read to its end: why its bytes are not to be used, if they are not. */
  verdict(): Promise<ZstdProgramFailed | undefined>;
  /** Stop reading early; returns the failure of a program that had failed by itself. */
  cancel(): Promise<ZstdProgramFailed | undefined>;
}

/**
 * The decompressed tar of the archive `file` (`name` names it in errors):
 * from `program` for a zstd archive when it runs (`false`: in-process).
 */
export async function openDecompressed(
  file: string,
  name: string,
  program: string | false,
): Promise<DecompressedSource> {
  if (program !== false && detectCompression(await readHead(file)) === "zst") {
    const piped = startProgram(program, file, name);
    if (piped !== undefined) return piped;
  }
  const stream = decompressed(decompressStream((await Deno.open(file)).readable, name));
  return {
    stream,
    verdict: () => Promise.resolve(undefined),
    cancel: async () => {
      await stream.cancel().catch(() => {});
      return undefined;
    },
  };
}

/** `stream`, whose errors (the decoder's) say that the archive cannot be decompressed. */
function decompressed(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let got;
      try {
        got = await reader.read();
      } catch (err) {
        if (!(err instanceof KilnError)) throw err;
        throw new KilnError(`cannot decompress: ${err.message}`, { hint: err.hint, cause: err });
      }
      if (got.done) controller.close();
      else controller.enqueue(got.value);
    },
    cancel: () => reader.cancel().catch(() => {}),
  }, { highWaterMark: 0 });
}

async function readHead(file: string): Promise<Uint8Array> {
  using f = await Deno.open(file);
  const head = new Uint8Array(16);
  let n = 0;
  for (let got; n < head.length && (got = await f.read(head.subarray(n))) !== null;) n += got;
  return head.subarray(0, n);
}

function startProgram(program: string, file: string, name: string): DecompressedSource | undefined {
  const output = ProgramOutput.start(program, file);
  if (output === undefined) return undefined;
  let cancelled = false;
  const verdict = async () => {
    if (!cancelled) output.drain();
    output.close(cancelled);
    const status = await output.status;
    if (status.success || (cancelled && (status.signal === "SIGKILL" || status.signal === "SIGPIPE"))) return undefined;
    return new ZstdProgramFailed(status.signal ? `killed by ${status.signal}` : `exited with status ${status.code}`);
  };
  return {
    pull: new TarPull(output.read, name),
    again: program,
    verdict,
    cancel() {
      cancelled = true;
      return verdict();
    },
  };
}

/**
 * Counts the file content held in memory while an archive is read, and
 * refuses ({@linkcode NoRoom}) beyond {@linkcode KEPT_MOST} when the rest
 * is read again (`readAgain`), else beyond {@linkcode IN_MEMORY_MOST}.
 */
export class MemoryBudget {
  readonly #file: string;
  readonly #most: number;
  readonly #readAgain: boolean;
  #held = 0;

  /** Count for the archive `file` (named in errors); `readAgain`: whether content not held is read again. */
  constructor(file: string, readAgain: boolean) {
    this.#file = file;
    this.#readAgain = readAgain;
    this.#most = readAgain ? KEPT_MOST : IN_MEMORY_MOST;
  }

  /** Count `size` bytes of `path`'s content, held in memory. */
  add(path: string, size: number): void {
    this.#held += size;
    if (this.#held <= this.#most) return;
    throw this.#readAgain
      ? new NoRoom(
        `${this.#file}: its database entry and /etc files hold more than ${formatBytes(this.#most)} (at ${path}), ` +
          `more than kiln reads into memory`,
        { hint: "the archive is refused; nothing was installed" },
      )
      : new NoRoom(
        `${this.#file}: its files hold more than ${formatBytes(this.#most)} (at ${path}), the most kiln holds in ` +
          `memory for an archive it decompresses in-process`,
        {
          hint: `install the ${ZSTD_PROGRAM} program and use a zstd archive (then kiln streams it), ` +
            "or recompress the package with zstd; nothing was installed",
        },
      );
  }
}

/** An entry's shape — type, size and name — which a second reading of the archive must find again. */
export function shapeOf(entry: TarEntry): string {
  return `${entry.type} ${entry.size} ${entry.path}`;
}
