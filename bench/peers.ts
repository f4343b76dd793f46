/**
 * What the bench runs on and against: the machine, and the peers kiln is
 * measured against: GNU tar and zstd (the floor for
 * install), pacman (Debian's `pacman-package-manager`), `sha256sum` and
 * `b3sum`, `unshare` and `cp -al` (sandbox set-up), `grep` (kiss's `owns`),
 * and the kiss shell script when `KISS_BIN` names it.
 *
 * Missing Debian packages are installed with apt-get when the bench runs as
 * root (unless `BENCH_NO_INSTALL=1`); a peer that still cannot be had is
 * reported with the reason, and the comparisons that need it are skipped.
 *
 * @module
 */

import { Skip } from "./harness.ts";

/** One peer tool. */
export interface Peer {
  /** How the report names it, e.g. `GNU tar`. */
  readonly name: string;
  /** Absolute path of the executable, when found. */
  readonly path?: string;
  /** Version string, when it could be read. */
  readonly version?: string;
  /** Why it is not available. */
  readonly missing?: string;
}

/** Every peer the scenarios use, by role. */
export interface Peers {
  readonly tar: Peer;
  readonly zstd: Peer;
  readonly pacman: Peer;
  readonly sha256sum: Peer;
  readonly b3sum: Peer;
  readonly unshare: Peer;
  readonly cp: Peer;
  readonly grep: Peer;
  readonly sh: Peer;
  /** The kiss shell script (`KISS_BIN`). */
  readonly kiss: Peer;
}

/** How {@linkcode findPeers} may act. */
export interface PeerOptions {
  /** Install missing Debian packages with apt-get (root only). */
  readonly install: boolean;
  /** Path to the kiss script, from `KISS_BIN`. */
  readonly kissBin?: string;
  /** Progress messages. */
  readonly say: (message: string) => void;
}

/** The first executable called `name` on `PATH`, if any. */
export function findExecutable(name: string, path = Deno.env.get("PATH") ?? "/usr/bin:/bin"): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/${name}`;
    try {
      const st = Deno.statSync(candidate);
      if (st.isFile && (st.mode ?? 0) & 0o111) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

async function output(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; text: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped", stdin: "null" }).output();
    const dec = new TextDecoder();
    return { code: r.code, text: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } catch (err) {
    return { code: -1, text: (err as Error).message };
  }
}

/** The first `x.y[.z]` in a tool's version output. */
export function parseVersion(text: string): string | undefined {
  return text.match(/(\d+\.\d+(?:\.\d+)?)/)?.[1];
}

async function aptInstall(pkg: string, say: (m: string) => void): Promise<string | undefined> {
  const apt = findExecutable("apt-get");
  if (!apt) return "apt-get is not available";
  if (Deno.uid() !== 0) return "not root, cannot apt-get install";
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    new Deno.Command(apt, {
      args: ["install", "-y", "-qq", "--no-install-recommends", pkg],
      env,
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).output();
  say(`installing Debian's ${pkg}`);
  let r = await install();
  if (r.code !== 0) {
    say("apt-get update");
    await new Deno.Command(apt, { args: ["update", "-qq"], env, stdout: "null", stderr: "null", stdin: "null" })
      .output();
    r = await install();
  }
  if (r.code !== 0) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").pop() ?? "";
    return `apt-get install ${pkg} failed${err ? `: ${err}` : ""}`;
  }
  return undefined;
}

async function tool(
  name: string,
  binary: string,
  debian: string | undefined,
  options: PeerOptions,
  versionArgs = ["--version"],
): Promise<Peer> {
  let path = findExecutable(binary);
  let why: string | undefined;
  if (!path && debian && options.install) {
    why = await aptInstall(debian, options.say);
    path = findExecutable(binary);
  }
  if (!path) {
    return { name, missing: why ?? `${binary} not found on PATH` + (debian ? ` (Debian package ${debian})` : "") };
  }
  const v = await output(path, versionArgs);
  return { name, path, version: parseVersion(v.text) };
}

async function kissPeer(bin: string | undefined): Promise<Peer> {
  if (!bin) return { name: "kiss", missing: "KISS_BIN not given" };
  let path = bin;
  if (!bin.includes("/")) path = findExecutable(bin) ?? bin;
  try {
    const st = Deno.statSync(path);
    if (!st.isFile || !((st.mode ?? 0) & 0o111)) return { name: "kiss", missing: `KISS_BIN ${bin} is not executable` };
  } catch {
    return { name: "kiss", missing: `KISS_BIN ${bin} does not exist` };
  }
  path = Deno.realPathSync(path);
  // kiss needs LOGNAME, and makes its cache directories even for `kiss version`: give it a throw-away one.
  const scratch = await Deno.makeTempDir({ prefix: "kiln-bench-kiss-" });
  try {
    const env = { LOGNAME: "root", XDG_CACHE_HOME: scratch, KISS_ROOT: `${scratch}/root` };
    const v = await output(path, ["version"], env);
    return { name: "kiss", path, version: parseVersion(v.text) };
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}

/** Find (and where allowed, install) every peer. */
export async function findPeers(options: PeerOptions): Promise<Peers> {
  const tar = await tool("GNU tar", "tar", "tar", options);
  const gnuTar = tar.path && (await output(tar.path, ["--version"])).text.includes("GNU tar");
  return {
    tar: tar.path && !gnuTar ? { name: "GNU tar", missing: `${tar.path} is not GNU tar` } : tar,
    zstd: await tool("zstd", "zstd", "zstd", options, ["-V"]),
    pacman: await tool("pacman", "pacman", "pacman-package-manager", options),
    sha256sum: await tool("sha256sum", "sha256sum", "coreutils", options),
    b3sum: await tool("b3sum", "b3sum", "b3sum", options),
    unshare: await tool("unshare", "unshare", "util-linux", options),
    cp: await tool("cp", "cp", "coreutils", options),
    grep: await tool("grep", "grep", "grep", options),
    sh: await tool("sh", "sh", undefined, options, ["-c", "echo"]),
    kiss: await kissPeer(options.kissBin),
  };
}

/** `[name, version]` pairs of the peers found, for the report. */
export function peerVersions(peers: Peers): [string, string][] {
  return Object.values(peers)
    .filter((p: Peer) => p.path && p.name !== "sh")
    .map((p: Peer) => [p.name, p.version ?? "(version unknown)"]);
}

/** The peer's path, or throws a {@linkcode Skip} naming why it is missing. */
export function need(peer: Peer): string {
  if (!peer.path) throw new Skip(`${peer.name}: ${peer.missing ?? "missing"}`);
  return peer.path;
}

/** The machine a run was made on (no host names, no paths). */
export interface Machine {
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly cpu: string;
  readonly deno: string;
  readonly v8: string;
}

function firstMatch(text: string, re: RegExp): string | undefined {
  return text.match(re)?.[1]?.trim();
}

/** Describe this machine from Deno's APIs, `/proc/cpuinfo` and `/etc/os-release`. */
export function machineInfo(): Machine {
  const read = (p: string) => {
    try {
      return Deno.readTextFileSync(p);
    } catch {
      return "";
    }
  };
  return {
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30 * 10) / 10,
    kernel: Deno.osRelease(),
    os: firstMatch(read("/etc/os-release"), /^PRETTY_NAME="?([^"\n]*)"?$/m) ?? Deno.build.os,
    cpu: firstMatch(read("/proc/cpuinfo"), /^model name\s*:\s*(.*)$/m) ?? Deno.build.arch,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}
