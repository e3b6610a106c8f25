/**
 * The serial console log QEMU appends to (`-chardev file,append=on`): kept on disk across boots,
 * tailed for console output, and scanned for the `ocs-boot-id: <uuid>` line the guest image
 * prints once per boot.
 */
import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from "node:fs";

/** The line the ocs guest image prints on its console once per boot. */
export const BOOT_ID_LINE = /ocs-boot-id: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

/** The log is rotated (to `.1`) at a QEMU start once it is larger than this. */
const ROTATE_BYTES = 4 * 1024 * 1024;
/** How far back from the end a scan for boot ids looks. */
const SCAN_BYTES = 1024 * 1024;

/** One machine's serial console log file. */
export class SerialLog {
  constructor(readonly path: string) {}

  /** The current size of the log, bytes (0 when there is none). */
  size(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /** Reads bytes [from, to) of a file, clamped to its size. */
  private static read(path: string, from: number, to: number): Buffer {
    if (!existsSync(path)) return Buffer.alloc(0);
    const fd = openSync(path, "r");
    try {
      const size = statSync(path).size;
      const start = Math.max(0, Math.min(from, size));
      const end = Math.max(start, Math.min(to, size));
      const buf = Buffer.alloc(end - start);
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, start + done);
        if (n <= 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  }

  /** The last `bytes` of the console output (reaching into the rotated log when the current one is short). */
  tail(bytes: number): string {
    const want = Math.max(0, Math.floor(bytes));
    const size = this.size();
    let out = SerialLog.read(this.path, size - want, size);
    if (out.length < want) {
      const old = `${this.path}.1`;
      const oldSize = existsSync(old) ? statSync(old).size : 0;
      out = Buffer.concat([SerialLog.read(old, oldSize - (want - out.length), oldSize), out]);
    }
    return out.toString("utf8");
  }

  /** The boot ids printed at or after byte `offset`, in order (looking at most 1 MB back from the end). */
  bootIdsSince(offset: number): string[] {
    const size = this.size();
    const text = SerialLog.read(this.path, Math.max(offset, size - SCAN_BYTES), size).toString("latin1");
    return [...text.matchAll(BOOT_ID_LINE)].map((m) => m[1] as string);
  }

  /** Moves a large log aside (to `.1`) before QEMU opens it again; returns the size it starts from. */
  rotate(): number {
    if (this.size() > ROTATE_BYTES) renameSync(this.path, `${this.path}.1`);
    return this.size();
  }
}
