/**
 * The table of kiln's commands (SPEC §4). Each command's code lives in its own
 * module under `lib/cli/cmd/` and is imported only when that command runs.
 *
 * @module
 */

import type { CommandSpec } from "./context.ts";

/** Every command, by its full name. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  alternatives: {
    alias: "a",
    usage: "[pkg path]",
    summary: "list conflicts kept aside, or swap one in",
    load: () => import("./cmd/alternatives.ts"),
  },
  build: {
    alias: "b",
    usage: "[pkg…]",
    summary: "resolve, download, verify, build and package",
    load: () => import("./cmd/build.ts"),
  },
  checksum: {
    alias: "c",
    usage: "[pkg…]",
    summary: "write checksums",
    load: () => import("./cmd/checksum.ts"),
  },
  download: {
    alias: "d",
    usage: "[pkg…]",
    summary: "fetch sources into the cache",
    load: () => import("./cmd/download.ts"),
  },
  install: {
    alias: "i",
    usage: "[pkg|file|dir…]",
    summary: "install from the binary cache, a package file, or --from DIR",
    load: () => import("./cmd/install.ts"),
  },
  list: {
    alias: "l",
    usage: "[pkg…]",
    summary: "installed packages and versions",
    load: () => import("./cmd/list.ts"),
  },
  remove: {
    alias: "r",
    usage: "[pkg…]",
    summary: "uninstall",
    load: () => import("./cmd/remove.ts"),
  },
  search: {
    alias: "s",
    usage: "[glob…]",
    summary: "where a package is found, in every repository and the database",
    load: () => import("./cmd/search.ts"),
  },
  update: {
    alias: "u",
    usage: "",
    summary: "git pull each repository",
    load: () => import("./cmd/update.ts"),
  },
  upgrade: {
    alias: "U",
    usage: "",
    summary: "build and install every installed package whose repository version differs",
    load: () => import("./cmd/upgrade.ts"),
  },
  version: {
    alias: "v",
    usage: "",
    summary: "kiln's version",
    load: () => import("./cmd/version.ts"),
  },
  owns: {
    usage: "PATH",
    summary: "which package owns a file",
    load: () => import("./cmd/owns.ts"),
  },
  manifest: {
    usage: "PKG",
    summary: "files of an installed package",
    load: () => import("./cmd/manifest.ts"),
  },
  depends: {
    usage: "PKG",
    summary: "dependencies of a package",
    load: () => import("./cmd/depends.ts"),
  },
  revdepends: {
    usage: "PKG",
    summary: "installed packages that depend on a package",
    load: () => import("./cmd/revdepends.ts"),
  },
  orphans: {
    usage: "",
    summary: "installed packages nothing depends on",
    load: () => import("./cmd/orphans.ts"),
  },
  outdated: {
    usage: "",
    summary: "installed packages whose repository version differs",
    load: () => import("./cmd/outdated.ts"),
  },
  bootstrap: {
    usage: "DIR PKG…",
    summary: "make a new root filesystem from packages",
    load: () => import("./cmd/bootstrap.ts"),
  },
  lint: {
    usage: "[pkg|dir…]",
    summary: "check recipes: FILE:LINE: ID: message per finding, exit 1 on errors",
    load: () => import("./cmd/lint.ts"),
  },
  size: {
    usage: "[PKG]",
    summary: "installed size of a package and its biggest files",
    load: () => import("./cmd/size.ts"),
  },
  maintainer: {
    usage: "[PKG]",
    summary: "who changed the recipe last (git)",
    load: () => import("./cmd/maintainer.ts"),
  },
  fork: {
    usage: "PKG [DIR]",
    summary: "copy a package's recipe into a repository directory",
    load: () => import("./cmd/fork.ts"),
  },
  link: {
    usage: "FILE…",
    summary: "make a recipe file a link to the original package's copy",
    load: () => import("./cmd/link.ts"),
  },
  chroot: {
    usage: "DIR [CMD…]",
    summary: "run a shell or command inside a root, /proc /sys /dev mounted for the session only",
    load: () => import("./cmd/chroot.ts"),
  },
  new: {
    usage: "NAME [URL]",
    summary: "make a new recipe (community dialect) in the current directory",
    load: () => import("./cmd/new.ts"),
  },
  bump: {
    usage: "PKG VERSION",
    summary: "set a new version, download, rewrite checksums",
    load: () => import("./cmd/bump.ts"),
  },
  help: {
    alias: "h",
    usage: "[command]",
    summary: "this help",
    load: () => import("./cmd/help.ts"),
  },
};

/** The command a name or one-letter alias stands for, if any. */
export function findCommand(name: string): [string, CommandSpec] | undefined {
  if (Object.hasOwn(COMMANDS, name)) return [name, COMMANDS[name]];
  for (const [full, spec] of Object.entries(COMMANDS)) {
    if (spec.alias === name) return [full, spec];
  }
  return undefined;
}
