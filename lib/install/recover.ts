/**
 * Repairing a root after a crash: the journal left by an interrupted
 * transaction is rolled back (not committed) or completed (committed), and
 * whatever temporary files it staged are removed. Every command that takes
 * the root's lock calls {@linkcode recoverRoot} first.
 *
 * @module
 */

import { readJournal, removeJournal } from "./journal.ts";
import {
  completeInstall,
  completeRemove,
  completeSwap,
  removeLeftovers,
  rollbackInstall,
  rollbackSwap,
  type TxEnv,
} from "./replay.ts";

/** What {@linkcode recoverRoot} did. */
export type Recovery = "nothing" | "rolled back" | "completed" | "discarded";

/**
 * Finish or undo the transaction a crash interrupted on this root (the lock
 * must be held). Reports what it did as a warning.
 */
export function recoverRoot(env: TxEnv): Recovery {
  const { paths, log } = env;
  const journal = readJournal(paths.dbRoot);
  if (journal.state === "none") {
    removeLeftovers(paths);
    return "nothing";
  }
  if (journal.state === "damaged") {
    // The journal is renamed into place whole; one that cannot be read was
    // damaged by something else, and says nothing that can be acted on.
    log.warn(`discarding the unreadable journal ${paths.dbRoot}/.kiln-journal`);
    removeJournal(paths.dbRoot);
    removeLeftovers(paths);
    return "discarded";
  }
  const { record, committed } = journal;
  let done: Recovery;
  switch (record.kind) {
    case "install":
      if (committed) completeInstall(env, record);
      else rollbackInstall(env, record);
      done = committed ? "completed" : "rolled back";
      break;
    case "remove":
      completeRemove(env, record);
      done = "completed";
      break;
    case "swap":
      if (committed) completeSwap(env, record);
      else rollbackSwap(env, record);
      done = committed ? "completed" : "rolled back";
      break;
  }
  removeLeftovers(paths);
  removeJournal(paths.dbRoot);
  const what = record.kind === "swap" ? `swap of ${record.target} to ${record.pkg}` : `${record.kind} of ${record.pkg}`;
  log.warn(`an interrupted ${what} was found in ${paths.root} and ${done}`);
  return done;
}
