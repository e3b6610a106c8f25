/**
 * The per-host command queue, in the database so that any replica can take a driver call and
 * any replica can hand it to the host's long-poll. Delivery is at least once: a command stays
 * `delivered` until its report lands, and is handed out again to a poll that does not list it
 * as running (an agent that restarted). The agent deduplicates by command id.
 *
 * A command's arguments can hold secrets (a password to set), so they are sealed at rest and
 * opened only when handed to the host.
 *
 * Waiting is cheap on one replica and correct on several: a report or an enqueue on this
 * replica wakes its waiters at once; others find it by reading the row, with a backoff.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { CommandReport, FaultShot, MachineMethod, HostCommand } from "@opencompshare/protocol";
import type { Clock } from "../../clock.js";
import type { Sealer } from "../../security/secrets.js";
import { cancelCommand, commandState, commandsToRun, insertCommand, markDelivered, pruneCommands, recordReport } from "../../store/repositories/host-commands.js";
import type { Db } from "../../store/schema.js";

export interface Enqueue {
  hostId: string;
  method: MachineMethod;
  instanceId: string | null;
  operationId: string | null;
  epoch: number;
  args: unknown[];
  /** A fault armed by a test, for the host to apply before it acts. */
  fault?: FaultShot | null;
}

export type Outcome =
  | { status: "done"; value: unknown }
  | { status: "failed"; kind: string; message: string }
  | { status: "cancelled" };

const POLL_BACKOFF_MS = [25, 50, 100, 200, 400, 800, 1000];

export class CommandQueue {
  private readonly events = new EventEmitter();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly sealer: Sealer,
  ) {
    this.events.setMaxListeners(0);
  }

  async enqueue(e: Enqueue): Promise<string> {
    const id = `cmd-${randomUUID()}`;
    const { fault, ...command } = e;
    await insertCommand(this.db, { ...command, id, argsSealed: this.sealer.seal(JSON.stringify(e.args)), fault: fault ? JSON.stringify(fault) : null, now: this.clock.now() });
    this.events.emit(`host:${e.hostId}`);
    return id;
  }

  /**
   * Waits for the command's end. `onProgress` gets each new progress the host reports. On abort,
   * the command is cancelled if it has not ended (the host may still finish it, as hardware would).
   */
  async wait(id: string, signal: AbortSignal, onProgress?: (p: unknown) => Promise<void>): Promise<Outcome> {
    let seenProgress: string | null = null;
    for (let i = 0; ; i++) {
      const state = await commandState(this.db, id);
      if (!state) return { status: "cancelled" };
      if (state.progress && state.progress.text !== seenProgress) {
        seenProgress = state.progress.text;
        if (onProgress) await onProgress(state.progress.value);
      }
      if (state.status === "done") return { status: "done", value: state.value };
      if (state.status === "failed") return { status: "failed", kind: state.kind, message: state.message };
      if (state.status === "cancelled") return { status: "cancelled" };
      try {
        await this.sleepUntil(`done:${id}`, POLL_BACKOFF_MS[Math.min(i, POLL_BACKOFF_MS.length - 1)] as number, signal);
      } catch (error) {
        await cancelCommand(this.db, id, this.clock.now());
        throw error;
      }
    }
  }

  /**
   * The host's long-poll: the commands to run now (pending ones, and delivered ones the agent
   * does not say it is running), waiting up to `waitMs` for one to come.
   */
  async poll(hostId: string, running: readonly string[], waitMs: number, signal: AbortSignal): Promise<HostCommand[]> {
    const until = this.clock.now() + waitMs;
    for (let i = 0; ; i++) {
      const rows = await commandsToRun(this.db, hostId, running, 64);
      if (rows.length > 0) {
        await markDelivered(this.db, rows.map((r) => r.id), this.clock.now());
        return rows.map(({ argsSealed, fault, ...r }) => ({ ...r, args: JSON.parse(this.sealer.open(argsSealed)) as unknown[], ...(fault ? { fault: JSON.parse(fault) as FaultShot } : {}) }));
      }
      const left = until - this.clock.now();
      if (left <= 0 || signal.aborted) return [];
      try {
        await this.sleepUntil(`host:${hostId}`, Math.min(left, POLL_BACKOFF_MS[Math.min(i + 3, POLL_BACKOFF_MS.length - 1)] as number), signal);
      } catch {
        return [];
      }
    }
  }

  /**
   * Records a host's report, by compare-and-set: only for this command, at its epoch, while it
   * has not ended. Returns whether the report was taken (false: stale, cancelled or unknown).
   */
  async report(hostId: string, r: CommandReport): Promise<boolean> {
    const taken = await recordReport(this.db, hostId, r, this.clock.now());
    if (taken) this.events.emit(`done:${r.id}`);
    return taken;
  }

  /** Ended commands older than `ms` leave the queue (their effect is in the operation records). */
  async prune(ms: number): Promise<void> {
    await pruneCommands(this.db, this.clock.now() - ms);
  }

  /** Sleeps `ms` of clock time, or less when `event` fires on this replica. */
  private sleepUntil(event: string, ms: number, signal: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const wake = () => ac.abort();
    const onAbort = () => ac.abort(signal.reason);
    this.events.once(event, wake);
    signal.addEventListener("abort", onAbort, { once: true });
    return this.clock.sleep(ms, ac.signal).then(
      () => undefined,
      (error: unknown) => {
        if (signal.aborted) throw error;
      },
    ).finally(() => {
      this.events.off(event, wake);
      signal.removeEventListener("abort", onAbort);
    });
  }
}
