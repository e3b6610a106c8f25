/**
 * A writer for the cpio "newc" format the Linux kernel unpacks as an initramfs. Written here so
 * the build needs neither the cpio tool nor root: device nodes such as /dev/console are plain
 * header fields in this format.
 */
import { gzipSync } from "node:zlib";

/** One entry of the archive. Paths are relative, without a leading slash. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Buffer; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "char"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
const hex8 = (n: number): string => n.toString(16).padStart(8, "0");

function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0], mtime = 0): Buffer[] {
  const nameBuf = Buffer.from(`${name}\0`, "utf8");
  const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, mtime, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join("")}`, "latin1");
  return [header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length)];
}

/** The entries as a newc archive, gzip-compressed (the kernel's CONFIG_RD_GZIP). */
export function cpioGzip(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, "");
    switch (e.kind) {
      case "dir":
        parts.push(...record(ino++, S_IFDIR | (e.mode ?? 0o755), path, Buffer.alloc(0)));
        break;
      case "file":
        parts.push(...record(ino++, S_IFREG | (e.mode ?? 0o644), path, e.data));
        break;
      case "symlink":
        parts.push(...record(ino++, S_IFLNK | 0o777, path, Buffer.from(e.target, "utf8")));
        break;
      case "char":
        parts.push(...record(ino++, S_IFCHR | (e.mode ?? 0o600), path, Buffer.alloc(0), [e.major, e.minor]));
        break;
    }
  }
  parts.push(...record(0, 0, "TRAILER!!!", Buffer.alloc(0)));
  return gzipSync(Buffer.concat(parts), { level: 6 });
}
