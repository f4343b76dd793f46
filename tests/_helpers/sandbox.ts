/**
 * Test helpers for the sandbox: a fake root with an installed database made
 * from copies of the host's own programs, a C program that attempts sandbox
 * escapes, and a runner that collects what a sandboxed script printed.
 *
 * @module
 */

import { collectEvents, Log } from "../../lib/log.ts";
import type { SandboxLimits, SandboxMode } from "../../lib/config.ts";
import { runSandboxed } from "../../lib/sandbox/run.ts";
import type { SandboxResult } from "../../lib/sandbox/request.ts";
import { KilnError } from "../../lib/errors.ts";
import { giveToNobody, runAsNobody } from "./unprivileged.ts";

/** Host programs copied into the fake root's `base` package (those that exist). */
export const BASE_TOOLS = [
  "dash",
  "cat",
  "ls",
  "mkdir",
  "touch",
  "chmod",
  "chown",
  "ln",
  "rm",
  "cp",
  "mknod",
  "id",
  "true",
  "sleep",
  "seq",
  "stat",
  "head",
  "wc",
  "env",
];

/** One package of a fake installed database. */
export interface FakePackage {
  /** Host paths to copy (with the symbolic links on the way), e.g. `/bin/sh`. */
  readonly hostPaths: readonly string[];
  /** `depends` lines, e.g. `["libc", "sed make"]`. */
  readonly depends?: readonly string[];
  /** Extra files written into the root: path → content. */
  readonly files?: Readonly<Record<string, string>>;
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Copy host path `path` into `root` at the same place, recreating symbolic
 * links met on the way (and copying what they point to). Every path made is
 * added to `owned` (directories with a trailing slash).
 */
export function copyHostPath(root: string, path: string, owned: Set<string>, depth = 0): void {
  if (depth > 20) throw new Error(`too many links copying ${path}`);
  const parts = path.split("/").filter((p) => p !== "");
  let host = "";
  for (let i = 0; i < parts.length; i++) {
    host += `/${parts[i]}`;
    const info = Deno.lstatSync(host);
    const inRoot = `${root}${host}`;
    if (info.isSymlink) {
      const target = Deno.readLinkSync(host);
      if (!lstat(inRoot)) Deno.symlinkSync(target, inRoot);
      owned.add(host);
      const resolved = target.startsWith("/") ? target : `${host.slice(0, host.lastIndexOf("/"))}/${target}`;
      copyHostPath(root, [resolved, ...parts.slice(i + 1)].join("/"), owned, depth + 1);
      return;
    }
    if (info.isDirectory) {
      if (!lstat(inRoot)) Deno.mkdirSync(inRoot, { mode: 0o755 });
      owned.add(`${host}/`);
    } else {
      if (!lstat(inRoot)) {
        Deno.copyFileSync(host, inRoot);
        Deno.chmodSync(inRoot, info.mode! & 0o7777);
      }
      owned.add(host);
    }
  }
}

/** The shared libraries (and dynamic loader) `program` needs, from `ldd`. */
export function sharedLibraries(program: string): string[] {
  const out = new Deno.Command("ldd", { args: [program], stdout: "piped", stderr: "null" }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  const libs: string[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s+(\/\S+)\s+\(/);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/** Host path of a program on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    const info = lstat(`${dir}/${name}`);
    if (info && !info.isDirectory) return `${dir}/${name}`;
  }
  return undefined;
}

/** Write the installed-database entry of `name` into `root` (manifest in kiss order). */
function writeEntry(root: string, name: string, depends: readonly string[], owned: Set<string>): void {
  const db = `/var/db/kiss/installed/${name}`;
  Deno.mkdirSync(`${root}${db}`, { recursive: true });
  Deno.writeTextFileSync(`${root}${db}/version`, "1.0 1\n");
  if (depends.length > 0) Deno.writeTextFileSync(`${root}${db}/depends`, depends.join("\n") + "\n");
  for (const dir of ["/var/", "/var/db/", "/var/db/kiss/", "/var/db/kiss/installed/", `${db}/`]) owned.add(dir);
  owned.add(`${db}/version`);
  owned.add(`${db}/manifest`);
  if (depends.length > 0) owned.add(`${db}/depends`);
  const manifest = [...owned].sort().reverse();
  Deno.writeTextFileSync(`${root}${db}/manifest`, manifest.join("\n") + "\n");
}

/** Make a fake root in `root` holding `packages` (copied from the host), with their database entries. */
export function makeFakeRoot(root: string, packages: Readonly<Record<string, FakePackage>>): void {
  for (const [name, pkg] of Object.entries(packages)) {
    const owned = new Set<string>();
    for (const path of pkg.hostPaths) copyHostPath(root, path, owned);
    for (const [path, content] of Object.entries(pkg.files ?? {})) {
      const dir = path.slice(0, path.lastIndexOf("/"));
      Deno.mkdirSync(`${root}${dir}`, { recursive: true });
      Deno.writeTextFileSync(`${root}${path}`, content, { mode: 0o755 });
      let at = "";
      for (const part of dir.split("/").filter((p) => p !== "")) owned.add(`${at += `/${part}`}/`);
      owned.add(path);
    }
    writeEntry(root, name, pkg.depends ?? [], owned);
  }
}

/**
 * The standard test root: `base` (sh = dash, coreutils; runtime dependency
 * `libc`, make dependency `sed`), `libc` (the libraries they need), `grep`
 * and `sed` (each a host program with its libraries in `libc`).
 */
export function makeStandardRoot(root: string): void {
  const tools = BASE_TOOLS.map(which).filter((p): p is string => p !== undefined);
  const libs = new Set<string>();
  for (const tool of [...tools, which("grep")!, which("sed")!]) for (const lib of sharedLibraries(tool)) libs.add(lib);
  makeFakeRoot(root, {
    base: { hostPaths: ["/bin/sh", ...tools], depends: ["libc", "sed make"] },
    libc: { hostPaths: [...libs] },
    grep: { hostPaths: [which("grep")!], depends: ["libc"] },
    sed: { hostPaths: [which("sed")!], depends: ["libc"] },
  });
}

/** The C source of `escape`: one system call per sub-command; prints `OP: strerror(errno)` and exits 1 when refused. */
export const ESCAPE_C = `
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int refused(const char *what) {
  printf("%s: %s\\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *op = argv[1];
  if (!strcmp(op, "connect")) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return refused("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
    inet_pton(AF_INET, argv[2], &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) return refused("connect");
  } else if (!strcmp(op, "udp")) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) return refused("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
    inet_pton(AF_INET, argv[2], &a.sin_addr);
    if (sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) < 0) return refused("sendto");
  } else if (!strcmp(op, "bind")) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return refused("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return refused("bind");
  } else if (!strcmp(op, "mount")) {
    if (mount("none", argv[2], "tmpfs", 0, NULL) < 0) return refused("mount");
  } else if (!strcmp(op, "remount")) {
    if (mount(NULL, argv[2], NULL, MS_REMOUNT | MS_BIND, NULL) < 0) return refused("remount");
  } else if (!strcmp(op, "umount")) {
    if (umount2(argv[2], MNT_DETACH) < 0) return refused("umount");
  } else if (!strcmp(op, "chroot")) {
    /* The classic escape: chroot into a subdirectory, then climb out with "..". */
    mkdir("jail", 0755);
    int r = chroot("jail");
    if (r < 0) refused("chroot");
    for (int i = 0; i < 64; i++) chdir("..");
    if (r == 0) chroot(".");
    if (open(argv[2], O_RDONLY) < 0) return refused("escape");
    printf("escape: opened %s\\n", argv[2]);
    return 0;
  } else if (!strcmp(op, "kill")) {
    if (kill(atoi(argv[2]), SIGKILL) < 0) return refused("kill");
  } else if (!strcmp(op, "ptrace")) {
    if (ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0) < 0) return refused("ptrace");
  } else if (!strcmp(op, "init_module")) {
    static char image[64];
    if (syscall(SYS_init_module, image, sizeof image, "") < 0) return refused("init_module");
  } else if (!strcmp(op, "finit_module")) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return refused("open");
    if (syscall(SYS_finit_module, fd, "", 0) < 0) return refused("finit_module");
  } else if (!strcmp(op, "userns")) {
    /* A user namespace gives back every capability, over objects it owns. */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) return refused("unshare");
    if (mount("none", argv[2], "tmpfs", 0, NULL) < 0) return refused("mount");
  } else if (!strcmp(op, "mknod")) {
    if (mknod(argv[2], S_IFBLK | 0600, makedev(8, 0)) < 0) return refused("mknod");
  } else {
    return 2;
  }
  printf("%s: succeeded\\n", op);
  return 0;
}
`;

/** Compile C `source` with the host's `cc` into `dir/name`; returns the program's path. */
export async function compileC(dir: string, name: string, source: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/${name}.c`, source);
  const out = await new Deno.Command("cc", { args: ["-O1", "-o", `${dir}/${name}`, `${dir}/${name}.c`] }).output();
  if (!out.success) throw new Error(`cc failed: ${new TextDecoder().decode(out.stderr)}`);
  return `${dir}/${name}`;
}

/** A scratch area for one sandboxed run: a temp dir with `build/`, `pkg/` and `proc/`. */
export interface Scratch {
  readonly dir: string;
  readonly build: string;
  readonly pkg: string;
  readonly work: string;
  readonly logFile: string;
}

/** Make a {@linkcode Scratch} under `parent` (or the system's temp dir). */
export async function makeScratch(parent?: string): Promise<Scratch> {
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "kiln-sandbox-" });
  const scratch = { dir, build: `${dir}/build`, pkg: `${dir}/pkg`, work: `${dir}/proc`, logFile: `${dir}/build.log` };
  await Deno.mkdir(scratch.build);
  await Deno.mkdir(scratch.pkg);
  return scratch;
}

/** Run `fn` with a fresh {@linkcode Scratch} (in the system's temp dir), removed afterwards. */
export async function withScratch(fn: (s: Scratch) => Promise<void>): Promise<void> {
  const scratch = await makeScratch();
  try {
    await fn(scratch);
  } finally {
    await Deno.remove(scratch.dir, { recursive: true });
  }
}

/** What a sandboxed script did. */
export interface ScriptRun extends SandboxResult {
  /** Its output lines, as delivered to `onLine`. */
  readonly lines: string[];
  /** The log file's content. */
  readonly log: string;
  /** Messages the library reported (`[INFO]`/`[WARN]` text). */
  readonly messages: string[];
}

/** Options of {@linkcode runScript}. */
export interface RunOptions {
  readonly mode: SandboxMode;
  readonly root?: string;
  readonly packages?: readonly string[];
  readonly readable?: readonly string[];
  readonly env?: Record<string, string>;
  /** Bounds on the build (the defaults when absent). */
  readonly limits?: SandboxLimits;
}

/**
 * Run shell `script` with `/bin/sh -c` in the sandbox, in `scratch.build`, writable build and pkg dirs.
 * Landlock-only mode, which kiln refuses as root, is run as an unprivileged user (`unprivileged.ts`),
 * the scratch directory given to that user.
 */
export async function runScript(scratch: Scratch, script: string, options: RunOptions): Promise<ScriptRun> {
  if (options.mode === "landlock" && Deno.uid() === 0) {
    await giveToNobody(scratch.dir);
    const report = await runAsNobody<ScriptRun>({ scratch, script, options });
    if (!report.ok) throw new KilnError(report.error!.message, { hint: report.error!.hint });
    return report.value!;
  }
  const events = collectEvents();
  const lines: string[] = [];
  await Deno.remove(scratch.logFile).catch(() => {});
  const result = await runSandboxed({
    mode: options.mode,
    root: options.root ?? "/",
    argv: ["/bin/sh", "-c", script],
    env: options.env ?? { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", HOME: "/root" },
    cwd: scratch.build,
    writable: [scratch.build, scratch.pkg],
    readable: options.readable,
    packages: options.packages ?? [],
    workDir: scratch.work,
    logFile: scratch.logFile,
    onLine: (line) => lines.push(line),
    limits: options.limits,
  }, new Log(events));
  const log = await Deno.readTextFile(scratch.logFile).catch(() => "");
  return { ...result, lines, log, messages: events.lines() };
}
