/**
 * The journal: what a transaction is about to do to a root, written down
 * before it does it, so that a crash at any moment can be repaired by the
 * next kiln run (SPEC §8.5).
 *
 * `<root>/var/db/kiss/.kiln-journal` holds one JSON line, the record, and —
 * once every new file is staged — a second line `commit`. Before the commit
 * a crash is rolled back (staged files, staged directories and the staged
 * database entry are removed: the root is as it was); after it, the
 * transaction is completed (renames, removals, database swap). Every step in
 * both directions is idempotent, so a crash during repair is repaired again.
 * A remove is committed from the start: it only goes forward.
 *
 * The record is written to a temporary file of an unpredictable name, synced,
 * and renamed, so the journal is either whole or absent. Paths in it are
 * absolute inside the root. The journal is read and written from the checked
 * database directory (`lib/db/dbdir.ts`), never through a symbolic link.
 *
 * @module
 */

import { isNotFound } from "../errors.ts";
import { DatabaseDir } from "../db/dbdir.ts";
import type { Durability } from "./durability.ts";
import type { Steps } from "./steps.ts";

/** What a transaction deletes of a package's old files once it is committed. */
export interface Removals {
  /** Files of the old version to delete after the commit. */
  readonly removeFiles: readonly string[];
  /** Links to directories of the old version, deleted after the commit once they dangle (as kiss does). */
  readonly removeDirLinks: readonly string[];
  /** Directories of the old version to delete when empty, children first. */
  readonly removeDirs: readonly string[];
}

/** The install (or upgrade) of one package. */
export interface InstallRecord extends Removals {
  readonly kind: "install";
  /** The package. */
  readonly pkg: string;
  /** Distinguishes this transaction's temporary names. */
  readonly tag: string;
  /**
   * New directories, each staged whole — with everything the package puts
   * inside it — as {@linkcode stagedDirName}(target, tag, j) beside its
   * target, and renamed into place at once.
   */
  readonly dirs: readonly string[];
  /** Files staged beside their targets in existing directories; file `i` is staged as {@linkcode tempName}(target, tag, i). */
  readonly files: readonly string[];
}

/** The removal of one package. */
export interface RemoveRecord extends Removals {
  readonly kind: "remove";
  readonly pkg: string;
}

/** Swapping an alternative into place (`kiln a PKG PATH`). */
export interface SwapRecord {
  readonly kind: "swap";
  readonly tag: string;
  /** The package whose alternative comes in. */
  readonly pkg: string;
  /** Where it goes (resolved, absolute inside the root). */
  readonly target: string;
  /** Its file in `choices/`. */
  readonly choice: string;
  /** Where the current file goes in `choices/`, when one is owned there; staged as `tempName(keep, tag, 0)`. */
  readonly keep?: string;
  /** Database files rewritten: target → staged as `tempName(target, tag, i + 1)`. */
  readonly dbFiles: readonly string[];
}

/** Anything the journal can hold. */
export type JournalRecord = InstallRecord | RemoveRecord | SwapRecord;

/** The journal's file name in the database directory. */
const JOURNAL = ".kiln-journal";

/** The journal of a database directory. */
export function journalFile(dbRoot: string): string {
  return `${dbRoot}/${JOURNAL}`;
}

/** Where a transaction stages database entries (`<db>/.kiln-tx`). */
export function txDir(dbRoot: string): string {
  return `${dbRoot}/.kiln-tx`;
}

/** The temporary name a file is staged under, beside its target. */
export function tempName(target: string, tag: string, i: number): string {
  return `${target.slice(0, target.lastIndexOf("/"))}/.kiln-${tag}-${i}`;
}

/** The temporary name a new directory is staged under, beside its target. */
export function stagedDirName(target: string, tag: string, j: number): string {
  return `${target.slice(0, target.lastIndexOf("/"))}/.kiln-${tag}-d${j}`;
}

/** What a leftover journal says. */
export type JournalState =
  | { readonly state: "none" }
  | { readonly state: "damaged" }
  | { readonly state: "open"; readonly record: JournalRecord; readonly committed: boolean };

/** Read the journal of `dbRoot`, if there is one. */
export function readJournal(dbRoot: string): JournalState {
  const db = DatabaseDir.open(dbRoot, false);
  if (db === undefined) return { state: "none" };
  let bytes: Uint8Array | undefined;
  try {
    bytes = db.read(JOURNAL);
  } finally {
    db.close();
  }
  if (bytes === undefined) return { state: "none" };
  const text = new TextDecoder().decode(bytes);
  const [first, second] = text.split("\n");
  try {
    const record = JSON.parse(first) as JournalRecord;
    if (!record || !["install", "remove", "swap"].includes(record.kind)) return { state: "damaged" };
    return { state: "open", record, committed: second === "commit" };
  } catch {
    return { state: "damaged" };
  }
}

const COMMIT = new TextEncoder().encode("commit\n");

/** An open journal. */
export class Journal {
  readonly #dbRoot: string;
  readonly #steps: Steps;
  readonly #durability: Durability;

  private constructor(dbRoot: string, steps: Steps, durability: Durability) {
    this.#dbRoot = dbRoot;
    this.#steps = steps;
    this.#durability = durability;
  }

  /**
   * Write `record` as the journal of `dbRoot` (whole, synced) and return it
   * open. With `committed`, the commit mark is written with it.
   */
  static begin(
    dbRoot: string,
    record: JournalRecord,
    steps: Steps,
    durability: Durability,
    committed = false,
  ): Journal {
    const text = JSON.stringify(record) + "\n" + (committed ? "commit\n" : "");
    const db = DatabaseDir.open(dbRoot, true)!;
    try {
      db.replace(JOURNAL, new TextEncoder().encode(text), durability.enabled);
    } finally {
      db.close();
    }
    steps.step();
    return new Journal(dbRoot, steps, durability);
  }

  /** Append the commit mark (synced): from now on, a crash is completed rather than rolled back. */
  commit(): void {
    const db = DatabaseDir.open(this.#dbRoot, true)!;
    try {
      db.append(JOURNAL, COMMIT, this.#durability.enabled);
    } finally {
      db.close();
    }
    this.#steps.step();
  }

  /** Delete the journal: the transaction is over. */
  end(): void {
    removeJournal(this.#dbRoot);
    this.#steps.step();
  }
}

/** Delete the journal of `dbRoot` and its temporary file, if present. */
export function removeJournal(dbRoot: string): void {
  for (const f of [journalFile(dbRoot), `${journalFile(dbRoot)}.tmp`]) {
    try {
      Deno.removeSync(f);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
