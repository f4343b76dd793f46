/**
 * A small assembler for classic BPF, the language of seccomp filters
 * (`<linux/filter.h>`): loads of 32-bit words, an `and`, comparisons that
 * jump to labels, and returns. Jump offsets are computed from the labels,
 * never counted by hand; a jump that cannot be encoded (backwards, or more
 * than 255 instructions ahead for a conditional one) is an error.
 *
 * ```ts
 * const p = new BpfProgram();
 * p.load(0).jumpIf("eq", 59, "deny").ret(ALLOW).label("deny").ret(DENY);
 * const bytes = p.assemble();
 * ```
 *
 * @module
 */

/** Instruction classes and modes used here (`BPF_LD|BPF_W|BPF_ABS`, …). */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  JMP_JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** A comparison of the accumulator with a constant: `==`, `>`, `>=` (unsigned), or any bit in common. */
export type Condition = "eq" | "gt" | "ge" | "set";

const CONDITION_CODES: Record<Condition, number> = {
  eq: BPF.JMP_JEQ_K,
  gt: BPF.JMP_JGT_K,
  ge: BPF.JMP_JGE_K,
  set: BPF.JMP_JSET_K,
};

/** Where a jump goes: a label, or `null` for the next instruction. */
export type Target = string | null;

interface Instruction {
  readonly code: number;
  readonly k: number;
  readonly jt?: Target;
  readonly jf?: Target;
  /** For `ja`: the label jumped to. */
  readonly to?: string;
}

/** A classic BPF program being written; {@linkcode BpfProgram.assemble} makes its bytes. */
export class BpfProgram {
  readonly #code: Instruction[] = [];
  readonly #labels = new Map<string, number>();

  /** The number of instructions so far. */
  get length(): number {
    return this.#code.length;
  }

  /** Mark the next instruction with `name`. */
  label(name: string): this {
    if (this.#labels.has(name)) throw new Error(`BPF label ${name} defined twice`);
    this.#labels.set(name, this.#code.length);
    return this;
  }

  /** `A = *(u32 *)(data + offset)`. */
  load(offset: number): this {
    return this.#push({ code: BPF.LD_W_ABS, k: offset });
  }

  /** `A &= mask`. */
  and(mask: number): this {
    return this.#push({ code: BPF.ALU_AND_K, k: mask });
  }

  /** If `A <condition> k` go to `ifTrue`, else to `ifFalse` (`null`: the next instruction). */
  jumpIf(condition: Condition, k: number, ifTrue: Target, ifFalse: Target = null): this {
    return this.#push({ code: CONDITION_CODES[condition], k, jt: ifTrue, jf: ifFalse });
  }

  /** Go to `label`. */
  jump(label: string): this {
    return this.#push({ code: BPF.JMP_JA, k: 0, to: label });
  }

  /** Return `value` (a `SECCOMP_RET_*` action). */
  ret(value: number): this {
    return this.#push({ code: BPF.RET_K, k: value });
  }

  #push(instruction: Instruction): this {
    if (!Number.isInteger(instruction.k) || instruction.k < 0 || instruction.k > 0xffffffff) {
      throw new Error(`BPF constant ${instruction.k} is not an unsigned 32-bit integer`);
    }
    this.#code.push(instruction);
    return this;
  }

  #offset(from: number, target: Target, limit: number): number {
    if (target === null) return 0;
    const to = this.#labels.get(target);
    if (to === undefined) throw new Error(`BPF label ${target} is not defined`);
    const offset = to - (from + 1);
    if (offset < 0) throw new Error(`BPF jump from instruction ${from} back to ${target}: only forward jumps exist`);
    if (offset > limit) throw new Error(`BPF jump from instruction ${from} to ${target} is too far (${offset})`);
    return offset;
  }

  /** The program as `struct sock_filter` array bytes (little-endian, 8 bytes per instruction). */
  assemble(): Uint8Array<ArrayBuffer> {
    if (this.#code.length === 0) throw new Error("an empty BPF program");
    if (this.#code.length > 4096) throw new Error(`a BPF program of ${this.#code.length} instructions (limit 4096)`);
    const last = this.#code[this.#code.length - 1];
    if (last.code !== BPF.RET_K && last.code !== BPF.JMP_JA) throw new Error("a BPF program must end with a return");
    const bytes = new Uint8Array(this.#code.length * 8);
    const view = new DataView(bytes.buffer);
    this.#code.forEach((insn, i) => {
      const at = i * 8;
      view.setUint16(at, insn.code, true);
      if (insn.to !== undefined) {
        view.setUint32(at + 4, this.#offset(i, insn.to, this.#code.length), true);
        return;
      }
      view.setUint8(at + 2, this.#offset(i, insn.jt ?? null, 255));
      view.setUint8(at + 3, this.#offset(i, insn.jf ?? null, 255));
      view.setUint32(at + 4, insn.k, true);
    });
    return bytes;
  }
}
