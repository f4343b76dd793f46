/**
 * The first bytes of an ELF file: the magic number and `e_type` values.
 *
 * @module
 */

/** `e_type` of an ELF file. */
export type ElfType = "NONE" | "REL" | "EXEC" | "DYN" | "CORE" | "OTHER";

/** `\x7fELF`. */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** `e_type` values by number. */
export const TYPES: Readonly<Record<number, ElfType>> = { 0: "NONE", 1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE" };

/** True when `bytes` starts with the ELF magic number. */
export function isElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}
