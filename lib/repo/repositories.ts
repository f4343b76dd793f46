/**
 * Where packages are found (SPEC §3): each `KISS_PATH` entry is a directory
 * of package directories, searched in order, then the installed database
 * (`<root>/var/db/kiss/installed`). The first match wins; later ones are
 * shadowed.
 *
 * Each repository directory is listed once and kept, so locating thousands
 * of packages costs one directory read per repository.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Recipe } from "../recipe/types.ts";
import { KilnError } from "../errors.ts";
import { isDirectory } from "../fs_queries.ts";
import { normalize } from "../config.ts";
import { loadRecipe } from "../recipe/load.ts";
import { isPackageName } from "../recipe/names.ts";

/** Where a package was found. */
export interface PackageLocation {
  /** The package directory. */
  readonly dir: string;
  /** The repository (a searched directory) holding it. */
  readonly repo: string;
}

/** One result of {@linkcode Repositories.matches}. */
export interface PackageMatch extends PackageLocation {
  /** The package's name. */
  readonly name: string;
  /** A package of the same name comes earlier in the search order. */
  readonly shadowed: boolean;
}

/** The package repositories of a configuration, in search order. */
export class Repositories {
  /** The directories searched, in order: the extra ones, `KISS_PATH`, then the installed database. */
  readonly paths: readonly string[];
  readonly #config: Config;
  readonly #listings = new Map<string, ReadonlySet<string>>();

  /**
   * @param config where `KISS_PATH` and the installed database are.
   * @param extraFirst directories searched before `KISS_PATH` (the current
   *   package's parent directory, as kiss does).
   */
  constructor(config: Config, extraFirst: readonly string[] = []) {
    this.#config = config;
    const paths: string[] = [];
    for (const path of [...extraFirst.map(normalize), ...config.kissPath, config.installedDir]) {
      if (!paths.includes(path)) paths.push(path);
    }
    this.paths = paths;
  }

  /** The installed database directory (the last one searched). */
  get installedDir(): string {
    return this.#config.installedDir;
  }

  /** The first directory of package `name` in search order, or `undefined`. */
  locate(name: string): PackageLocation | undefined {
    if (!isPackageName(name)) return undefined;
    for (const repo of this.paths) {
      if (this.#list(repo).has(name)) return { dir: `${repo}/${name}`, repo };
    }
    return undefined;
  }

  /**
   * Read and validate package `name` from the first repository that has it.
   * Throws {@linkcode KilnError} naming the directories searched when no
   * repository has it, and `RecipeError` when its recipe is broken.
   */
  find(name: string): Recipe {
    const found = this.locate(name);
    if (!found) throw this.notFound(name);
    return loadRecipe(found.dir, { repo: found.repo, dialect: this.#config.dialect });
  }

  /**
   * Every package whose name matches the shell glob `pattern` (`*`, `?`,
   * `[…]`), in search order (names sorted within a repository); a package
   * that an earlier repository also has is marked `shadowed`.
   */
  matches(pattern: string): PackageMatch[] {
    const regex = globToRegExp(pattern);
    const seen = new Set<string>();
    const out: PackageMatch[] = [];
    for (const repo of this.paths) {
      for (const name of [...this.#list(repo)].sort()) {
        if (!regex.test(name)) continue;
        out.push({ name, dir: `${repo}/${name}`, repo, shadowed: seen.has(name) });
        seen.add(name);
      }
    }
    return out;
  }

  /** The search order in words, for messages: `/a, /b (missing) and the installed database /x`. */
  describeSearch(): string {
    const described = this.paths.map((path) => {
      const label = path === this.installedDir ? `the installed database ${path}` : path;
      return isDirectory(path) || path === this.installedDir ? label : `${label} (missing)`;
    });
    return described.length === 1 ? described[0] : `${described.slice(0, -1).join(", ")} and ${described.at(-1)}`;
  }

  /**
   * The error for a package that no repository has. `neededBy` names the
   * package whose `depends` asked for it: its name, the chain of packages
   * from a named one down to the missing one (`app -> lib -> zlib`), and
   * the `depends` file and line.
   */
  notFound(
    name: string,
    neededBy?: { name: string; chain: readonly string[]; file?: string; line?: number },
  ): KilnError {
    const who = neededBy
      ? `, needed by ${neededBy.name}${neededBy.chain.length > 2 ? ` (${neededBy.chain.join(" -> ")})` : ""},`
      : "";
    const where = neededBy?.file ? `${neededBy.file}${neededBy.line ? ` line ${neededBy.line}` : ""}` : "";
    const hint = this.#config.kissPath.length === 0
      ? "KISS_PATH is empty: set it to your repository directories, separated by ':'"
      : neededBy
      ? `add the repository that has '${name}' to KISS_PATH, or remove it from ${where || `${neededBy.name}'s depends`}`
      : `check the name (kiln search '*${name}*'), or add the repository that has it to KISS_PATH`;
    return new KilnError(`package '${name}'${who} is in no repository; searched ${this.describeSearch()}`, {
      hint,
    });
  }

  #list(repo: string): ReadonlySet<string> {
    let names = this.#listings.get(repo);
    if (names) return names;
    const found = new Set<string>();
    try {
      for (const entry of Deno.readDirSync(repo)) {
        if (!isPackageName(entry.name)) continue;
        if (entry.isDirectory || (entry.isSymlink && isDirectory(`${repo}/${entry.name}`))) found.add(entry.name);
      }
    } catch {
      // A missing or unreadable repository holds nothing; describeSearch() says so.
    }
    names = found;
    this.#listings.set(repo, names);
    return names;
  }
}

/** Turn a shell glob (`*`, `?`, `[abc]`, `[!abc]`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        out += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith("!")) body = "^" + body.slice(1);
      out += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
