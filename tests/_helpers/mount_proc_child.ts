/**
 * For the PID namespace tests: in a private mount namespace, mount a procfs
 * with `mountProc(dir, PID_MAX)` and print the `pid_max` it shows, then try
 * to start `TRIES` processes that wait, printing how many started.
 *
 * ```sh
 * deno run -A tests/_helpers/mount_proc_child.ts 400 500
 * ```
 *
 * @module
 */

import { CLONE, MNT_DETACH, mount, MS, umount2, unshare } from "../../ffi/process.ts";
import { mountProc } from "../../lib/sandbox/mounts.ts";

if (import.meta.main) {
  const [pidMax, tries] = Deno.args.map(Number);
  unshare(CLONE.NEWNS);
  mount(null, "/", null, MS.REC | MS.PRIVATE);
  const dir = Deno.makeTempDirSync();
  mountProc(dir, pidMax);
  console.log(Deno.readTextFileSync(`${dir}/sys/kernel/pid_max`).trim());
  const children: Deno.ChildProcess[] = [];
  try {
    for (let i = 0; i < tries; i++) {
      children.push(new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" }).spawn());
    }
  } catch (err) {
    console.log(`failed: ${(err as Error).message}`);
  }
  console.log(children.length);
  for (const child of children) child.kill("SIGKILL");
  for (const child of children) await child.status;
  umount2(dir, MNT_DETACH);
  Deno.removeSync(dir);
}
