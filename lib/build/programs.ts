/**
 * Finding host programs (`strip`, `git`) through a `PATH`.
 *
 * @module
 */

/** The first executable regular file `name` in the colon-separated `path`, or `undefined`. */
export async function findProgram(name: string, path: string | undefined): Promise<string | undefined> {
  if (name.includes("/")) return (await isExecutable(name)) ? name : undefined;
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${name}`;
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
  } catch {
    return false;
  }
}
