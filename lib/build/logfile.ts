/**
 * Build logs, named as kiss names them: `<logs>/<YYYY-MM-DD>/<pkg>-<YYYY-MM-DD-HH:MM>-<pid>`,
 * the date and time being when kiln started (local time).
 *
 * @module
 */

/** The log file of `pkg`'s build in `logsDir`, for a run that started at `started`. */
export function buildLogPath(logsDir: string, pkg: string, started: Date, pid: number): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${started.getFullYear()}-${p(started.getMonth() + 1)}-${p(started.getDate())}`;
  const time = `${date}-${p(started.getHours())}:${p(started.getMinutes())}`;
  return `${logsDir}/${date}/${pkg}-${time}-${pid}`;
}

/** The last `count` non-empty lines of the file at `path` (empty when it cannot be read). */
export async function lastLines(path: string, count: number): Promise<string[]> {
  let text: string;
  try {
    using file = await Deno.open(path);
    const size = (await file.stat()).size;
    const want = Math.min(size, 64 * 1024);
    await file.seek(size - want, Deno.SeekMode.Start);
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const n = await file.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    text = new TextDecoder().decode(buf.subarray(0, got));
  } catch {
    return [];
  }
  return text.split(/\r?\n/).filter((l) => l.trim() !== "").slice(-count);
}
