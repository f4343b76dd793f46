/**
 * The `checksums` file: one hash per file source, in `sources` order (SPEC
 * §2). The hash's length tells the algorithm and with it the dialect:
 * 64 hex digits are SHA-256 (classic, kiss 5.x), 66 hex digits are BLAKE3
 * with a 33-byte output (community, kiss 6.x). `SKIP` turns verification off
 * for one source.
 *
 * @module
 */

import type { Dialect } from "../config.ts";
import { RecipeError } from "../errors.ts";
import { recipeLines } from "./text.ts";

/** The word that disables verification of one source. */
export const SKIP = "SKIP";

/** One line of `checksums`. */
export interface ChecksumLine {
  /** The hash in lower case, or `SKIP`. */
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

const HEX = /^[0-9a-fA-F]+$/;

/** The dialect a hash belongs to, by its length; `undefined` for `SKIP` or anything else. */
export function dialectOfHash(hash: string): Dialect | undefined {
  if (!HEX.test(hash)) return undefined;
  if (hash.length === 64) return "classic";
  if (hash.length === 66) return "community";
  return undefined;
}

/**
 * Parse the text of a `checksums` file. Blank lines are ignored; old kiss
 * lines of the form `HASH  FILE` are taken by their first word. Throws
 * {@linkcode RecipeError} on a word that is neither a 64- or 66-digit hex
 * hash nor `SKIP`.
 */
export function parseChecksums(text: string, file: string): ChecksumLine[] {
  const out: ChecksumLine[] = [];
  for (const { line, words } of recipeLines(text)) {
    const word = words[0];
    if (word === SKIP) {
      out.push({ value: SKIP, line });
      continue;
    }
    if (!dialectOfHash(word)) {
      throw new RecipeError(
        file,
        line,
        `'${word.length > 80 ? word.slice(0, 77) + "..." : word}' is not a checksum`,
        "a checksum is 64 hex digits (SHA-256), 66 hex digits (BLAKE3, b3sum -l 33) or SKIP; " +
          "regenerate the file with 'kiln checksum'",
      );
    }
    out.push({ value: word.toLowerCase(), line });
  }
  return out;
}

/**
 * The dialect the hashes of `lines` say, or `undefined` when they say
 * nothing (no lines, or only `SKIP`). Throws {@linkcode RecipeError} when one
 * file mixes SHA-256 and BLAKE3 hashes.
 */
export function checksumsDialect(lines: readonly ChecksumLine[], file: string): Dialect | undefined {
  let found: Dialect | undefined;
  let firstLine = 0;
  for (const { value, line } of lines) {
    const dialect = dialectOfHash(value);
    if (!dialect) continue;
    if (found === undefined) {
      found = dialect;
      firstLine = line;
    } else if (found !== dialect) {
      throw new RecipeError(
        file,
        line,
        `${dialect === "classic" ? "SHA-256" : "BLAKE3"} checksum after a ${
          found === "classic" ? "SHA-256" : "BLAKE3"
        } one on line ${firstLine}: one file cannot mix the two`,
        "regenerate the file with 'kiln checksum' so that every line uses one algorithm",
      );
    }
  }
  return found;
}
