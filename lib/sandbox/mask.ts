/**
 * Host secrets hidden from a `host` sandbox (SPEC §7 step 8).
 *
 * A build runs as root and keeps CAP_DAC_OVERRIDE, so file modes do not keep
 * it out of anything it can see. The host's `/etc` is shown for its
 * configuration, so kiln masks what in it is meant for root alone — by a
 * rule, not only a list: every file that is not readable by others and every
 * directory that others cannot enter (`/etc/shadow`, `gshadow`, their `-`
 * backups, `sudoers`, `sudoers.d`, `ssl/private`, `security/opasswd`, ssh
 * host keys, a database's password files…). The well-known secrets are
 * masked by name too, whatever their modes. A masked file shows as an empty
 * character device (`/dev/null` bound over it), a masked directory as an
 * empty read-only tmpfs. The walk follows no symbolic link and stays on the
 * view it is given: the host's `/etc`, or the root's `/etc` laid over it.
 *
 * @module
 */

import { mount, MS } from "../../ffi/process.ts";

/** Paths under `/etc` masked whatever their modes (`*` matches within one name). */
export const SECRET_NAMES: readonly string[] = [
  "shadow",
  "shadow-",
  "gshadow",
  "gshadow-",
  "sudoers",
  "sudoers.d",
  "doas.conf",
  "ssl/private",
  "security/opasswd",
  "ssh/*_key",
  "wireguard",
  "NetworkManager/system-connections",
];

/** What {@linkcode findSecrets} found, as paths relative to the walked directory. */
export interface Secrets {
  /** Files (or other non-directories) to mask. */
  readonly files: string[];
  /** Directories to mask whole (not walked into). */
  readonly dirs: string[];
  /** Entries looked at (the cost of the walk). */
  readonly seen: number;
}

function pattern(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*")}$`);
}

const SECRET_PATTERNS = SECRET_NAMES.map(pattern);

/** True when `path` (relative to `/etc`) is one of {@linkcode SECRET_NAMES}. */
export function isNamedSecret(path: string): boolean {
  return SECRET_PATTERNS.some((p) => p.test(path));
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Type and mode bits of `path`, not following a link; undefined when it is gone or unreadable. */
function modeOf(path: string): number | undefined {
  try {
    const info = Deno.lstatSync(path);
    return ((info.mode ?? 0) & 0o7777) | (info.isDirectory ? S_IFDIR : info.isSymlink ? S_IFLNK : 0);
  } catch {
    return undefined;
  }
}

/**
 * Walk `dir` (never following a symbolic link) and list what is not for
 * others' eyes: files without the other-read bit, directories without the
 * other-read or other-execute bit, and {@linkcode SECRET_NAMES}. Entries that
 * vanish or cannot be read during the walk are skipped.
 */
export function findSecrets(dir: string): Secrets {
  const files: string[] = [];
  const dirs: string[] = [];
  let seen = 0;
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel === "" ? dir : `${dir}/${rel}`)];
    } catch {
      return;
    }
    for (const entry of entries) {
      seen++;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymlink) continue;
      const mode = modeOf(`${dir}/${path}`);
      if (mode === undefined || (mode & S_IFMT) === S_IFLNK) continue;
      if ((mode & S_IFMT) === S_IFDIR) {
        if ((mode & 0o005) !== 0o005 || isNamedSecret(path)) dirs.push(path);
        else walk(path);
      } else if ((mode & 0o004) === 0 || isNamedSecret(path)) {
        files.push(path);
      }
    }
  };
  walk("");
  return { files: files.sort(), dirs: dirs.sort(), seen };
}

/**
 * Mask the secrets of the `/etc` mounted at `etc` (inside the sandbox's new
 * root, in the helper's own mount namespace): `/dev/null` bound read-only
 * over each file, an empty read-only tmpfs over each directory. Returns what
 * was masked.
 */
export function maskSecrets(etc: string): Secrets {
  const secrets = findSecrets(etc);
  for (const path of secrets.files) {
    const target = `${etc}/${path}`;
    mount("/dev/null", target, null, MS.BIND);
    mount(null, target, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NOEXEC);
  }
  for (const path of secrets.dirs) {
    mount("kiln-masked", `${etc}/${path}`, "tmpfs", MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, "mode=0700,size=4k");
  }
  return secrets;
}
