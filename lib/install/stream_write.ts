/**
 * Writing the files whose content was not held in memory when the package
 * was read (`package_source.ts`): the archive is decompressed again by the
 * same program and read entry by entry through a window of fixed size
 * (`tar_pull.ts`), and each such file is written, under its staged name,
 * as its content passes — a file larger than the window in pieces, so
 * memory grows neither with the package nor with its largest file.
 *
 * The second reading must find, entry for entry, the types, sizes and names
 * the first one checked (an archive changed in between is refused: the
 * install is rolled back). Content is never trusted more than the first
 * reading trusted it: what the checks read (the database entry, `/etc`
 * files) was held in memory and is written from there.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { ProgramOutput } from "../archive/program_output.ts";
import { TarPull } from "../archive/tar_pull.ts";
import { type PackageArchive, type PackageEntry, refuse } from "./package.ts";
import { shapeOf } from "./package_source.ts";
import type { Steps } from "./steps.ts";

/** Where one file read again goes. */
interface Destination {
  readonly path: string;
  readonly mode: number;
}

/** Files to write as the archive is read again, by the index of the tar entry carrying their content. */
export class LaterWrites {
  readonly #byEntry = new Map<number, Destination[]>();
  #count = 0;

  /** Write `entry` (whose content is {@linkcode PackageEntry.later}) at the host path `path`. */
  add(entry: PackageEntry, path: string): void {
    const index = entry.later!;
    const list = this.#byEntry.get(index);
    const to = { path, mode: entry.mode };
    if (list === undefined) this.#byEntry.set(index, [to]);
    else list.push(to);
    this.#count++;
  }

  /** How many files are to be written. */
  get count(): number {
    return this.#count;
  }

  /**
   * Read `pkg` again and write every file added; `plain` is the mode a file
   * gets from the umask anyway (no fchmod then), `steps` counts each file
   * written, `progress` hears how many are. Throws a {@linkcode KilnError}
   * when the archive cannot be read again or is not what was first read.
   */
  write(pkg: PackageArchive, plain: number, steps: Steps, progress: (done: number) => void): void {
    if (this.#count === 0) return;
    const again = pkg.again;
    if (again === undefined) throw new Error(`${pkg.file}: no way to read the archive again`);
    const output = ProgramOutput.start(again.program, pkg.file);
    if (output === undefined) {
      throw new KilnError(`${pkg.file}: cannot run ${again.program} again to read the archive's files`, {
        hint: `check that ${again.program} is still installed; nothing was installed`,
      });
    }
    const base = pkg.file.slice(pkg.file.lastIndexOf("/") + 1);
    let done = 0;
    try {
      const pull = new TarPull(output.read, base);
      let left = this.#byEntry.size;
      for (let index = 0; left > 0; index++) {
        const entry = pull.next();
        if (entry === null || index >= again.shapes.length || shapeOf(entry) !== again.shapes[index]) {
          throw refuse(
            pkg.file,
            `the archive changed while it was installed: its entry ${index + 1} is not what was first read ` +
              `(${entry === null ? "the end of the archive" : entry.path})`,
            "the install was rolled back; keep the archive unchanged while it is installed, and install again",
          );
        }
        const to = this.#byEntry.get(index);
        if (to === undefined) continue;
        left--;
        writeFiles(pull, entry.size, to, plain, steps);
        const before = done;
        done += to.length;
        if ((done >> 9) !== (before >> 9)) progress(done);
      }
    } finally {
      output.close();
    }
  }
}

/** Write the current entry's content (`size` bytes) of `pull` at every destination of `to`. */
function writeFiles(pull: TarPull, size: number, to: readonly Destination[], plain: number, steps: Steps): void {
  let whole: Uint8Array | undefined;
  let files: Deno.FsFile[] | undefined;
  try {
    pull.body((piece) => {
      if (whole === undefined && files === undefined && piece.length === size) {
        whole = piece;
        for (const { path, mode } of to) {
          if (mode === plain) Deno.writeFileSync(path, piece);
          else Deno.writeFileSync(path, piece, { mode });
          steps.step();
        }
        return;
      }
      // Larger than the window: each file is made with its exact mode (the umask set aside for the
      // moment), and the pieces written to it as they come.
      files ??= to.map(({ path, mode }) => createExact(path, mode));
      for (const f of files) {
        for (let at = 0; at < piece.length;) at += f.writeSync(piece.subarray(at));
      }
    });
    if (whole === undefined && files === undefined) {
      // Empty (no piece came).
      for (const { path, mode } of to) {
        Deno.writeFileSync(path, EMPTY, mode === plain ? {} : { mode });
        steps.step();
      }
    }
  } finally {
    for (const f of files ?? []) f.close();
  }
  if (files === undefined) return;
  for (const { path, mode } of to) {
    // The mode once more, now that all is written: writing may clear setuid and setgid.
    Deno.writeFileSync(path, EMPTY, { append: true, mode });
    steps.step();
  }
}

const EMPTY = new Uint8Array(0);

/** Create the new file `path` with exactly `mode` (setuid, setgid and sticky included), opened for writing. */
function createExact(path: string, mode: number): Deno.FsFile {
  const umask = Deno.umask(0);
  try {
    return Deno.openSync(path, { write: true, createNew: true, mode });
  } finally {
    Deno.umask(umask);
  }
}
