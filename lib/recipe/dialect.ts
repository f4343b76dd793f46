/**
 * Which dialect a package speaks (SPEC §2): `KISS_DIALECT` when set; else
 * what its own checksums say; else its repository's majority, counted over
 * the checksums of the repository's packages; else community, the dialect
 * kiln writes for new packages.
 *
 * @module
 */

import type { Dialect } from "../config.ts";
import { dialectOfHash } from "./checksums.ts";
import { splitWords } from "./text.ts";

/** The dialect used when nothing else tells. */
export const DEFAULT_DIALECT: Dialect = "community";

const repoCache = new Map<string, Dialect | undefined>();

/** Count the hash dialects of the packages in repository `repo`. */
export function countRepositoryDialects(repo: string): Record<Dialect, number> {
  const counts: Record<Dialect, number> = { classic: 0, community: 0 };
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(repo)];
  } catch {
    return counts;
  }
  for (const entry of entries) {
    if (entry.isFile || entry.name.startsWith(".")) continue;
    let text: string;
    try {
      text = Deno.readTextFileSync(`${repo}/${entry.name}/checksums`);
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const dialect = dialectOfHash(splitWords(line)[0] ?? "");
      if (dialect) {
        counts[dialect]++;
        break;
      }
    }
  }
  return counts;
}

/**
 * The majority dialect of repository `repo` (a directory of package
 * directories), or `undefined` when no package there has a hash or the count
 * is tied. Counted once per process.
 */
export function repositoryDialect(repo: string): Dialect | undefined {
  if (repoCache.has(repo)) return repoCache.get(repo);
  const { classic, community } = countRepositoryDialects(repo);
  const result = classic > community ? "classic" : community > classic ? "community" : undefined;
  repoCache.set(repo, result);
  return result;
}

/** What decides a package's dialect, strongest first. */
export interface DialectEvidence {
  /** `KISS_DIALECT`. */
  readonly override?: Dialect;
  /** What the package's own file checksums say. */
  readonly checksums?: Dialect;
  /** The repository's majority; computed only when needed. */
  readonly repository: () => Dialect | undefined;
}

/** Decide a package's dialect from the evidence. */
export function decideDialect(evidence: DialectEvidence): Dialect {
  return evidence.override ?? evidence.checksums ?? evidence.repository() ?? DEFAULT_DIALECT;
}
