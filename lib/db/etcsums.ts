/**
 * `etcsums`: one checksum per `/etc` file of a package, in manifest order,
 * used to tell configuration the user changed from configuration the package
 * shipped (the three-way merge of SPEC §8.4).
 *
 * kiln writes SHA-256 (64 hex digits), which both kiss 5 and kiss 6 read; it
 * reads SHA-256 and kiss 6's BLAKE3 (`b3sum -l 33`, 66 hex digits). As in
 * kiss, a symbolic link is summed as the empty file, since its target may not
 * resolve.
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";
import { isNotFound, KilnError } from "../errors.ts";
import { Blake3 } from "../hash/blake3.ts";
import { etcsumsPath, formatManifest, generateManifest, isDirectoryLine, manifestPath } from "./manifest.ts";

/** SHA-256 of the empty input: the sum kiss gives symbolic links. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Checksum algorithms found in `etcsums` files. */
export type SumAlgorithm = "sha256" | "blake3";

/** BLAKE3 (33-byte output) of the empty input, as kiss 6 writes it for symbolic links. */
export const EMPTY_BLAKE3 = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e0";

/** The algorithm a sum was made with, told by its length; undefined when unknown. */
export function sumAlgorithm(sum: string): SumAlgorithm | undefined {
  if (/^[0-9a-f]{64}$/.test(sum)) return "sha256";
  if (/^[0-9a-f]{66}$/.test(sum)) return "blake3";
  return undefined;
}

function nodeCrypto(): typeof NodeCrypto {
  // Loaded on first use only: importing node:crypto costs start-up time.
  const proc = (globalThis as unknown as { process: { getBuiltinModule(id: string): unknown } }).process;
  return proc.getBuiltinModule("node:crypto") as typeof NodeCrypto;
}

/** SHA-256 of some bytes, as 64 hex digits. */
export function sha256(bytes: Uint8Array): string {
  return nodeCrypto().createHash("sha256").update(bytes).digest("hex");
}

/** The sum of some bytes with `algorithm` (BLAKE3 with kiss's 33-byte output). */
export function sumBytes(bytes: Uint8Array, algorithm: SumAlgorithm): string {
  return algorithm === "sha256" ? sha256(bytes) : new Blake3().update(bytes).hex(33);
}

/** True for manifest lines kiss keeps sums for: files (not directories) under `/etc/`. */
export function isEtcFile(line: string): boolean {
  return line.startsWith("/etc/") && !isDirectoryLine(line) && line.length > 5;
}

/** The `/etc` files of a manifest, in manifest order (the order of `etcsums` lines). */
export function etcFiles(manifest: readonly string[]): string[] {
  return manifest.filter(isEtcFile);
}

/**
 * The sums of files on disk with `algorithm` (`undefined` for a path that is
 * missing or a directory); a symbolic link sums as the empty file.
 */
export function hashFiles(paths: readonly string[], algorithm: SumAlgorithm): (string | undefined)[] {
  return paths.map((path) => {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (err) {
      if (isNotFound(err) || err instanceof Deno.errors.NotADirectory) return undefined;
      throw err;
    }
    if (info.isSymlink) return algorithm === "sha256" ? EMPTY_SHA256 : EMPTY_BLAKE3;
    return info.isFile ? sumBytes(Deno.readFileSync(path), algorithm) : undefined;
  });
}

/**
 * The `etcsums` lines of a package directory: the SHA-256 of each `/etc`
 * file of `manifest` (relative to `pkgdir`), in manifest order.
 */
export function generateEtcsums(pkgdir: string, manifest: readonly string[]): string[] {
  const files = etcFiles(manifest);
  const sums = hashFiles(files.map((f) => pkgdir + f), "sha256");
  return sums.map((s, i) => {
    if (s === undefined) {
      throw new KilnError(`${pkgdir}${files[i]} is listed in the manifest but is not a file`, {
        hint: "generate the manifest again after the package directory is complete",
      });
    }
    return s;
  });
}

/**
 * Pair an installed package's `etcsums` lines with the `/etc` files of its
 * manifest: path → sum. When the counts disagree (a damaged or foreign file)
 * nothing is known and the map is empty, so every file counts as changed.
 */
export function pairEtcsums(manifest: readonly string[], sums: readonly string[]): Map<string, string> {
  const files = etcFiles(manifest);
  const map = new Map<string, string>();
  if (files.length !== sums.length) return map;
  files.forEach((f, i) => map.set(f, sums[i]));
  return map;
}

/** Read `<entryDir>/etcsums` as lines; empty when there is none. */
export function readEtcsums(entryDir: string): string[] {
  try {
    return Deno.readTextFileSync(`${entryDir}/etcsums`).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Write the database files a built package carries: `manifest` and, when the
 * package has `/etc`, `etcsums`, into `<pkgdir>/var/db/kiss/installed/<name>/`.
 * Returns the manifest.
 */
export function writePackageDatabase(pkgdir: string, name: string): string[] {
  const entry = `${pkgdir}/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(entry, { recursive: true });
  const manifest = generateManifest(pkgdir, name);
  if (manifest.includes(etcsumsPath(name))) {
    Deno.writeTextFileSync(`${entry}/etcsums`, formatManifest(generateEtcsums(pkgdir, manifest)));
  }
  Deno.writeTextFileSync(pkgdir + manifestPath(name), formatManifest(manifest));
  return manifest;
}
