/**
 * A client of the QEMU guest agent (qemu-ga) over the host end of its virtio-serial port. The
 * channel has no greeting and may hold stale bytes (requests written while no agent listened,
 * replies to calls that timed out), so every connection starts with `guest-sync-delimited`: a
 * 0xFF byte resets the agent's parser, and its reply starts with 0xFF, after which replies are
 * in order. Any timeout marks the channel unsynchronised, and the next call synchronises again.
 *
 * While no qemu-ga has the port open (a guest still booting, or rebooting), the guest's kernel
 * discards what the host writes, so a sync request can vanish without a trace. The sync is
 * therefore sent again, with a new id, every `resyncMs` until one is answered; only the answer to
 * the latest id counts, since the agent answers in order and earlier ones come before it.
 */
import { randomInt } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Mutex, abortReason, sleep, withTimeout } from "../common/waits.js";

/** An error the guest agent answered a command with. */
export class GuestAgentError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`guest agent ${command}: ${errorClass}: ${desc}`);
  }
}

/** What a command run with guest-exec left behind. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** How long a sync request waits for its answer before it is sent again. */
const DEFAULT_RESYNC_MS = 1000;

export interface GuestAgentOptions {
  /** How long a guest-sync-delimited waits before a new one is sent (default 1000 ms). */
  resyncMs?: number;
}

/** A qemu-ga client on one machine's agent socket (one call at a time). */
export class GuestAgent {
  private socket?: Socket;
  private buf = Buffer.alloc(0);
  private wake?: () => void;
  private synced = false;
  private readonly lock = new Mutex();

  private readonly resyncMs: number;

  constructor(
    private readonly path: string,
    opts: GuestAgentOptions = {},
  ) {
    this.resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
  }

  /** Runs a command and resolves with its `return` value (synchronising first when needed). */
  call<T = unknown>(command: string, args?: Record<string, unknown>, opts: CallOptions = {}): Promise<T> {
    return this.lock.run(async () => {
      const signal = withTimeout(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, `guest agent ${command}`);
      try {
        await this.sync(signal);
        this.send({ execute: command, ...(args ? { arguments: args } : {}) });
        return (await this.reply(command, signal)) as T;
      } catch (error) {
        if (!(error instanceof GuestAgentError)) this.synced = false;
        throw error;
      }
    });
  }

  /** True when the agent answers guest-ping within `timeoutMs`. */
  async ping(timeoutMs = 1500, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.call("guest-ping", undefined, { timeoutMs, signal });
      return true;
    } catch {
      if (signal?.aborted) throw abortReason(signal);
      return false;
    }
  }

  /**
   * Asks the guest to power down, halt or reboot. guest-shutdown never answers on success (the
   * guest goes down), so an error reply within `errorWindowMs` is failure, silence is success.
   */
  shutdown(mode: "powerdown" | "reboot" | "halt", opts: CallOptions & { errorWindowMs?: number } = {}): Promise<void> {
    return this.lock.run(async () => {
      const signal = withTimeout(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, "guest agent guest-shutdown");
      try {
        await this.sync(signal);
        this.send({ execute: "guest-shutdown", arguments: { mode } });
        const window = withTimeout(opts.signal, opts.errorWindowMs ?? 1500, "guest-shutdown error window");
        try {
          await this.reply("guest-shutdown", window);
        } catch (error) {
          if (error instanceof GuestAgentError) throw error;
          if (opts.signal?.aborted) throw abortReason(opts.signal);
          // Silence: the request was taken.
        }
      } finally {
        this.synced = false;
      }
    });
  }

  /** Runs a program in the guest and waits for it to exit. */
  async exec(path: string, args: string[], opts: CallOptions & { input?: string } = {}): Promise<ExecResult> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const started = await this.call<{ pid: number }>(
      "guest-exec",
      { path, arg: args, "capture-output": true, ...(opts.input !== undefined ? { "input-data": Buffer.from(opts.input).toString("base64") } : {}) },
      opts,
    );
    for (;;) {
      const st = await this.call<{ exited: boolean; exitcode?: number; signal?: number; "out-data"?: string; "err-data"?: string }>(
        "guest-exec-status",
        { pid: started.pid },
        opts,
      );
      if (st.exited) {
        return {
          exitCode: st.exitcode ?? (st.signal !== undefined ? 128 + st.signal : -1),
          stdout: Buffer.from(st["out-data"] ?? "", "base64").toString("utf8"),
          stderr: Buffer.from(st["err-data"] ?? "", "base64").toString("utf8"),
        };
      }
      if (Date.now() > deadline) throw new Error(`guest-exec ${path}: still running after ${timeoutMs} ms`);
      await sleep(150, opts.signal);
    }
  }

  /** Reads a whole (small) file in the guest with guest-file-open/read/close. */
  async readFile(path: string, opts: CallOptions = {}): Promise<Buffer> {
    const handle = await this.call<number>("guest-file-open", { path, mode: "r" }, opts);
    try {
      const parts: Buffer[] = [];
      for (let i = 0; i < 1024; i++) {
        const r = await this.call<{ count: number; "buf-b64": string; eof: boolean }>("guest-file-read", { handle, count: 65536 }, opts);
        parts.push(Buffer.from(r["buf-b64"], "base64"));
        if (r.eof || r.count === 0) break;
      }
      return Buffer.concat(parts);
    } finally {
      await this.call("guest-file-close", { handle }, opts).catch(() => undefined);
    }
  }

  /** The guest's /proc/sys/kernel/random/boot_id. */
  async bootId(opts: CallOptions = {}): Promise<string> {
    return (await this.readFile("/proc/sys/kernel/random/boot_id", opts)).toString("utf8").trim();
  }

  /** The guest's IPv4 addresses, loopback left out (guest-network-get-interfaces). */
  async ipv4Addresses(opts: CallOptions = {}): Promise<string[]> {
    const ifaces = await this.call<GuestInterface[]>("guest-network-get-interfaces", {}, opts);
    return guestIpv4(ifaces);
  }

  /** Sets a user's password in clear (`crypted: false`); the password travels base64-encoded and is never logged. */
  async setPassword(username: string, password: string, opts: CallOptions = {}): Promise<void> {
    await this.call("guest-set-user-password", { username, password: Buffer.from(password, "utf8").toString("base64"), crypted: false }, opts);
  }

  /** Drops the connection (the agent and QEMU go on). */
  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.synced = false;
    this.wake?.();
  }

  private send(msg: unknown): void {
    this.socket?.write(`${JSON.stringify(msg)}\n`);
  }

  private async open(signal: AbortSignal): Promise<void> {
    if (this.socket && !this.socket.destroyed) return;
    const socket = connect(this.path);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        socket.destroy();
        reject(abortReason(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
      socket.once("error", (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(new Error(`guest agent ${this.path}: ${e.message}`));
      });
    });
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.synced = false;
    socket.on("data", (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    const gone = (): void => {
      if (this.socket === socket) {
        this.socket = undefined;
        this.synced = false;
      }
      this.wake?.();
    };
    socket.on("error", gone);
    socket.on("close", gone);
  }

  private async sync(signal: AbortSignal): Promise<void> {
    await this.open(signal);
    if (this.synced) return;
    this.buf = Buffer.alloc(0);
    for (;;) {
      const id = randomInt(1, 2 ** 31);
      this.socket?.write(Buffer.from([0xff]));
      this.send({ execute: "guest-sync-delimited", arguments: { id } });
      const attempt = withTimeout(signal, this.resyncMs, "guest-sync-delimited");
      try {
        for (;;) {
          const msg = await this.line(attempt);
          if (msg && (msg as { return?: unknown }).return === id) break;
        }
        this.synced = true;
        return;
      } catch (error) {
        if (signal.aborted || !this.socket) throw error;
        // Unanswered: the request may have been discarded while no agent listened. Send again.
      }
    }
  }

  /** The next reply line: its return value, or a GuestAgentError. */
  private async reply(command: string, signal: AbortSignal): Promise<unknown> {
    for (;;) {
      const msg = (await this.line(signal)) as { return?: unknown; error?: { class?: string; desc?: string } } | undefined;
      if (!msg) continue;
      if (msg.error) throw new GuestAgentError(command, msg.error.class ?? "GenericError", msg.error.desc ?? "unknown error");
      if ("return" in msg) return msg.return;
    }
  }

  /** The next JSON line from the agent (undefined for a line that is not JSON). */
  private async line(signal: AbortSignal): Promise<unknown> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        // A 0xFF delimiter ends whatever stale bytes precede it on the line.
        const raw = this.buf.subarray(0, nl);
        const text = raw.subarray(raw.lastIndexOf(0xff) + 1).toString("utf8").trim();
        this.buf = this.buf.subarray(nl + 1);
        if (!text) continue;
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return undefined;
        }
      }
      await this.more(signal);
    }
  }

  /** Waits for more bytes, the connection's end, or the signal. */
  private more(signal: AbortSignal): Promise<void> {
    if (!this.socket) return Promise.reject(new Error(`guest agent ${this.path}: the connection closed`));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.wake = undefined;
        reject(abortReason(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake = () => {
        this.wake = undefined;
        signal.removeEventListener("abort", onAbort);
        if (this.socket) resolve();
        else reject(new Error(`guest agent ${this.path}: the connection closed`));
      };
    });
  }
}

/** One interface as guest-network-get-interfaces lists it. */
export interface GuestInterface {
  name: string;
  "hardware-address"?: string;
  "ip-addresses"?: Array<{ "ip-address-type": "ipv4" | "ipv6"; "ip-address": string; prefix: number }>;
}

/** The IPv4 addresses of the guest's interfaces, in order, without loopback and link-local ones. */
export function guestIpv4(ifaces: readonly GuestInterface[]): string[] {
  return ifaces
    .filter((i) => i.name !== "lo")
    .flatMap((i) => i["ip-addresses"] ?? [])
    .filter((a) => a["ip-address-type"] === "ipv4" && !a["ip-address"].startsWith("127.") && !a["ip-address"].startsWith("169.254."))
    .map((a) => a["ip-address"]);
}
