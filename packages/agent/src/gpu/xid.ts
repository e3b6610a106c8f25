/**
 * NVIDIA Xid events: the driver's error reports in the kernel log, one line each.
 *
 *   /dev/kmsg:  6,1234,5678901,-;NVRM: Xid (PCI:0000:01:00): 79, pid=1234, GPU has fallen off the bus.
 *   dmesg:      [  123.456] NVRM: Xid (PCI:0000:3b:00): 48, An uncorrectable double bit error …
 *   journal:    Oct 01 13:00:00 host kernel: NVRM: Xid (PCI:0000:06:00): 13, Graphics Exception …
 *
 * The address in the line has no function (`0000:3b:00`); a GPU is function 0, so the event is
 * for `0000:3b:00.0`. Which codes stop placement is FATAL_XIDS below.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { tryNormalizePciAddress } from "./pci.js";

export interface XidEvent {
  /** The GPU, sysfs form: `0000:3b:00.0`. */
  pciAddress: string;
  code: number;
  /** The driver's text after the code, without its `pid=…, name=…,` prefix. */
  message: string;
  /** The whole log line. */
  raw: string;
}

/** An event with when this agent read it (ms, from the watcher's clock). */
export interface SeenXid extends XidEvent {
  seenAt: number;
}

/**
 * Xids after which a GPU takes no new machines until someone looks at it (and the agent is
 * restarted). Each with why. Every other code is informational.
 */
export const FATAL_XIDS: ReadonlyMap<number, string> = new Map([
  [48, "double-bit ECC error (DBE): uncorrectable memory error, the GPU needs a reset and its memory may be failing"],
  [63, "ECC page retirement or row-remapping event: a bad memory row was marked, and takes effect only after a GPU reset"],
  [64, "ECC page retirement or row-remapping failure: a bad memory row could not be retired, the GPU needs service"],
  [74, "NVLink error: a link between GPUs failed, the GPUs on it need a reset"],
  [79, "GPU has fallen off the bus: it no longer answers on PCIe, the host needs a reset"],
  [92, "high single-bit ECC error rate: the memory is degrading, uncorrectable errors tend to follow"],
  [94, "contained ECC error: the application that hit it was stopped, the GPU needs a reset to remap the row"],
  [95, "uncontained ECC error: every application on the GPU is affected, the GPU needs a reset"],
  [119, "GSP RPC timeout: the GPU System Processor stopped answering, the GPU needs a reset"],
  [120, "GSP error: the GPU System Processor firmware failed, the GPU needs a reset"],
]);

/** Common informational codes: faults of the application, not of the GPU. */
const INFORMATIONAL_XIDS: ReadonlyMap<number, string> = new Map([
  [13, "graphics engine exception: usually an application fault (e.g. an out-of-bounds access)"],
  [31, "GPU memory page fault: usually an application's illegal memory access"],
  [43, "GPU stopped processing: the faulting application's channel was reset, the GPU goes on"],
  [45, "preemptive cleanup: the driver ended an application's work after an earlier error"],
]);

export function isFatalXid(code: number): boolean {
  return FATAL_XIDS.has(code);
}

/** A one-line description of a code: why it is fatal, or what it usually means. */
export function describeXid(code: number): string {
  return FATAL_XIDS.get(code) ?? INFORMATIONAL_XIDS.get(code) ?? "informational (not known to make the GPU unusable)";
}

/** `pri,seq,usec,flags[,…];` at the start of a /dev/kmsg record. */
const KMSG_PREFIX = /^\d+,\d+,\d+,[^;]*;/;
const XID_LINE = /NVRM: Xid \((?:PCI:)?([0-9a-f]{1,8}:[0-9a-f]{1,2}:[0-9a-f]{1,2}(?:\.[0-7])?)\): (\d+)(?:,\s*(.*))?$/i;
const PID_NAME_PREFIX = /^(?:pid=[^,]*,\s*)?(?:name=[^,]*,\s*)?/;

/** Parses one kernel log line; null when it is not an Xid report. */
export function parseXidLine(line: string): XidEvent | null {
  const raw = line.replace(/\r?\n$/, "");
  const body = raw.replace(KMSG_PREFIX, "");
  const match = XID_LINE.exec(body.trimEnd());
  if (!match) return null;
  const [, address = "", code = "", rest = ""] = match;
  const pciAddress = tryNormalizePciAddress(address);
  if (pciAddress === null) return null;
  return { pciAddress, code: Number(code), message: rest.replace(PID_NAME_PREFIX, "").trim(), raw };
}

/** Every Xid report in a block of kernel log text, in order. kmsg continuation lines are skipped. */
export function parseXids(text: string): XidEvent[] {
  const out: XidEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(" ")) continue;
    const event = parseXidLine(line);
    if (event) out.push(event);
  }
  return out;
}

export interface XidWatcherOptions {
  /** A kmsg-like source: `/dev/kmsg` (default), or a regular file that grows (tests, a log copy). */
  path?: string;
  /**
   * Also report what the source held before the first poll. Default false: an agent restart
   * forgets what the log said before it, which is how an operator clears a GPU after a reset.
   * (A GPU that is gone still shows: nvidia-smi no longer lists it.)
   */
  readExisting?: boolean;
  /** How many recent events to keep per GPU (fatal ones are kept apart, always). Default 100. */
  maxEventsPerGpu?: number;
  /** Milliseconds; default Date.now. */
  clock?: () => number;
}

/** Whether the source could be read at the last poll. */
export interface XidSourceStatus {
  path: string;
  available: boolean;
  /** Why not, e.g. `ENOENT` in a container without /dev/kmsg, `EPERM` with dmesg_restrict. */
  error: string | null;
}

/** The kernel returns one record per read; 16 KiB holds the longest (8 KiB). */
const KMSG_RECORD_BYTES = 16 * 1024;
/** How many bytes before the offset are compared to notice a file rewritten in place. */
const TAIL_BYTES = 256;
/** A bound on the bytes of a regular file read per poll; the rest waits for the next one. */
const MAX_FILE_BYTES_PER_POLL = 8 * 1024 * 1024;
/** A bound on records read per poll, so a flood cannot stall the agent. */
const MAX_RECORDS_PER_POLL = 100_000;

/**
 * Reads a kmsg-like source from where it left off, and keeps what it found per GPU: the recent
 * events (bounded) and the first event of each fatal code (sticky for the watcher's life).
 *
 * For a character device (/dev/kmsg) it keeps the file open, non-blocking, and reads record by
 * record until there is none. For a regular file it remembers the byte offset, keeps a partial
 * last line for the next poll, and starts over when the file shrank. A source that is missing or
 * unreadable is not an error: poll() returns nothing and `status` says why; the next poll retries.
 */
export class XidWatcher {
  readonly path: string;
  private readonly readExisting: boolean;
  private readonly maxEvents: number;
  private readonly clock: () => number;
  private primed = false;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  /** The last bytes read from a regular file, to notice it was rewritten in place. */
  private tail: Buffer = Buffer.alloc(0);
  private inode: number | null = null;
  private device: FileHandle | null = null;
  private readonly recent = new Map<string, SeenXid[]>();
  private readonly sticky = new Map<string, Map<number, SeenXid>>();
  private queue: Promise<unknown> = Promise.resolve();
  private lastStatus: XidSourceStatus;

  constructor(options: XidWatcherOptions = {}) {
    this.path = options.path ?? "/dev/kmsg";
    this.readExisting = options.readExisting ?? false;
    this.maxEvents = options.maxEventsPerGpu ?? 100;
    this.clock = options.clock ?? Date.now;
    this.lastStatus = { path: this.path, available: false, error: "not read yet" };
  }

  get status(): XidSourceStatus {
    return { ...this.lastStatus };
  }

  /** Reads what is new in the source; returns the Xid events found in it. Calls are serialized. */
  poll(): Promise<SeenXid[]> {
    const run = this.queue.then(() => this.pollOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Records Xid events from text got elsewhere (a journal reader); returns them. */
  ingest(text: string): SeenXid[] {
    const seenAt = this.clock();
    const events = parseXids(text).map((event) => ({ ...event, seenAt }));
    for (const event of events) this.record(event);
    return events;
  }

  /** The GPU's recent events and its sticky fatal ones, oldest first. */
  eventsFor(pciAddress: string): SeenXid[] {
    const address = tryNormalizePciAddress(pciAddress) ?? pciAddress;
    const recent = this.recent.get(address) ?? [];
    const fatal = [...(this.sticky.get(address)?.values() ?? [])].filter((event) => !recent.includes(event));
    return [...fatal, ...recent].sort((a, b) => a.seenAt - b.seenAt);
  }

  /** The first event of each fatal code seen for the GPU since the watcher started. */
  fatalFor(pciAddress: string): SeenXid[] {
    const address = tryNormalizePciAddress(pciAddress) ?? pciAddress;
    return [...(this.sticky.get(address)?.values() ?? [])];
  }

  /** Every GPU address an event was seen for. */
  addresses(): string[] {
    return [...new Set([...this.recent.keys(), ...this.sticky.keys()])];
  }

  async close(): Promise<void> {
    await this.queue;
    const device = this.device;
    this.device = null;
    await device?.close();
  }

  private record(event: SeenXid): void {
    const list = this.recent.get(event.pciAddress) ?? [];
    list.push(event);
    if (list.length > this.maxEvents) list.splice(0, list.length - this.maxEvents);
    this.recent.set(event.pciAddress, list);
    if (isFatalXid(event.code)) {
      const codes = this.sticky.get(event.pciAddress) ?? new Map<number, SeenXid>();
      if (!codes.has(event.code)) codes.set(event.code, event);
      this.sticky.set(event.pciAddress, codes);
    }
  }

  private unavailable(error: unknown): SeenXid[] {
    const err = error as NodeJS.ErrnoException;
    this.lastStatus = { path: this.path, available: false, error: err.code ? `${err.code}: ${err.message}` : String(error) };
    this.primed = true;
    return [];
  }

  private async pollOnce(): Promise<SeenXid[]> {
    let text: string;
    try {
      text = this.device ? await this.readDevice(this.device) : await this.readSource();
    } catch (error) {
      if (this.device) {
        await this.device.close().catch(() => undefined);
        this.device = null;
      }
      return this.unavailable(error);
    }
    this.lastStatus = { path: this.path, available: true, error: null };
    const skip = !this.primed && !this.readExisting;
    this.primed = true;
    return skip ? [] : this.ingest(text);
  }

  /** Opens the source; a character device stays open, a regular file is read and closed. */
  private async readSource(): Promise<string> {
    const handle = await open(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
    let keep = false;
    try {
      const info = await handle.stat();
      if (info.isCharacterDevice()) {
        this.device = handle;
        keep = true;
        return await this.readDevice(handle);
      }
      if (info.ino !== this.inode || info.size < this.offset || !(await this.sameTail(handle))) {
        // Replaced (another inode), truncated, or rewritten under us: read it from its start.
        this.inode = info.ino;
        this.offset = 0;
        this.tail = Buffer.alloc(0);
        this.partial = Buffer.alloc(0);
      }
      if (!this.primed && !this.readExisting) {
        this.offset = info.size;
        this.tail = await this.readAt(handle, Math.max(0, info.size - TAIL_BYTES), Math.min(info.size, TAIL_BYTES));
        return "";
      }
      const length = Math.min(info.size - this.offset, MAX_FILE_BYTES_PER_POLL);
      if (length <= 0) return "";
      const chunk = await this.readAt(handle, this.offset, length);
      this.offset += chunk.length;
      this.tail = Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
      const data = Buffer.concat([this.partial, chunk]);
      const end = data.lastIndexOf(0x0a);
      this.partial = end === -1 ? data : data.subarray(end + 1);
      // A "line" longer than any kernel record is not one: drop it rather than grow without bound.
      if (this.partial.length > KMSG_RECORD_BYTES) this.partial = Buffer.alloc(0);
      return end === -1 ? "" : data.subarray(0, end + 1).toString("utf8");
    } finally {
      if (!keep) await handle.close();
    }
  }

  private async readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  }

  /** Whether the bytes before `offset` are still the ones read there last time. */
  private async sameTail(handle: FileHandle): Promise<boolean> {
    if (this.tail.length === 0) return true;
    const now = await this.readAt(handle, this.offset - this.tail.length, this.tail.length);
    return now.equals(this.tail);
  }

  /** Reads /dev/kmsg records until there are none (EAGAIN). EPIPE means some were overwritten. */
  private async readDevice(handle: FileHandle): Promise<string> {
    const buffer = Buffer.alloc(KMSG_RECORD_BYTES);
    const records: string[] = [];
    for (let i = 0; i < MAX_RECORDS_PER_POLL; i++) {
      try {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        const record = buffer.subarray(0, bytesRead).toString("utf8");
        records.push(record.endsWith("\n") ? record : `${record}\n`);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") break;
        if (code === "EPIPE") continue;
        throw error;
      }
    }
    return records.join("");
  }
}
