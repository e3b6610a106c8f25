/**
 * Just enough of the ELF64 format to assemble a guest: the shared libraries a binary needs
 * (DT_NEEDED in `.dynamic`), the fields of a kernel module's `.modinfo` section, and whether a
 * kernel has a PVH entry point.
 */
import { readFileSync } from "node:fs";

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
}

const SHT_DYNAMIC = 6;
const SHT_NOTE = 7;
/** XEN_ELFNOTE_PHYS32_ENTRY: the 32-bit entry point QEMU's `-kernel` starts a PVH kernel at. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const DT_NEEDED = 1;

/** The section headers of an ELF64 little-endian file, with their names resolved. */
function sections(buf: Buffer, path: string): Section[] {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error(`${path} is not a little-endian ELF64 file`);
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({
      nameOffset: buf.readUInt32LE(at),
      type: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 0x18)),
      size: Number(buf.readBigUInt64LE(at + 0x20)),
      link: buf.readUInt32LE(at + 0x28),
    });
  }
  const names = raw[shstrndx];
  return raw.map((s) => ({
    name: names ? cString(buf, names.offset + s.nameOffset) : "",
    type: s.type,
    offset: s.offset,
    size: s.size,
    link: s.link,
  }));
}

function cString(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString("latin1", at, end < 0 ? buf.length : end);
}

/** The sonames a binary or shared library lists as DT_NEEDED; empty for a static binary. */
export function neededLibraries(path: string): string[] {
  const buf = readFileSync(path);
  const all = sections(buf, path);
  const dynamic = all.find((s) => s.type === SHT_DYNAMIC);
  if (!dynamic) return [];
  const strtab = all[dynamic.link];
  if (!strtab) throw new Error(`${path}: .dynamic has no string table`);
  const out: string[] = [];
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.size; at += 16) {
    const tag = buf.readBigInt64LE(at);
    if (tag === 0n) break;
    if (tag === BigInt(DT_NEEDED)) out.push(cString(buf, strtab.offset + Number(buf.readBigUInt64LE(at + 8))));
  }
  return out;
}

/** The `key=value` fields of a kernel module's `.modinfo` section (a key may repeat). */
export function moduleInfo(path: string): Array<[string, string]> {
  const buf = readFileSync(path);
  const modinfo = sections(buf, path).find((s) => s.name === ".modinfo");
  if (!modinfo) return [];
  return buf
    .toString("latin1", modinfo.offset, modinfo.offset + modinfo.size)
    .split("\0")
    .filter((f) => f.includes("="))
    .map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)] as [string, string]);
}

/** Whether an uncompressed kernel (vmlinux) has a PVH entry point: a "Xen" note of type 18. */
export function hasPvhEntry(path: string): boolean {
  const buf = readFileSync(path);
  for (const note of sections(buf, path).filter((s) => s.type === SHT_NOTE)) {
    for (let at = note.offset; at + 12 <= note.offset + note.size; ) {
      const namesz = buf.readUInt32LE(at);
      const descsz = buf.readUInt32LE(at + 4);
      const type = buf.readUInt32LE(at + 8);
      const name = buf.toString("latin1", at + 12, at + 12 + Math.max(0, namesz - 1));
      if (name === "Xen" && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
      at += 12 + align4(namesz) + align4(descsz);
    }
  }
  return false;
}

const align4 = (n: number): number => (n + 3) & ~3;
