/**
 * A small ELF reader: just enough of an executable, shared library or object
 * file to strip it and to find the libraries it needs (SPEC §6.3).
 *
 * Files are never loaded whole: the reader takes the ELF header, the program
 * headers, the dynamic segment and the few strings it names, with positioned
 * reads. Static archives (`ar`, `.a`) are recognised and their members'
 * ELF types read from each member's header.
 *
 * @module
 */

import { type ArArchive, isArMagic, parseAr } from "./ar.ts";
import { type ElfType, isElfMagic, TYPES } from "./elf_ident.ts";
import { corrupt, MAX_STRING, Reader, type SeekableFile } from "./reader.ts";

export type { ArArchive, ElfType };
export { isArMagic, isElfMagic };

/**
 * What an ELF file is for a package manager: `executable` (ET_EXEC, or a PIE —
 * ET_DYN with DF_1_PIE or an interpreter and no soname), `shared-library`
 * (other ET_DYN), `object` (ET_REL: `.o` files and archive members).
 */
export type ElfKind = "executable" | "shared-library" | "object" | "core" | "other";

/** What the reader found in an ELF file. */
export interface ElfFile {
  readonly format: "elf";
  /** 32 or 64 bit (EI_CLASS). */
  readonly bits: 32 | 64;
  /** Byte order (EI_DATA). */
  readonly endian: "little" | "big";
  /** `e_type`. */
  readonly type: ElfType;
  /** Executable, shared library, object… (see {@linkcode ElfKind}). */
  readonly kind: ElfKind;
  /** `e_machine`. */
  readonly machine: number;
  /** True for a position-independent executable (ET_DYN that is a program). */
  readonly pie: boolean;
  /** The program interpreter (PT_INTERP), e.g. `/lib/ld-musl-x86_64.so.1`. */
  readonly interpreter?: string;
  /** `DT_NEEDED` entries, in order. */
  readonly needed: readonly string[];
  /** `DT_SONAME`. */
  readonly soname?: string;
  /** `DT_RPATH`, split on `:`. */
  readonly rpath: readonly string[];
  /** `DT_RUNPATH`, split on `:`. */
  readonly runpath: readonly string[];
}

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
const DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_SONAME = 14, DT_RPATH = 15, DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb, DF_1_PIE = 0x08000000;
const PN_XNUM = 0xffff;
/** Sanity limits: no real file has dynamic sections or strings this large. */
const MAX_DYNAMIC = 1 << 20, MAX_PHNUM = 1 << 16;

/** Field access for one class and byte order. */
class Fields {
  constructor(readonly bits: 32 | 64, readonly little: boolean) {}
  u16(b: Uint8Array, o: number): number {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(o, this.little);
  }
  u32(b: Uint8Array, o: number): number {
    return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, this.little);
  }
  /** A word (address, offset, size): 4 bytes on ELF32, 8 on ELF64. */
  word(b: Uint8Array, o: number): number {
    if (this.bits === 32) return this.u32(b, o);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(o, this.little);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  get wordSize(): number {
    return this.bits === 32 ? 4 : 8;
  }
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

async function readSegments(r: Reader, f: Fields, header: Uint8Array): Promise<Segment[]> {
  const is64 = f.bits === 64;
  const phoff = f.word(header, is64 ? 32 : 28);
  const phentsize = f.u16(header, is64 ? 54 : 42);
  let phnum = f.u16(header, is64 ? 56 : 44);
  if (phoff === 0 || phnum === 0) return [];
  if (phnum === PN_XNUM) {
    // The real count is in sh_info of section header 0.
    const shoff = f.word(header, is64 ? 40 : 32);
    const sh0 = await r.at(shoff, is64 ? 64 : 40, "section header 0");
    phnum = f.u32(sh0, is64 ? 44 : 28);
  }
  const minEntry = is64 ? 56 : 32;
  if (phentsize < minEntry) throw corrupt(r.path, `program header size ${phentsize} is too small`);
  if (phnum > MAX_PHNUM) throw corrupt(r.path, `${phnum} program headers`);
  const table = await r.at(phoff, phentsize * phnum, "program headers");
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const e = table.subarray(i * phentsize, (i + 1) * phentsize);
    segments.push(
      is64
        ? { type: f.u32(e, 0), offset: f.word(e, 8), vaddr: f.word(e, 16), filesz: f.word(e, 32) }
        : { type: f.u32(e, 0), offset: f.word(e, 4), vaddr: f.word(e, 8), filesz: f.word(e, 16) },
    );
  }
  return segments;
}

function fileOffset(segments: Segment[], vaddr: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
  }
  return undefined;
}

interface Dynamic {
  needed: string[];
  soname?: string;
  rpath: string[];
  runpath: string[];
  flags1: number;
}

async function readDynamic(r: Reader, f: Fields, segments: Segment[], dyn: Segment): Promise<Dynamic> {
  const entry = f.wordSize * 2;
  const size = Math.min(dyn.filesz, MAX_DYNAMIC);
  const table = await r.at(dyn.offset, size - (size % entry), "dynamic segment");
  const tags: [number, number][] = [];
  for (let o = 0; o + entry <= table.length; o += entry) {
    const tag = f.word(table, o);
    if (tag === DT_NULL) break;
    tags.push([tag, f.word(table, o + f.wordSize)]);
  }
  const strtabAddr = tags.find(([t]) => t === DT_STRTAB)?.[1];
  const strsz = tags.find(([t]) => t === DT_STRSZ)?.[1] ?? MAX_STRING;
  const out: Dynamic = { needed: [], rpath: [], runpath: [], flags1: 0 };
  for (const [t, v] of tags) if (t === DT_FLAGS_1) out.flags1 = v;
  const wantsStrings = tags.some(([t]) => t === DT_NEEDED || t === DT_SONAME || t === DT_RPATH || t === DT_RUNPATH);
  if (!wantsStrings) return out;
  if (strtabAddr === undefined) throw corrupt(r.path, "dynamic segment names libraries but has no DT_STRTAB");
  const strtab = fileOffset(segments, strtabAddr);
  if (strtab === undefined) {
    throw corrupt(r.path, `DT_STRTAB address 0x${strtabAddr.toString(16)} is in no loaded segment`);
  }
  const str = (v: number, what: string) => {
    if (v >= strsz) throw corrupt(r.path, `${what} string offset ${v} is past DT_STRSZ ${strsz}`);
    return r.cstring(strtab + v, strsz - v, what);
  };
  for (const [t, v] of tags) {
    if (t === DT_NEEDED) out.needed.push(await str(v, "DT_NEEDED"));
    else if (t === DT_SONAME) out.soname = await str(v, "DT_SONAME");
    else if (t === DT_RPATH) out.rpath = (await str(v, "DT_RPATH")).split(":").filter((p) => p !== "");
    else if (t === DT_RUNPATH) out.runpath = (await str(v, "DT_RUNPATH")).split(":").filter((p) => p !== "");
  }
  return out;
}

function classify(type: ElfType, dyn: Dynamic | undefined, interpreter: string | undefined): [ElfKind, boolean] {
  switch (type) {
    case "EXEC":
      return ["executable", false];
    case "REL":
      return ["object", false];
    case "CORE":
      return ["core", false];
    case "DYN": {
      if (dyn && (dyn.flags1 & DF_1_PIE) !== 0) return ["executable", true];
      if (interpreter !== undefined && dyn?.soname === undefined) return ["executable", true];
      return ["shared-library", false];
    }
    default:
      return ["other", false];
  }
}

async function parseElf(r: Reader): Promise<ElfFile> {
  const ident = await r.at(0, 16, "ELF identification");
  const bits = ident[4] === 1 ? 32 : ident[4] === 2 ? 64 : undefined;
  const endian = ident[5] === 1 ? "little" : ident[5] === 2 ? "big" : undefined;
  if (bits === undefined) throw corrupt(r.path, `unknown ELF class ${ident[4]}`);
  if (endian === undefined) throw corrupt(r.path, `unknown ELF byte order ${ident[5]}`);
  const f = new Fields(bits, endian === "little");
  const header = await r.at(0, bits === 64 ? 64 : 52, "ELF header");
  const type = TYPES[f.u16(header, 16)] ?? "OTHER";
  const machine = f.u16(header, 18);

  const segments = await readSegments(r, f, header);
  let interpreter: string | undefined;
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) interpreter = await r.cstring(interp.offset, interp.filesz, "PT_INTERP");
  const dynSeg = segments.find((s) => s.type === PT_DYNAMIC);
  const dyn = dynSeg ? await readDynamic(r, f, segments, dynSeg) : undefined;
  const [kind, pie] = classify(type, dyn, interpreter);
  return {
    format: "elf",
    bits,
    endian,
    type,
    kind,
    machine,
    pie,
    interpreter,
    needed: dyn?.needed ?? [],
    soname: dyn?.soname,
    rpath: dyn?.rpath ?? [],
    runpath: dyn?.runpath ?? [],
  };
}

/**
 * Read an ELF file or static archive at `path`.
 *
 * Resolves to `undefined` when the file is neither (a script, a text file, a
 * file too short to hold a magic number). Throws {@linkcode KilnError} naming
 * the file when it claims to be ELF or `ar` but is truncated or corrupt.
 */
export async function inspectObject(path: string): Promise<ElfFile | ArArchive | undefined> {
  using file = await Deno.open(path, { read: true });
  return await inspectFile(file, (await file.stat()).size, path);
}

/**
 * {@linkcode inspectObject} of a file already open (`size` bytes; `path`
 * names it in errors): for files of a build, opened by kiln with
 * `O_NOFOLLOW` and read through a {@linkcode DescriptorFile}.
 */
export async function inspectFile(
  file: SeekableFile,
  size: number,
  path: string,
): Promise<ElfFile | ArArchive | undefined> {
  const r = new Reader(file, size, path);
  const head = await r.at(0, Math.min(8, size), "magic number");
  if (isElfMagic(head)) return await parseElf(r);
  if (isArMagic(head)) return await parseAr(r);
  return undefined;
}

/**
 * Read the ELF file at `path`: `undefined` when it is not ELF (static
 * archives included), a {@linkcode KilnError} when it is ELF but damaged.
 */
export async function readElf(path: string): Promise<ElfFile | undefined> {
  const info = await inspectObject(path);
  return info?.format === "elf" ? info : undefined;
}

/** What the first bytes of a file say it is, for deciding how to strip it. */
export type ObjectSniff = "REL" | "EXEC" | "DYN" | "ar";

/**
 * Look only at the first 18 bytes of `path` (as kiss's `pkg_strip` does):
 * the ELF type (`REL`, `EXEC`, `DYN`) or `ar` for a static archive;
 * `undefined` for anything else, including unreadable files.
 */
export async function sniffObject(path: string): Promise<ObjectSniff | undefined> {
  let head: Uint8Array;
  try {
    using file = await Deno.open(path, { read: true });
    head = new Uint8Array(18);
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) break;
      got += n;
    }
    head = head.subarray(0, got);
  } catch {
    return undefined;
  }
  return sniffHead(head);
}

/** What the first 18 bytes `head` of a file say it is (see {@linkcode sniffObject}). */
export function sniffHead(head: Uint8Array): ObjectSniff | undefined {
  if (isArMagic(head)) return "ar";
  if (!isElfMagic(head) || head.length < 18) return undefined;
  const type = TYPES[new DataView(head.buffer, head.byteOffset, head.byteLength).getUint16(16, head[5] !== 2)];
  return type === "REL" || type === "EXEC" || type === "DYN" ? type : undefined;
}
