/**
 * Static archives (`ar`, `.a`): the members and the ELF type of each, read
 * from the member headers without loading the archive.
 *
 * @module
 */

import { KilnError } from "../errors.ts";
import { type ElfType, isElfMagic, TYPES } from "./elf_ident.ts";
import type { Reader } from "./reader.ts";

const AR_MAGIC = "!<arch>\n";

function damaged(path: string, what: string): KilnError {
  return new KilnError(`${path}: damaged archive: ${what}`, {
    hint: "the static library is truncated or corrupt; rebuild it, or remove it from the package",
  });
}

/** A static archive (`!<arch>`), with the ELF type of each object member. */
export interface ArArchive {
  readonly format: "ar";
  /** Members in archive order (symbol and long-name tables left out). */
  readonly members: readonly { readonly name: string; readonly type?: ElfType }[];
}

/** True when `bytes` starts with the `ar` magic (`!<arch>\n`). */
export function isArMagic(bytes: Uint8Array): boolean {
  if (bytes.length < AR_MAGIC.length) return false;
  for (let i = 0; i < AR_MAGIC.length; i++) if (bytes[i] !== AR_MAGIC.charCodeAt(i)) return false;
  return true;
}

/** The members of the archive open in `r` (whose magic has been checked). */
export async function parseAr(r: Reader): Promise<ArArchive> {
  const members: { name: string; type?: ElfType }[] = [];
  let longNames: Uint8Array | undefined;
  let pos = AR_MAGIC.length;
  const text = new TextDecoder();
  while (pos + 60 <= r.size) {
    const h = await r.at(pos, 60, "archive member header");
    if (h[58] !== 0x60 || h[59] !== 0x0a) {
      throw damaged(r.path, `bad member header at byte ${pos}`);
    }
    const rawName = text.decode(h.subarray(0, 16)).trimEnd();
    const size = Number.parseInt(text.decode(h.subarray(48, 58)).trim(), 10);
    if (!Number.isFinite(size) || size < 0) {
      throw damaged(r.path, `bad member size at byte ${pos}`);
    }
    const body = pos + 60;
    if (body + size > r.size) {
      throw damaged(r.path, `member at byte ${pos} runs past the end of the file`);
    }
    if (rawName === "//") longNames = await r.at(body, size, "archive long-name table");
    else if (rawName !== "/" && rawName !== "/SYM64/" && rawName !== "__.SYMDEF") {
      let name = rawName.endsWith("/") ? rawName.slice(0, -1) : rawName;
      if (/^\/\d+$/.test(rawName) && longNames) {
        const start = Number(rawName.slice(1));
        let end = longNames.indexOf(0x0a, start);
        if (end < 0) end = longNames.length;
        name = text.decode(longNames.subarray(start, end)).replace(/\/$/, "");
      }
      let type: ElfType | undefined;
      if (size >= 18) {
        const head = await r.at(body, 18, "archive member");
        if (isElfMagic(head)) {
          const little = head[5] !== 2;
          type = TYPES[new DataView(head.buffer).getUint16(16, little)] ?? "OTHER";
        }
      }
      members.push({ name, type });
    }
    pos = body + size + (size % 2);
  }
  return { format: "ar", members };
}
