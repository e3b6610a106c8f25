/**
 * A QMP client over a unix socket: the greeting, `qmp_capabilities`, commands matched to their
 * replies by id, and asynchronous events to listeners. QEMU serves one client per QMP socket at
 * a time, so the backend keeps one client per machine.
 */
import { connect, type Socket } from "node:net";
import { abortReason, withTimeout } from "../common/waits.js";

/** An asynchronous QMP event (`SHUTDOWN`, `RESET`, `JOB_STATUS_CHANGE`, …). */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** An error QEMU answered a command with. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Default wait for a command's reply. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** One QMP connection to a QEMU process. */
export class QmpClient {
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private readonly closeListeners = new Set<() => void>();
  private greeted?: (greeting: unknown) => void;
  private isClosed = false;
  /** The QEMU version from the greeting. */
  version?: { major: number; minor: number; micro: number };

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", () => this.handleClose());
    socket.on("close", () => this.handleClose());
  }

  /** Connects, reads the greeting and negotiates capabilities; rejects after `timeoutMs` (QEMU busy with another client, or gone). */
  static async connect(path: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<QmpClient> {
    const signal = withTimeout(opts.signal, opts.timeoutMs ?? 5000, `QMP connect ${path}`);
    const socket = connect(path);
    const client = new QmpClient(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(abortReason(signal));
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        socket.once("error", (e) => reject(e));
        client.onClose(() => reject(new Error(`QMP ${path}: the connection closed before the greeting`)));
        client.greeted = (greeting) => {
          signal.removeEventListener("abort", onAbort);
          const v = (greeting as { QMP?: { version?: { qemu?: QmpClient["version"] } } }).QMP?.version?.qemu;
          if (v) client.version = v;
          resolve();
        };
      });
      await client.execute("qmp_capabilities", undefined, { signal });
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** True once the connection is gone (QEMU exited, or close() was called). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Runs a command; resolves with its `return` value, rejects with a QmpError, on timeout, or when the connection closes. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(new Error(`QMP ${command}: the connection is closed`));
    const id = `ocs-${this.nextId++}`;
    const signal = withTimeout(opts.signal, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, `QMP ${command}`);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(abortReason(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        command,
        resolve: (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`);
    });
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` once the connection closes (at once if it has). */
  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.add(listener);
  }

  /** Resolves with the first event `match` accepts; subscribe before acting so nothing is missed. */
  waitEvent(match: (e: QmpEvent) => boolean, signal: AbortSignal): { promise: Promise<QmpEvent>; cancel: () => void } {
    let off = (): void => undefined;
    const promise = new Promise<QmpEvent>((resolve, reject) => {
      const onAbort = (): void => {
        off();
        reject(abortReason(signal));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      const unsubscribe = this.onEvent((e) => {
        if (!match(e)) return;
        off();
        resolve(e);
      });
      off = () => {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      };
    });
    promise.catch(() => undefined);
    return { promise, cancel: () => off() };
  }

  /** Closes the connection (QEMU goes on). */
  close(): void {
    this.socket.destroy();
    this.handleClose();
  }

  private handleClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const p of this.pending.values()) p.reject(new Error(`QMP ${p.command}: the connection closed`));
    this.pending.clear();
    for (const l of this.closeListeners) l();
    this.closeListeners.clear();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ("QMP" in msg) {
      this.greeted?.(msg);
      this.greeted = undefined;
      return;
    }
    if (typeof msg.event === "string") {
      for (const l of [...this.listeners]) l(msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === "string" ? msg.id : undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!id || !p) return;
    this.pending.delete(id);
    if ("error" in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, err.class ?? "GenericError", err.desc ?? "unknown error"));
    } else {
      p.resolve(msg.return);
    }
  }
}
