/**
 * Dependency resolution for `build` (SPEC §6.1): depth-first over the
 * `depends` files of the named packages, in the order the packages are named
 * and the order of each `depends` file, each package placed after its
 * dependencies. A dependency that is already installed is skipped (and not
 * descended into) unless it is named. A cycle is reported with its whole
 * path; a missing dependency with who needs it and where kiln looked.
 *
 * Only `depends` files are read, each once: a plan over thousands of
 * packages takes a few milliseconds per thousand.
 *
 * @module
 */

import type { Config } from "../config.ts";
import type { Dependency } from "../recipe/types.ts";
import type { Log } from "../log.ts";
import type { BuildPlan, PlanEntry } from "./plan.ts";
import type { PackageLocation, Repositories } from "../repo/repositories.ts";
import { KilnError, UsageError } from "../errors.ts";
import { listInstalled } from "../db/installed.ts";
import { readDepends } from "../recipe/depends.ts";
import { isPackageName, PACKAGE_NAME_RULE } from "../recipe/names.ts";

interface Frame {
  readonly name: string;
  readonly location: PackageLocation;
  readonly depends: readonly Dependency[];
  next: number;
}

const ON_STACK = 1;
const DONE = 2;

/**
 * Resolve the build order for the packages `names`.
 *
 * Logs `looking up dependency DEP of PKG` at debug level for every edge.
 * Throws {@linkcode UsageError} for a word that is not a package name,
 * {@linkcode KilnError} for a missing package or a cycle, and `RecipeError`
 * for a malformed `depends` file.
 */
export function resolveBuildPlan(repos: Repositories, config: Config, names: readonly string[], log: Log): BuildPlan {
  const targets = [...new Set(names)];
  for (const name of targets) {
    if (!isPackageName(name)) throw new UsageError(`'${name}' is not a package name`, PACKAGE_NAME_RULE);
  }
  const explicit = new Set(targets);
  const installed = new Set(listInstalled(config));
  const state = new Map<string, number>();
  const runtimeWanted = new Set<string>();
  const order: { name: string; location: PackageLocation }[] = [];
  const stack: Frame[] = [];

  const push = (name: string, parent?: Frame, dep?: Dependency) => {
    const location = repos.locate(name);
    if (!location) {
      throw repos.notFound(
        name,
        parent && {
          name: parent.name,
          chain: [...stack.map((f) => f.name), name],
          file: `${parent.location.dir}/depends`,
          line: dep?.line,
        },
      );
    }
    state.set(name, ON_STACK);
    stack.push({ name, location, depends: readDepends(location.dir), next: 0 });
  };

  for (const target of targets) {
    if (state.get(target) === DONE) continue;
    push(target);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.next === frame.depends.length) {
        stack.pop();
        state.set(frame.name, DONE);
        order.push(frame);
        continue;
      }
      const dep = frame.depends[frame.next++];
      log.debug(`looking up dependency ${dep.name} of ${frame.name}`);
      if (!dep.make) runtimeWanted.add(dep.name);
      const seen = state.get(dep.name);
      if (seen === DONE) continue;
      if (seen === ON_STACK) throw cycleError(stack, dep);
      if (installed.has(dep.name) && !explicit.has(dep.name)) continue;
      push(dep.name, frame, dep);
    }
  }

  const entries: PlanEntry[] = order.map(({ name, location }) => ({
    name,
    dir: location.dir,
    repo: location.repo,
    explicit: explicit.has(name),
    make: !explicit.has(name) && !runtimeWanted.has(name),
  }));
  return { order: entries, targets };
}

function cycleError(stack: readonly Frame[], dep: Dependency): KilnError {
  const start = stack.findIndex((f) => f.name === dep.name);
  const path = [...stack.slice(start).map((f) => f.name), dep.name];
  const last = stack[stack.length - 1];
  return new KilnError(`dependency cycle: ${path.join(" -> ")}`, {
    hint: `break the cycle by removing one of these dependencies, e.g. line ${dep.line} ('${dep.name}') of ` +
      `${last.location.dir}/depends`,
  });
}
