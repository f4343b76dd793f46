/**
 * The code of the helper thread of `write_helper.ts`, and the layout of the
 * state it shares with the main thread. The thread's code is one function
 * sent to the worker as text, so it uses nothing from outside itself; the
 * layout comes with its first message.
 *
 * The thread waits for one job — files to write from the shared archive, or
 * files to delete — and takes chunks of it from the end (the main thread
 * takes them from the start) until none is left, counting a
 * step of the transaction for each file, stopping at the first error of
 * either thread (recorded for the main thread to report), and telling the
 * main thread through the `state` slot when it is out of its chunk.
 *
 * @module
 */

/** Slots of the shared state (an `Int32Array`). */
export const SLOT = { state: 0, taken: 1, done: 2, stop: 3, errorLength: 4 } as const;
/** Values of the `state` slot. */
export const STATE = { idle: 0, working: 1, finished: 2, unavailable: 3 } as const;
/** Bytes of the shared state before the error text. */
export const HEADER_BYTES = 64;
/** Room for the helper's error message. */
export const ERROR_BYTES = 4096;

/** The source text the worker runs. */
export function helperSource(): string {
  return `(${helperMain.toString()})();`;
}

/** The helper thread (see the module documentation). */
function helperMain(): void {
  interface Start {
    kind: "start";
    shared: SharedArrayBuffer;
    slot: Record<string, number>;
    state: Record<string, number>;
    headerBytes: number;
    idleMs: number;
  }
  interface Remove {
    kind: "remove";
    paths: string;
    /** Added before each of `paths`. */
    prefix: string;
    /** Addresses of `unlinkat`, `openat`, `close`, `__errno_location` and `strerror` (else `Deno.removeSync` is used). */
    calls?: Record<"unlinkat" | "openat" | "close" | "errnoLocation" | "strerror", number | bigint>;
    /** `AT_FDCWD`, `AT_REMOVEDIR`, and the `openat` flags of a directory to delete names in. */
    flags: { cwd: number; removeDir: number; directory: number };
    chunks: Int32Array;
    steps: SharedArrayBuffer;
    killAt: number;
  }
  interface Write {
    kind: "write";
    archive: SharedArrayBuffer;
    paths: string;
    links: string;
    linkCount: number;
    offsets: Float64Array;
    sizes: Float64Array;
    modes: Int32Array;
    chunks: Int32Array;
    plain: number;
    steps: SharedArrayBuffer;
    killAt: number;
  }
  const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; close(): void };
  let shared: Int32Array<ArrayBufferLike> = new Int32Array(1);
  let errorText: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  let slot: Record<string, number> = {};
  let states: Record<string, number> = {};
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stopped = new Error("stopped");
  const setState = (value: number) => {
    Atomics.store(shared, slot.state, value);
    Atomics.notify(shared, slot.state);
  };
  const start = (m: Start) => {
    shared = new Int32Array(m.shared, 0, m.headerBytes / 4);
    errorText = new Uint8Array(m.shared, m.headerBytes);
    slot = m.slot;
    states = m.state;
    idle = setTimeout(() => {
      setState(states.unavailable);
      scope.close();
    }, m.idleMs);
  };
  /** Delete a file or link with `Deno.removeSync`, as `removeFile` of `replay.ts` does without the C library. */
  const removeSlowly = (path: string): boolean => {
    try {
      Deno.removeSync(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return false;
      if ((err as { code?: string } | null)?.code === "ENOENT") return false;
      if (Deno.lstatSync(path).isDirectory) return false;
      throw err;
    }
  };
  /**
   * `removeFile` of `replay.ts` with a `DirectoryUnlinker` of `ffi/unlink.ts`, through the C library's
   * functions at `calls`; `done()` closes the directory kept open.
   */
  const remover = (calls: NonNullable<Remove["calls"]>, flags: Remove["flags"]) => {
    const at = <T>(address: number | bigint) => Deno.UnsafePointer.create<T>(BigInt(address))!;
    const unlinkat = new Deno.UnsafeFnPointer(at(calls.unlinkat), {
      parameters: ["i32", "buffer", "i32"],
      result: "i32",
    });
    const openat = new Deno.UnsafeFnPointer(at(calls.openat), { parameters: ["i32", "buffer", "i32"], result: "i32" });
    const close = new Deno.UnsafeFnPointer(at(calls.close), { parameters: ["i32"], result: "i32" });
    const errnoLocation = new Deno.UnsafeFnPointer(at(calls.errnoLocation), { parameters: [], result: "pointer" });
    const strerror = new Deno.UnsafeFnPointer(at(calls.strerror), { parameters: ["i32"], result: "pointer" });
    const encoder = new TextEncoder();
    let buffer = new Uint8Array(4096);
    // Names come split on NULs, so none holds one.
    const cString = (s: string) => {
      if (buffer.length < s.length * 3 + 1) buffer = new Uint8Array(s.length * 3 + 1);
      buffer[encoder.encodeInto(s, buffer).written] = 0;
      return buffer;
    };
    const errno = () => new Deno.UnsafePointerView(errnoLocation.call()!).getInt32();
    let openDir: string | undefined;
    let fd = -1;
    const done = () => {
      if (fd >= 0) close.call(fd);
      fd = -1;
      openDir = undefined;
    };
    const unlink = (path: string, how: number): number => {
      const slash = path.lastIndexOf("/");
      let code: number;
      if (slash < 0 || slash === path.length - 1) code = unlinkat.call(flags.cwd, cString(path), how);
      else {
        const dir = slash === 0 ? "/" : path.slice(0, slash);
        if (dir !== openDir) {
          done();
          openDir = dir;
          fd = openat.call(flags.cwd, cString(dir), flags.directory);
        }
        code = fd < 0
          ? unlinkat.call(flags.cwd, cString(path), how)
          : unlinkat.call(fd, cString(path.slice(slash + 1)), how);
      }
      return code === 0 ? 0 : errno();
    };
    const ENOENT = 2, ENOTDIR = 20, EISDIR = 21;
    const remove = (path: string): boolean => {
      const n = unlink(path, 0);
      if (n === 0) return true;
      if (n === ENOENT || n === ENOTDIR) return false;
      if (n === EISDIR) return unlink(path, flags.removeDir) === 0;
      if (Deno.lstatSync(path).isDirectory) return false;
      const text = strerror.call(n);
      throw new Error(`unlink ${path}: ${text ? Deno.UnsafePointerView.getCString(text) : `errno ${n}`}`);
    };
    return { remove, done };
  };
  /** Take chunks until none is left, doing `one(i)` for each of their items; true when it took a step. */
  const work = (m: Write | Remove, one: (i: number) => boolean) => {
    setState(states.working);
    const steps = new Int32Array(m.steps);
    const last = m.chunks.length - 1;
    try {
      // This thread takes chunks from the end, the main thread from the start; together they take each once.
      for (let c = last - 1; Atomics.add(shared, slot.taken, 1) < last; c--) {
        for (let i = m.chunks[c]; i < m.chunks[c + 1]; i++) {
          if (Atomics.load(shared, slot.stop) !== 0) throw stopped;
          if (one(i) && Atomics.add(steps, 0, 1) + 1 === m.killAt) Deno.kill(Deno.pid, "SIGKILL");
          Atomics.add(shared, slot.done, 1);
        }
      }
    } catch (err) {
      if (err !== stopped) {
        const text = new TextEncoder().encode(err instanceof Error ? err.message : String(err));
        const length = Math.min(text.length, errorText.length);
        errorText.set(text.subarray(0, length));
        Atomics.store(shared, slot.errorLength, length);
        Atomics.store(shared, slot.stop, 1);
      }
    } finally {
      setState(states.finished);
    }
  };
  const write = (m: Write) => {
    const paths = m.paths.split("\0");
    const links = m.linkCount === 0 ? [] : m.links.split("\0");
    // A NUL inside a name would shift every name after it: then this thread takes no part.
    if (paths.length !== m.chunks[m.chunks.length - 1] || links.length !== m.linkCount) {
      return setState(states.unavailable);
    }
    work(m, (i) => {
      const mode = m.modes[i];
      if (mode < 0) Deno.symlinkSync(links[m.offsets[i]], paths[i]);
      else {
        const body = new Uint8Array(m.archive, m.offsets[i], m.sizes[i]);
        if (mode === m.plain) Deno.writeFileSync(paths[i], body);
        else Deno.writeFileSync(paths[i], body, { mode });
      }
      return true;
    });
  };
  scope.onmessage = (e: MessageEvent) => {
    const m = e.data as Start | Write | Remove;
    clearTimeout(idle);
    if (m.kind === "start") start(m);
    else if (m.kind === "write") write(m);
    else {
      const paths = m.paths.split("\0");
      if (paths.length !== m.chunks[m.chunks.length - 1]) setState(states.unavailable);
      else {
        const fast = m.calls === undefined ? undefined : remover(m.calls, m.flags);
        const remove = fast?.remove ?? removeSlowly;
        try {
          work(m, (i) => remove(m.prefix + paths[i]));
        } finally {
          fast?.done();
        }
      }
    }
  };
}
