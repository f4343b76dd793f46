/**
 * Who owns a library file in a root: the root's owner index
 * (`lib/db/owners.ts`, rebuilt from the manifests when stale), or, where that
 * cannot be read, one lazy pass over the manifests of
 * `<root>/var/db/kiss/installed/*` into a map of file → package.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { isNotFound } from "../errors.ts";
import { OwnerIndex } from "../db/owners.ts";

/** Answers "which installed package owns this absolute path?". */
export interface LibraryOwners {
  /** The owning package of `path` (absolute, as seen in the root), if any. */
  owner(path: string): Promise<string | undefined>;
}

/** Owner look-ups over the manifests of `config.root`'s installed database. */
export class ManifestOwners implements LibraryOwners {
  #index?: Promise<Map<string, string>>;

  constructor(readonly installedDir: string) {}

  owner(path: string): Promise<string | undefined> {
    this.#index ??= this.#load();
    return this.#index.then((index) => index.get(path));
  }

  async #load(): Promise<Map<string, string>> {
    const index = new Map<string, string>();
    let names: string[];
    try {
      names = [];
      for await (const e of Deno.readDir(this.installedDir)) if (e.isDirectory) names.push(e.name);
    } catch (err) {
      if (isNotFound(err)) return index;
      throw err;
    }
    names.sort();
    for (const name of names) {
      let text: string;
      try {
        text = await Deno.readTextFile(`${this.installedDir}/${name}/manifest`);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      for (const line of text.split("\n")) {
        if (line !== "" && !line.endsWith("/") && !index.has(line)) index.set(line, name);
      }
    }
    return index;
  }
}

/** Owner look-ups through the root's owner index (not written back: builds do not hold the root's lock). */
export class IndexOwners implements LibraryOwners {
  #index?: OwnerIndex;

  constructor(readonly config: Pick<Config, "root" | "dbRoot" | "installedDir">) {}

  owner(path: string): Promise<string | undefined> {
    this.#index ??= OwnerIndex.load(this.config, { save: false });
    return Promise.resolve(this.#index.owners(path)[0]);
  }
}

/** Owner look-ups for the root of `config`: its index, or its manifests when the index cannot be made. */
export function ownersOf(config: Config): LibraryOwners {
  const index = new IndexOwners(config), manifests = new ManifestOwners(config.installedDir);
  let broken = false;
  return {
    async owner(path) {
      if (!broken) {
        try {
          return await index.owner(path);
        } catch {
          broken = true;
        }
      }
      return await manifests.owner(path);
    },
  };
}
