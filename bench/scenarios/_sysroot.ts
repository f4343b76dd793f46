/**
 * Data and adapter for the hermetic-sysroot part of scenario 6: a root whose
 * installed database holds a `base` package of N files (present on disk),
 * and a call into kiln's sysroot builder for it.
 *
 * @module
 */

import { Skip } from "../harness.ts";
import { importKiln } from "./_common.ts";

/** A root with a `base` package of `files` files installed. */
export interface SysrootFixture {
  readonly root: string;
  readonly files: number;
  /** The packages to put in the sysroot. */
  readonly packages: readonly string[];
}

/** Write a root with an installed `base` package of `files` small files (100 per directory). */
export function makeSysrootFixture(root: string, files: number): SysrootFixture {
  const lines: string[] = [];
  for (let i = 0; i < files; i++) {
    const dir = `/usr/lib/base/d${String(Math.floor(i / 100)).padStart(3, "0")}`;
    if (i % 100 === 0) {
      Deno.mkdirSync(`${root}${dir}`, { recursive: true });
      lines.push(`${dir}/`);
    }
    const path = `${dir}/f${String(i).padStart(5, "0")}`;
    Deno.writeTextFileSync(`${root}${path}`, path);
    lines.push(path);
  }
  const db = `${root}/var/db/kiss/installed/base`;
  Deno.mkdirSync(db, { recursive: true });
  Deno.writeTextFileSync(`${db}/version`, "1 1\n");
  Deno.writeTextFileSync(`${db}/build`, "#!/bin/sh\n", { mode: 0o755 });
  lines.push(
    "/usr/lib/base/",
    "/usr/lib/",
    "/usr/",
    `/var/db/kiss/installed/base/manifest`,
    `/var/db/kiss/installed/base/version`,
    `/var/db/kiss/installed/base/build`,
    "/var/db/kiss/installed/base/",
    "/var/db/kiss/installed/",
    "/var/db/kiss/",
    "/var/db/",
    "/var/",
  );
  lines.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  Deno.writeTextFileSync(`${db}/manifest`, lines.join("\n") + "\n");
  return { root, files, packages: ["base"] };
}

/** Builds the sysroot of `fixture` at `dest` (a new directory). */
export type SysrootBuild = ((fixture: SysrootFixture, dest: string) => Promise<void>) & {
  /** The kiln function called, for the report. */
  readonly label: string;
};

type BuildSysroot = (...args: unknown[]) => unknown;

/** kiln's hermetic sysroot builder, adapted to {@linkcode SysrootBuild}. */
export async function sysrootBuilder(): Promise<SysrootBuild> {
  const mod = await importKiln<Record<string, unknown>>("lib/sandbox/sysroot.ts");
  const fn = mod.buildSysroot as BuildSysroot | undefined;
  if (typeof fn !== "function") throw new Skip("lib/sandbox/sysroot.ts does not export buildSysroot");
  const log = await importKiln<{ Log: new (r: unknown) => unknown; silent: unknown }>("lib/log.ts");
  const silentLog = new log.Log(log.silent);
  const build = async (fixture: SysrootFixture, dest: string) => {
    await Deno.mkdir(dest, { recursive: true });
    const stats = await fn(fixture.root, fixture.packages, dest, silentLog) as { linked?: number } | undefined;
    if (typeof stats?.linked === "number" && stats.linked < fixture.files) {
      throw new Skip(`buildSysroot linked ${stats.linked} of ${fixture.files} files`);
    }
  };
  return Object.assign(build, { label: "buildSysroot" });
}
