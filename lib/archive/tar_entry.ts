/**
 * The model of one tar archive entry, shared by the reader and the writer.
 *
 * @module
 */

/** Kinds of archive entries kiln knows. */
export type EntryType = "file" | "directory" | "symlink" | "hardlink" | "char" | "block" | "fifo";

/** One entry of a tar archive. */
export interface TarEntry {
  /**
   * The entry's name. Read from an archive it is clean: no leading `./` or
   * `/`, no `..` component, directories without a trailing `/`, and the
   * archive's root directory (`./`) as `"."`. Given to the writer it is
   * written as given (plus a trailing `/` for a directory).
   */
  path: string;
  /** What the entry is. */
  type: EntryType;
  /** Permission bits with setuid, setgid and sticky (`0o7777` at most). */
  mode: number;
  /** Numeric owner. */
  uid: number;
  /** Numeric group. */
  gid: number;
  /** Modification time, seconds since the epoch (fractions dropped). */
  mtime: number;
  /** Bytes of content; 0 for everything but files. */
  size: number;
  /**
   * Target of a symlink (as stored) or of a hard link (an entry path of the
   * same archive, clean like {@linkcode TarEntry.path} when read).
   */
  linkName?: string;
  /** Device major number of a char or block device. */
  devMajor?: number;
  /** Device minor number of a char or block device. */
  devMinor?: number;
}

/** An entry as read from an archive, with its content (an empty array unless a file). */
export interface TarItem {
  /** The entry. */
  entry: TarEntry;
  /** The file's bytes; a view into the archive's buffer, valid while the caller holds it. */
  body: Uint8Array;
}
