/**
 * `kiln bootstrap DIR PKG…`: a new root file system in DIR made from package
 * archives — the named packages and their whole runtime dependency closure,
 * read from the binary cache or from `--from DIR` — with its own installed
 * database, so that `chroot DIR /bin/sh` works once a shell is among them.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError, UsageError } from "../errors.ts";
import { normalize } from "../config.ts";
import { RootResolver } from "../db/resolve.ts";
import { Repositories } from "../repo/repositories.ts";
import { fromCache, fromDirectory } from "./find.ts";
import { hostPath, present } from "./replay.ts";
import { releasePackages } from "./package.ts";
import { installPackages } from "./transaction.ts";
import { withSession } from "./session.ts";

/** `config` with another root (its database paths follow). */
export function withRoot(config: Config, root: string): Config {
  const r = normalize(root);
  const dbRoot = normalize(`${r}/var/db/kiss`);
  return Object.freeze({
    ...config,
    root: r,
    dbRoot,
    installedDir: `${dbRoot}/installed`,
    choicesDir: `${dbRoot}/choices`,
  });
}

/** Make the root file system `dir` from `names` (see the module documentation). Returns the packages installed. */
export async function bootstrap(config: Config, dir: string, names: readonly string[], log: Log): Promise<string[]> {
  if (names.length === 0) {
    throw new UsageError("bootstrap needs a directory and at least one package", "usage: kiln bootstrap DIR PKG…");
  }
  const target = withRoot(config, dir);
  if (target.root === "/") {
    throw new KilnError("bootstrap makes a new root; it cannot work on /", {
      hint: "give an empty directory, e.g. kiln bootstrap /mnt/new base",
    });
  }
  const pkgs = config.from
    ? await fromDirectory(target, config.from, names, log)
    : await fromCache(target, new Repositories(config), names, log);
  try {
    log.info(`bootstrapping ${target.root} with ${pkgs.length} packages: ${pkgs.map((p) => p.name).join(" ")}`);
    if (config.dryRun) return pkgs.map((p) => p.name);
    Deno.mkdirSync(target.root, { recursive: true });
    await withSession(target, log, (session) => installPackages(session, pkgs));
  } finally {
    releasePackages(pkgs);
  }
  const shell = hostPath(target.root, new RootResolver(target.root).resolve("/bin/sh"));
  if (present(shell)) log.info(`${target.root} is ready: chroot ${target.root} /bin/sh`);
  else log.info(`${target.root} is ready (it has no /bin/sh yet: add a shell package to chroot into it)`);
  return pkgs.map((p) => p.name);
}
