/**
 * `kiln chroot DIR [CMD…]`: enter a root the way kiss's `kiss-chroot` does,
 * but with nothing to clean up. kiln starts itself as a helper
 * (`__chroot-helper`) that takes a private mount namespace, mounts `/proc`,
 * `/sys`, `/dev` (with `/dev/pts` and `/dev/shm`), a `/run` and a `/tmp`
 * tmpfs and the host's `/etc/resolv.conf` inside the root, makes the root its
 * `/` with `pivot_root` (not `chroot`, which root can leave), and `execve`s
 * the command (default: a login shell) with a clean environment. The mounts
 * exist only in that namespace: they are gone when the last process in it
 * ends, however it ends (even SIGKILL), and the host never sees them.
 *
 * Mount points must already be directories of the root (and
 * `etc/resolv.conf` a regular file): a symbolic link there is never
 * followed, so a root cannot aim a mount at a host path.
 *
 * @module
 */

import { chdir } from "../../ffi/fs.ts";
import { CLONE, execve, MNT_DETACH, mount, MS, pivotRoot, umount2, unshare } from "../../ffi/process.ts";
import { SyscallError } from "../../ffi/libc.ts";

/** The hidden sub-command main.ts hands to {@linkcode chrootHelperMain}. */
export const CHROOT_HELPER = "__chroot-helper";

/** The environment inside, as `kiss-chroot` gives it. */
export function chrootEnvironment(env: Readonly<Record<string, string | undefined>>): string[] {
  const out = [
    "HOME=/root",
    "USER=root",
    "LOGNAME=root",
    "SHELL=/bin/sh",
    "PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin",
  ];
  for (const name of ["TERM", "CFLAGS", "CXXFLAGS", "LDFLAGS", "MAKEFLAGS", "LANG"]) {
    if (env[name] !== undefined) out.push(`${name}=${env[name]}`);
  }
  return out;
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Whether `root/rel` is a real directory (no component a symbolic link). */
function realDir(root: string, rel: string): boolean {
  let path = root;
  for (const part of rel.split("/")) {
    path += `/${part}`;
    const info = lstat(path);
    if (!info || info.isSymlink) return false;
  }
  return lstat(path)!.isDirectory;
}

/** Mount what kiss-chroot mounts, inside `root`; returns what was left out and why. */
function mountAll(root: string): string[] {
  const skipped: string[] = [];
  const at = (rel: string, what: () => void) => {
    if (realDir(root, rel)) what();
    else skipped.push(`/${rel}`);
  };
  at("proc", () => mount("proc", `${root}/proc`, "proc", MS.NOSUID | MS.NODEV | MS.NOEXEC));
  at("sys", () => mount("/sys", `${root}/sys`, null, MS.BIND | MS.REC));
  at("dev", () => mount("/dev", `${root}/dev`, null, MS.BIND | MS.REC));
  at("run", () => mount("kiln-run", `${root}/run`, "tmpfs", MS.NOSUID | MS.NODEV, "mode=0755"));
  at("tmp", () => mount("kiln-tmp", `${root}/tmp`, "tmpfs", MS.NOSUID | MS.NODEV, "mode=1777"));
  const resolv = lstat(`${root}/etc/resolv.conf`);
  if (realDir(root, "etc") && resolv?.isFile && lstat("/etc/resolv.conf")) {
    mount("/etc/resolv.conf", `${root}/etc/resolv.conf`, null, MS.BIND);
  } else skipped.push("/etc/resolv.conf");
  return skipped;
}

/** The program to run: `name` itself when it has a `/`, else looked up in `PATH` inside. */
function findProgram(name: string): string | undefined {
  const candidates = name.includes("/") ? [name] : ["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"]
    .map((d) => `${d}/${name}`);
  return candidates.find((c) => {
    try {
      const info = Deno.statSync(c);
      return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

function fail(message: string, status: number): number {
  console.error(`[ERROR] chroot: ${message}`);
  return status;
}

/**
 * Entry point of `kiln __chroot-helper DIR [CMD…]`. Returns only on failure
 * (the status to exit with); on success the process has become the command.
 */
export function chrootHelperMain(args: readonly string[]): number {
  const [root, ...command] = args;
  const argv = command.length > 0 ? command : ["/bin/sh", "-l"];
  try {
    unshare(CLONE.NEWNS);
    mount(null, "/", null, MS.REC | MS.PRIVATE);
    mount(root, root, null, MS.BIND | MS.REC);
    const skipped = mountAll(root);
    if (skipped.length > 0) {
      console.error(`[WARN] chroot: not mounted (not a directory or file in ${root}): ${skipped.join(" ")}`);
    }
    chdir(root);
    pivotRoot(".", ".");
    umount2(".", MNT_DETACH);
    chdir("/");
  } catch (err) {
    const what = err instanceof SyscallError ? err.reason : (err as Error).message;
    return fail(
      `cannot set up ${root}: ${what} (kiln chroot needs root, and a kernel that allows mount namespaces)`,
      1,
    );
  }
  const program = findProgram(argv[0]);
  if (!program) return fail(`${root} has no ${argv[0]}: nothing to run inside`, 127);
  try {
    execve(program, argv, chrootEnvironment(Deno.env.toObject()));
  } catch (err) {
    const what = err instanceof SyscallError ? err.reason : (err as Error).message;
    return fail(`cannot run ${program} inside ${root}: ${what}`, 126);
  }
}
