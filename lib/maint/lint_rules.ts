/**
 * The rules of `kiln lint`: each has a short ID (`E` for errors, `W` for
 * warnings), a name, and one line that says what it checks. A rule is turned
 * off by naming its ID or its name in `KISS_LINT_OFF` (comma- or
 * space-separated).
 *
 * @module
 */

/** How bad a finding is: errors make `kiln lint` exit 1. */
export type Severity = "error" | "warning";

/** One lint rule. */
export interface LintRule {
  /** Short ID, as printed: `E01`, `W10`. */
  readonly id: string;
  /** A name that says what the rule is about. */
  readonly name: string;
  /** Whether a finding is an error or a warning. */
  readonly severity: Severity;
  /** What the rule checks, in one line (the README's table). */
  readonly summary: string;
}

/** Every rule, by name. */
export const RULES = {
  buildMissing: { id: "E01", name: "build-missing", severity: "error", summary: "the package has no `build` file" },
  buildNotExecutable: {
    id: "E02",
    name: "build-not-executable",
    severity: "error",
    summary: "`build` is not executable",
  },
  buildShebang: { id: "E03", name: "build-shebang", severity: "error", summary: "`build` does not start with `#!`" },
  version: {
    id: "E04",
    name: "version",
    severity: "error",
    summary: "`version` is missing or its first line is not `VERSION RELEASE`",
  },
  checksums: {
    id: "E05",
    name: "checksums",
    severity: "error",
    summary: "`checksums` has a line that is not a hash, or mixes SHA-256 and BLAKE3",
  },
  checksumCount: {
    id: "E06",
    name: "checksum-count",
    severity: "error",
    summary: "the number of checksums differs from the number of file sources",
  },
  sources: { id: "E07", name: "sources", severity: "error", summary: "a `sources` line cannot be read" },
  sourceMissing: {
    id: "E08",
    name: "source-missing",
    severity: "error",
    summary: "a local source names a file that does not exist",
  },
  depends: { id: "E09", name: "depends", severity: "error", summary: "a `depends` line cannot be read" },
  dependsUnknown: {
    id: "E10",
    name: "depends-unknown",
    severity: "error",
    summary: "a dependency is in no repository of `KISS_PATH`",
  },
  dependsSelf: { id: "E11", name: "depends-self", severity: "error", summary: "a package depends on itself" },
  dependsCycle: { id: "E12", name: "depends-cycle", severity: "error", summary: "dependencies form a cycle" },
  dependsTwice: { id: "W01", name: "depends-twice", severity: "warning", summary: "a dependency is listed twice" },
  sourceHttp: {
    id: "W02",
    name: "source-http",
    severity: "warning",
    summary: "a source is fetched over plain `http://`",
  },
  gitUnpinned: {
    id: "W03",
    name: "git-unpinned",
    severity: "warning",
    summary: "a git source is not pinned to a commit (`#COMMIT`)",
  },
  fileUnused: {
    id: "W04",
    name: "file-unused",
    severity: "warning",
    summary: "a file of the recipe directory that `sources` never names",
  },
  dialect: {
    id: "W05",
    name: "dialect",
    severity: "warning",
    summary: "version markers (`VERSION`…) in `sources` of a community (BLAKE3) recipe, where they stay literal",
  },
  crlf: { id: "W06", name: "crlf", severity: "warning", summary: "a line ends with CR LF" },
  trailingBlank: { id: "W07", name: "trailing-blank", severity: "warning", summary: "a line ends with spaces or tabs" },
  mixedIndent: {
    id: "W08",
    name: "mixed-indent",
    severity: "warning",
    summary: "a line of `build` is indented with tabs where the rest uses spaces (or the reverse)",
  },
  makeLinked: {
    id: "W09",
    name: "make-linked",
    severity: "warning",
    summary: "a `make` dependency whose libraries the installed package links to (it is a runtime dependency)",
  },
} as const satisfies Record<string, LintRule>;

/** The name of one rule in {@linkcode RULES}. */
export type RuleKey = keyof typeof RULES;

/**
 * The rules turned off by `KISS_LINT_OFF` (IDs or names, comma- or
 * space-separated). Throws an `Error` naming an unknown word.
 */
export function rulesOff(text: string | undefined): Set<string> {
  const off = new Set<string>();
  for (const word of (text ?? "").split(/[\s,]+/)) {
    if (word === "") continue;
    const rule = Object.values(RULES).find((r) => r.id === word.toUpperCase() || r.name === word);
    if (!rule) throw new Error(`KISS_LINT_OFF: '${word}' is not a lint rule (see 'kiln help lint')`);
    off.add(rule.id);
  }
  return off;
}
