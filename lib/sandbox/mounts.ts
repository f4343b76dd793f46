/**
 * The helper's namespaces and new root (SPEC §7 steps 2–5), for the
 * `hermetic` and `host` modes. Runs in the helper's main thread, before
 * Landlock (which forbids mounting).
 *
 * Inside, the build sees:
 * - `/`: the hermetic sysroot bind-mounted read-only over itself (the secrets
 *   of its `/etc` masked, `mask.ts`), or (host) a
 *   read-only tmpfs holding the host's `/usr`, `/etc`, `/opt` and `/bin`,
 *   `/sbin`, `/lib*` (read-only binds, or links as on the host), with the
 *   root being built for laid over them (overlayfs) when it is not `/`, and
 *   the secrets of that `/etc` masked (`mask.ts`);
 * - `/dev`: a read-only tmpfs with `null zero full random urandom tty` bound
 *   from the host, the usual `fd`/`std*` links, a writable `/dev/shm`, and a
 *   private `devpts` at `/dev/pts` with `/dev/ptmx`;
 * - `/tmp`: a private tmpfs; it and `/dev/shm` are sized (`KISS_TMPFS_SIZE`);
 * - `/proc`: a new procfs of the build's own PID namespace (the helper is its
 *   PID 1, see `pidns.ts`), read-only: it shows the build's processes only,
 *   not the host's command lines and environments;
 * - the writable and readable directories at their host paths.
 *
 * @module
 */

import { chdir } from "../../ffi/fs.ts";
import { CLONE, MNT_DETACH, mount, MS, pivotRoot, sethostname, umount2, unshare } from "../../ffi/process.ts";
import { ensureDirIn, ensureFileIn, isWithin, type MountInfo, readMounts } from "./paths.ts";
import type { HelperPlan } from "./plan.ts";
import { maskSecrets } from "./mask.ts";

/**
 * Device nodes bound into the sandbox's `/dev`. `tty` names the opener's
 * controlling terminal, never a terminal of its own: the build starts a
 * session without one, and the only terminals it can open are those of its
 * private `devpts`, so `/dev/tty` answers ENXIO or reaches a pty the build
 * made itself (as under `script`).
 */
export const DEVICES = ["null", "zero", "full", "random", "urandom", "tty"] as const;

/** The build's own terminals: a private `devpts` instance at `/dev/pts`, `/dev/ptmx` a link into it. */
export const PTY_PATHS = ["/dev/ptmx", "/dev/pts"] as const;

/** Top-level host entries a `host` sandbox shows. */
const HOST_TREE = ["usr", "etc", "opt", "bin", "sbin", "lib", "lib32", "lib64", "libx32"] as const;

/** Hostname inside the sandbox (builds that record it get the same one everywhere). */
const HOSTNAME = "kiln";

/** Reports a problem that does not stop the build. */
export type Warn = (message: string) => void;

/** Step 2: new mount, network, UTS and IPC namespaces; every mount private. */
export function enterNamespaces(): void {
  unshare(CLONE.NEWNS | CLONE.NEWNET | CLONE.NEWUTS | CLONE.NEWIPC);
  mount(null, "/", null, MS.REC | MS.PRIVATE);
  sethostname(HOSTNAME);
}

const OPTION_FLAGS: Record<string, number> = { nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC };

/** Remount one mount read-only, keeping its nosuid/nodev/noexec. */
function remountOne(target: string, options: readonly string[], extra: number): void {
  let flags = MS.REMOUNT | MS.BIND | MS.RDONLY | extra;
  for (const option of options) flags |= OPTION_FLAGS[option] ?? 0;
  mount(null, target, null, flags);
}

/** The host's mounts, read once before the first mount of the set-up. */
let hostMounts: MountInfo[] | undefined;

/**
 * Bind `source` (host) at `target` (prepared in the new root) with the mounts
 * below it; read-only unless `writable` — each mount below too, since a
 * read-only remount covers one mount only.
 */
function bind(source: string, target: string, writable: boolean): void {
  hostMounts ??= readMounts();
  mount(source, target, null, MS.BIND | MS.REC);
  if (writable) return;
  const own = hostMounts.findLast((m) => isWithin(source, m.target));
  remountOne(target, own?.options ?? [], MS.NOSUID | MS.NODEV);
  for (const m of hostMounts) {
    if (m.target !== source && isWithin(m.target, source)) {
      remountOne(target + m.target.slice(source === "/" ? 0 : source.length), m.options, MS.NOSUID | MS.NODEV);
    }
  }
}

function lstat(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Escape a directory for overlayfs's `lowerdir=` list. */
function overlayPath(path: string): string {
  return path.replace(/[\\:,]/g, (c) => `\\${c}`);
}

/**
 * The host's tree for a `host` sandbox, with `root`'s files over it when
 * `root` is not `/`; the secrets of the `/etc` shown masked (`mask.ts`).
 */
function populateHost(newRoot: string, root: string, warn: Warn): void {
  const other = root !== "/";
  for (const name of HOST_TREE) {
    const host = lstat(`/${name}`);
    const mine = other ? lstat(`${root}/${name}`) : undefined;
    const target = `${newRoot}/${name}`;
    if (host?.isSymlink) {
      Deno.symlinkSync(Deno.readLinkSync(`/${name}`), target);
    } else if (host?.isDirectory) {
      Deno.mkdirSync(target);
      if (mine?.isDirectory) {
        try {
          mount(
            "overlay",
            target,
            "overlay",
            MS.RDONLY | MS.NOSUID | MS.NODEV,
            `lowerdir=${overlayPath(`${root}/${name}`)}:${overlayPath(`/${name}`)}`,
          );
          continue;
        } catch (err) {
          warn(`cannot lay ${root}/${name} over /${name} (${(err as Error).message}); its packages are not visible`);
        }
      }
      bind(`/${name}`, target, false);
    } else if (mine?.isDirectory) {
      Deno.mkdirSync(target);
      bind(`${root}/${name}`, target, false);
    } else if (mine?.isSymlink) {
      Deno.symlinkSync(Deno.readLinkSync(`${root}/${name}`), target);
    }
  }
  Deno.mkdirSync(`${newRoot}/var`);
  Deno.symlinkSync("../tmp", `${newRoot}/var/tmp`);
  if (lstat(`${newRoot}/etc`)?.isDirectory) maskSecrets(`${newRoot}/etc`);
}

/**
 * The hermetic sysroot's `/etc` holds hard links to the root's own files
 * (its `shadow`…): masked by the same rule as the host's (`mask.ts`).
 */
function maskSysrootSecrets(newRoot: string): void {
  if (lstat(`${newRoot}/etc`)?.isDirectory) maskSecrets(`${newRoot}/etc`);
}

/** tmpfs options of the build's `/tmp` and `/dev/shm`: world-writable, sticky, `size` when given. */
function scratchOptions(size: string | undefined): string {
  return size === undefined ? "mode=1777" : `mode=1777,size=${size}`;
}

/**
 * A procfs of the calling process's PID namespace at `target`, read-only.
 * With `pidMax`, first sets that namespace's `pid_max` (only on kernels where
 * it is per namespace, decided by kiln, and only from inside a new namespace:
 * elsewhere it would be the host's): at most `pidMax - 1` processes at once.
 */
export function mountProc(target: string, pidMax: number | undefined): void {
  mount("proc", target, "proc", MS.NOSUID | MS.NODEV | MS.NOEXEC);
  if (pidMax !== undefined && Deno.pid === 1) {
    Deno.writeTextFileSync(`${target}/sys/kernel/pid_max`, String(pidMax), { create: false });
  }
  mount(null, target, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
}

/** `/dev`: a tmpfs with the safe device nodes bound from the host. */
function populateDev(newRoot: string, shmSize?: string): string {
  const dev = ensureDirIn(newRoot, "/dev");
  mount("kiln-dev", dev, "tmpfs", MS.NOSUID | MS.NOEXEC, "mode=0755,size=64k");
  for (const name of DEVICES) {
    if (!lstat(`/dev/${name}`)) continue;
    Deno.writeFileSync(`${dev}/${name}`, new Uint8Array(), { mode: 0o666 });
    mount(`/dev/${name}`, `${dev}/${name}`, null, MS.BIND);
  }
  Deno.symlinkSync("/proc/self/fd", `${dev}/fd`);
  ["stdin", "stdout", "stderr"].forEach((name, fd) => Deno.symlinkSync(`/proc/self/fd/${fd}`, `${dev}/${name}`));
  Deno.mkdirSync(`${dev}/shm`);
  mount("kiln-shm", `${dev}/shm`, "tmpfs", MS.NOSUID | MS.NODEV, scratchOptions(shmSize));
  mountPts(dev);
  return dev;
}

/**
 * A new `devpts` instance at `dev/pts` (not the host's: its terminals are
 * the user's), with `dev/ptmx` a link to its multiplexer, so that
 * `posix_openpt` works in the build as on a normal system.
 */
function mountPts(dev: string): void {
  Deno.mkdirSync(`${dev}/pts`);
  mount("kiln-pts", `${dev}/pts`, "devpts", MS.NOSUID | MS.NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
  Deno.symlinkSync("pts/ptmx", `${dev}/ptmx`);
}

/**
 * Steps 3–4: mount everything the build sees under `plan.newRoot`, then make
 * the root (and `/dev`) read-only. Needs {@linkcode enterNamespaces} first.
 * Returns the host path of the new root.
 */
export function prepareRoot(plan: HelperPlan, warn: Warn): string {
  const newRoot = plan.newRoot;
  if (!newRoot) throw new Error(`sandbox mode ${plan.mode} needs a new root directory`);
  hostMounts = readMounts();
  if (plan.mode === "hermetic") {
    mount(newRoot, newRoot, null, MS.BIND);
    maskSysrootSecrets(newRoot);
  } else {
    mount("kiln-root", newRoot, "tmpfs", MS.NOSUID | MS.NODEV, "mode=0755,size=1m");
    populateHost(newRoot, plan.root, warn);
  }
  const dev = populateDev(newRoot, plan.tmpfsSize);
  mount("kiln-tmp", ensureDirIn(newRoot, "/tmp"), "tmpfs", MS.NOSUID | MS.NODEV, scratchOptions(plan.tmpfsSize));
  mountProc(ensureDirIn(newRoot, "/proc"), plan.pidMax);

  const shared = [
    ...plan.readable.map((path) => ({ path, writable: false })),
    ...plan.writable.map((path) => ({ path, writable: true })),
  ].sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  for (const { path, writable } of shared) {
    const source = Deno.realPathSync(path);
    const target = Deno.statSync(source).isDirectory ? ensureDirIn(newRoot, path) : ensureFileIn(newRoot, path);
    bind(source, target, writable);
  }

  mount(null, newRoot, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV);
  mount(null, dev, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NOEXEC);
  return newRoot;
}

/** Step 5: make `newRoot` the root (`pivot_root`, the old root detached: no way back), then enter `cwd`. */
export function pivotInto(newRoot: string, cwd: string): void {
  chdir(newRoot);
  pivotRoot(".", ".");
  umount2(".", MNT_DETACH);
  chdir("/");
  chdir(cwd);
}
