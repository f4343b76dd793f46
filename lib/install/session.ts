/**
 * A locked session on a root: the lock taken, the database directories
 * checked (no link in their place), a crashed transaction repaired,
 * then the caller's work, then the lock released — the frame of every
 * command that changes a root.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { DatabaseDir } from "../db/dbdir.ts";
import { Durability } from "./durability.ts";
import { RootLock } from "./lock.ts";
import { recoverRoot } from "./recover.ts";
import type { TxEnv } from "./replay.ts";
import { Steps } from "./steps.ts";

/** What a session gives its work: the transaction environment and the fsync policy. */
export interface Session extends TxEnv {
  readonly config: Config;
  readonly durability: Durability;
}

/** Run `work` holding the lock of `config.root`, after repairing any interrupted transaction. */
export async function withSession<T>(config: Config, log: Log, work: (session: Session) => Promise<T> | T): Promise<T> {
  const lock = await RootLock.acquire(config.dbRoot, log);
  try {
    // kiln reads and writes below these by path: none may be a link.
    const db = DatabaseDir.open(config.dbRoot, false);
    try {
      db?.checkDirectories(["installed", "choices", ".kiln-tx"]);
    } finally {
      db?.close();
    }
    const session: Session = {
      config,
      paths: config,
      log,
      steps: new Steps(config.env),
      durability: new Durability(config.env),
    };
    recoverRoot(session);
    return await work(session);
  } finally {
    lock.release();
  }
}
