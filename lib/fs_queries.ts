/**
 * Yes-or-no questions about the file system that never throw: any failure to
 * look (nothing there, no permission, a dangling link) answers "no".
 * Symbolic links are followed.
 *
 * @module
 */

/** Whether something is at `path` (a link counts only when its target exists). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is a regular file, or a link to one. */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory, or a link to one. */
export function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
