/**
 * Running an external (de)compressor — `lzip`, `xz`, `bzip2` — as a filter
 * from stdin to stdout, for the formats kiln does not handle in-process.
 *
 * @module
 */

import { KilnError } from "../errors.ts";

/** One way to run a filter: the program and its arguments. */
export type FilterCommand = readonly [program: string, ...args: string[]];

/** What the filter does, for messages: e.g. `decompress lzip data of zlib.tar.lz`. */
export interface FilterJob {
  /** Candidate commands, tried in order; the first program found in PATH is used. */
  commands: readonly FilterCommand[];
  /** Describes the job in messages. */
  what: string;
  /** What the user can do when none of the programs is installed. */
  missingHint: string;
}

function missing(job: FilterJob): KilnError {
  const names = [...new Set(job.commands.map((c) => c[0]))].join(" or ");
  return new KilnError(`cannot ${job.what}: ${names} not found in PATH`, { hint: job.missingHint });
}

function spawn(job: FilterJob): Deno.ChildProcess {
  for (const [program, ...args] of job.commands) {
    try {
      return new Deno.Command(program, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
  }
  throw missing(job);
}

async function failure(job: FilterJob, child: Deno.ChildProcess, code: number): Promise<KilnError> {
  const stderr = (await new Response(child.stderr).text().catch(() => "")).trim();
  return new KilnError(`cannot ${job.what}: the filter exited with status ${code}${stderr ? `: ${stderr}` : ""}`, {
    hint: "the data is damaged or not in the expected format",
  });
}

/** Runs the filter over a whole buffer and returns its whole output. */
export async function filterBytes(job: FilterJob, input: Uint8Array): Promise<Uint8Array> {
  const child = spawn(job);
  const writing = (async () => {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(input);
      await writer.close();
    } catch {
      // The filter stopped reading (it failed); its exit status says why.
    }
  })();
  const stderr = new Response(child.stderr).text();
  const output = await new Response(child.stdout).bytes();
  await writing;
  const status = await child.status;
  if (!status.success) {
    const text = (await stderr.catch(() => "")).trim();
    throw new KilnError(`cannot ${job.what}: the filter exited with status ${status.code}${text ? `: ${text}` : ""}`, {
      hint: "the data is damaged or not in the expected format",
    });
  }
  return output;
}

/**
 * Runs the filter over a stream. The returned stream errors with a
 * KilnError when the filter fails; cancelling it kills the filter.
 */
export function filterStream(job: FilterJob, input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let child: Deno.ChildProcess;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  let feeding: Promise<void>;
  return new ReadableStream<Uint8Array>({
    start() {
      child = spawn(job);
      reader = child.stdout.getReader();
      feeding = input.pipeTo(child.stdin).catch(() => {
        // A filter that exits early closes its stdin; its exit status tells.
      });
    },
    async pull(controller) {
      const { value, done } = await reader.read();
      if (!done) {
        controller.enqueue(value);
        return;
      }
      await feeding;
      const status = await child.status;
      if (status.success) {
        await child.stderr.cancel();
        controller.close();
      } else {
        controller.error(await failure(job, child, status.code));
      }
    },
    async cancel() {
      try {
        child.kill();
      } catch {
        // already exited
      }
      await reader.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      await input.cancel().catch(() => {});
      await child.status;
    },
  });
}
