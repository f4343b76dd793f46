/**
 * The grid format shared by the recipe files `version`, `sources`,
 * `checksums` and `depends`: rows split by newlines, columns split by runs of
 * spaces or tabs (SPEC §2).
 *
 * Taken as found in the wild: CRLF line ends, trailing blanks, a missing final
 * newline, blank lines, and lines whose first word starts with `#`
 * (comments). A later word starting with `#` starts a trailing comment.
 *
 * @module
 */

import { isNotFound, KilnError } from "../errors.ts";

/** One meaningful line of a recipe file. */
export interface RecipeLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The words of the line, comment words removed; never empty. */
  readonly words: readonly string[];
}

const BLANKS = /[ \t]+/;

/** Split one line into words: runs of spaces/tabs separate, a word starting with `#` ends the line. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const word of text.split(BLANKS)) {
    if (word === "" || word === "\r") continue;
    if (word.startsWith("#")) break;
    words.push(word.endsWith("\r") ? word.slice(0, -1) : word);
  }
  return words;
}

/** The non-blank, non-comment lines of a recipe file, with their line numbers. */
export function recipeLines(text: string): RecipeLine[] {
  const out: RecipeLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const words = splitWords(lines[i]);
    if (words.length > 0) out.push({ line: i + 1, words });
  }
  return out;
}

/**
 * Read a recipe file as text, or `undefined` when it does not exist.
 * Other failures (a directory in its place, no permission) become a
 * {@linkcode KilnError} naming the path.
 */
export function readRecipeFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new KilnError(`cannot read ${path}: ${(err as Error).message}`, {
      hint: "check that the file is a readable regular file",
      cause: err,
    });
  }
}
