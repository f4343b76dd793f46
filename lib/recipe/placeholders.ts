/**
 * Version markers in `sources` lines of the classic dialect (kiss 5.x):
 *
 * | marker | value |
 * |---|---|
 * | `VERSION` | first field of `version`, verbatim |
 * | `RELEASE` | second field of `version`, verbatim |
 * | `MAJOR` | first component of VERSION split on `. - _ +` |
 * | `MINOR` | second component |
 * | `PATCH` | third component |
 * | `IDENT` | everything after the third separator |
 * | `PACKAGE` | the package's name |
 *
 * A marker preceded by a backslash (`\VERSION`) is kept as the literal word,
 * without the backslash. As in kiss, the markers are replaced one after the
 * other in the order of the table, each over the whole text. The community
 * dialect does not expand markers: its text is literal.
 *
 * @module
 */

/** Values the markers stand for. */
export interface PlaceholderValues {
  readonly version: string;
  readonly release: string;
  /** The package's name. */
  readonly name: string;
}

/** The components of a version as kiss splits them (`IFS=.+-_ read major minor patch ident`). */
export interface VersionParts {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly ident: string;
}

const SEPARATORS = ".+-_";

/** Split a version into MAJOR, MINOR, PATCH and IDENT (the rest, separators kept). */
export function versionParts(version: string): VersionParts {
  const fields: string[] = [];
  let start = 0;
  for (let i = 0; i < version.length && fields.length < 3; i++) {
    if (SEPARATORS.includes(version[i])) {
      fields.push(version.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(version.slice(start));
  while (fields.length < 4) fields.push("");
  return { major: fields[0], minor: fields[1], patch: fields[2], ident: fields[3] };
}

/** True when `text` contains a marker (escaped or not). */
export function hasPlaceholder(text: string): boolean {
  return /VERSION|RELEASE|MAJOR|MINOR|PATCH|IDENT|PACKAGE/.test(text);
}

/** Replace every marker in `text` with its value, honouring `\MARKER` escapes. */
export function expandPlaceholders(text: string, values: PlaceholderValues): string {
  if (!hasPlaceholder(text)) return text;
  const parts = versionParts(values.version);
  const table: [string, string][] = [
    ["VERSION", values.version],
    ["RELEASE", values.release],
    ["MAJOR", parts.major],
    ["MINOR", parts.minor],
    ["PATCH", parts.patch],
    ["IDENT", parts.ident],
    ["PACKAGE", values.name],
  ];
  const hold = "\u0000";
  let out = text;
  for (const [marker, value] of table) {
    out = out.replaceAll(`\\${marker}`, hold).replaceAll(marker, value).replaceAll(hold, marker);
  }
  return out;
}
