/**
 * Alternatives, as kiss keeps them (SPEC §3): a file two packages both ship
 * is installed for one, and kept for the other in
 * `<root>/var/db/kiss/choices/<pkg>>usr>bin>file`, its manifest pointing
 * there. `kiln alternatives PKG PATH` swaps: the current owner's file goes
 * into `choices/`, the chosen one comes to PATH, and both manifests are
 * rewritten — one journaled transaction.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import { KilnError } from "../errors.ts";
import { isInstalled } from "../db/installed.ts";
import { EMPTY_SHA256, etcFiles, pairEtcsums, readEtcsums, sha256 } from "../db/etcsums.ts";
import { etcsumsPath, formatManifest, manifestPath, readManifest, sortManifest } from "../db/manifest.ts";
import { byteOrder } from "../db/order.ts";
import { manifestStamp, OwnerIndex } from "../db/owners.ts";
import { RootResolver } from "../db/resolve.ts";
import { Journal, type SwapRecord, tempName } from "./journal.ts";
import { completeSwap, hostPath, rollbackSwap } from "./replay.ts";
import { withSession } from "./session.ts";
import { choiceName } from "./plan.ts";

/** One alternative kept aside. */
export interface Alternative {
  /** The package it belongs to. */
  readonly pkg: string;
  /** Where it would be installed. */
  readonly path: string;
}

/** The alternatives in `choices/`, sorted by package then path. */
export function listAlternatives(config: Config): Alternative[] {
  const out: Alternative[] = [];
  try {
    for (const e of Deno.readDirSync(config.choicesDir)) {
      const gt = e.name.indexOf(">");
      if (gt <= 0) continue;
      out.push({ pkg: e.name.slice(0, gt), path: e.name.slice(gt).replaceAll(">", "/") });
    }
  } catch { /* no alternatives */ }
  return out.sort((a, b) => byteOrder(a.pkg, b.pkg) || byteOrder(a.path, b.path));
}

function newEtcsums(root: string, pkg: string, before: string[], after: string[], installedDir: string): string[] {
  const old = pairEtcsums(before, readEtcsums(`${installedDir}/${pkg}`));
  const resolver = new RootResolver(root);
  return etcFiles(after).map((line) => {
    const known = old.get(line);
    if (known) return known;
    // A file that moved: sum it where it is now (before the swap moves it).
    const beforeLine = before.find((b) => resolver.resolve(b) === resolver.resolve(line)) ?? line;
    const p = hostPath(root, resolver.resolve(beforeLine));
    try {
      return Deno.lstatSync(p).isSymlink ? EMPTY_SHA256 : sha256(Deno.readFileSync(p));
    } catch {
      return EMPTY_SHA256;
    }
  });
}

/** Swap the alternative `path` of package `pkg` into place (see the module documentation). */
export async function swapAlternative(config: Config, pkg: string, path: string, log: Log): Promise<void> {
  if (!isInstalled(config, pkg)) {
    throw new KilnError(`package ${pkg} is not installed in ${config.root}`, {
      hint: "run 'kiln alternatives' to list the alternatives",
    });
  }
  if (!path.startsWith("/")) path = `/${path}`;
  if (config.dryRun) {
    const listed = listAlternatives(config).some((a) => a.pkg === pkg && a.path === path);
    log.info(listed ? `would swap ${path} to ${pkg}` : `there is no alternative '${pkg} ${path}' to swap`);
    return;
  }
  await withSession(config, log, ({ steps, durability }) => {
    const session = { paths: config, steps, log };
    const resolver = new RootResolver(config.root);
    const host = (p: string) => hostPath(config.root, p);
    // The alternative may be named by the path it is listed under or by where that path leads.
    const listed = listAlternatives(config).find((a) =>
      a.pkg === pkg && (a.path === path || resolver.resolve(a.path) === resolver.resolve(path))
    );
    if (listed) path = listed.path;
    const choice = choiceName(pkg, path);
    const choiceAt = resolver.resolve(choice);
    try {
      Deno.lstatSync(host(choiceAt));
    } catch {
      throw new KilnError(`there is no alternative '${pkg} ${path}' (no ${choice})`, {
        hint: "run 'kiln alternatives' to list the alternatives",
      });
    }
    const index = OwnerIndex.load(config);
    const target = resolver.resolve(path);
    const manifests = new Map<string, [string[], string[]]>();
    let keep: string | undefined;
    let owner: string | undefined;
    let onDisk = false;
    try {
      onDisk = !Deno.lstatSync(host(target)).isDirectory;
    } catch { /* nothing there */ }
    if (onDisk) {
      owner = index.owners(target).find((o) => o !== pkg);
      if (owner === undefined) {
        throw new KilnError(`${path} exists in ${config.root} but no other package owns it`, {
          hint: index.owners(target).includes(pkg)
            ? `${pkg} already provides ${path}`
            : "move the unowned file away, then swap again",
        });
      }
      // The owner's file goes aside under the path its own manifest lists it by.
      const before = readManifest(config.installedDir, owner);
      const line = before.find((l) => resolver.resolve(l) === target) ?? path;
      keep = choiceName(owner, line);
      manifests.set(owner, [before, sortManifest(before.map((l) => l === line ? keep! : l))]);
      log.info(`swapping ${path} from ${owner} to ${pkg}`);
    } else {
      log.info(`installing the alternative ${path} of ${pkg}`);
    }
    const before = readManifest(config.installedDir, pkg);
    manifests.set(pkg, [before, sortManifest(before.map((l) => l === choice ? path : l))]);

    const dbFiles: string[] = [];
    const texts: string[] = [];
    for (const [name, [before, after]] of manifests) {
      dbFiles.push(resolver.resolve(manifestPath(name)));
      texts.push(formatManifest(after));
      if (after.includes(etcsumsPath(name))) {
        dbFiles.push(resolver.resolve(etcsumsPath(name)));
        texts.push(formatManifest(newEtcsums(config.root, name, before, after, config.installedDir)));
      }
    }
    const tag = `${Deno.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    const record: SwapRecord = {
      kind: "swap",
      tag,
      pkg,
      target,
      choice: choiceAt,
      keep: keep === undefined ? undefined : resolver.resolve(keep),
      dbFiles,
    };
    const journal = Journal.begin(config.dbRoot, record, steps, durability);
    try {
      if (record.keep) {
        const temp = host(tempName(record.keep, tag, 0));
        const info = Deno.lstatSync(host(target));
        if (info.isSymlink) Deno.symlinkSync(Deno.readLinkSync(host(target)), temp);
        else Deno.writeFileSync(temp, Deno.readFileSync(host(target)), { mode: (info.mode ?? 0o644) & 0o7777 });
        steps.step();
      }
      dbFiles.forEach((f, i) => {
        Deno.writeTextFileSync(host(tempName(f, tag, i + 1)), texts[i], { mode: 0o644 });
        steps.step();
      });
      durability.syncFileSystems([
        config.dbRoot,
        hostPath(config.root, target.slice(0, target.lastIndexOf("/")) || "/"),
      ]);
      journal.commit();
    } catch (err) {
      rollbackSwap(session, record);
      journal.end();
      throw new KilnError(`swapping ${path} failed, nothing was changed: ${(err as Error).message}`, { cause: err });
    }
    completeSwap(session, record);
    const indexResolver = new RootResolver(config.root);
    for (const [name, [, after]] of manifests) {
      index.replacePackage(
        name,
        after.map((l) => indexResolver.resolve(l)),
        manifestStamp(config.installedDir, name),
        indexResolver.followed,
      );
    }
    index.trySave(config);
    steps.step();
    durability.syncFileSystems([config.dbRoot, hostPath(config.root, target.slice(0, target.lastIndexOf("/")) || "/")]);
    journal.end();
  });
}
