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
import type { CommandReport, MachineMethod, HostCommand } from "@opencompshare/protocol";
import type { Clock } from "../../clock.js";
import type { Db } from "../../store/schema.js";
import type { Sealer } from "../../security/secrets.js";

export interface Enqueue {
  hostId: string;
  method: MachineMethod;
  instanceId: string | null;
  operationId: string | null;
  epoch: number;
  args: unknown[];
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
    await this.db
      .insertInto("host_commands")
      .values({
        id,
        host_id: e.hostId,
        instance_id: e.instanceId,
        operation_id: e.operationId,
        epoch: e.epoch,
        method: e.method,
        args: this.sealer.seal(JSON.stringify(e.args)),
        status: "pending",
        result: null,
        error_kind: null,
        error_message: null,
        progress: null,
        deliveries: 0,
        created_at: this.clock.now(),
        delivered_at: null,
        done_at: null,
      })
      .execute();
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
      const row = await this.db.selectFrom("host_commands").select(["status", "result", "error_kind", "error_message", "progress"]).where("id", "=", id).executeTakeFirst();
      if (!row) return { status: "cancelled" };
      if (row.progress !== null && row.progress !== seenProgress) {
        seenProgress = row.progress;
        if (onProgress) await onProgress(JSON.parse(row.progress));
      }
      if (row.status === "done") return { status: "done", value: row.result === null ? undefined : JSON.parse(row.result) };
      if (row.status === "failed") return { status: "failed", kind: row.error_kind ?? "refused", message: row.error_message ?? "" };
      if (row.status === "cancelled") return { status: "cancelled" };
      try {
        await this.sleepUntil(`done:${id}`, POLL_BACKOFF_MS[Math.min(i, POLL_BACKOFF_MS.length - 1)] as number, signal);
      } catch (error) {
        await this.db.updateTable("host_commands").set({ status: "cancelled", done_at: this.clock.now() }).where("id", "=", id).where("status", "in", ["pending", "delivered"]).execute();
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
      let q = this.db
        .selectFrom("host_commands")
        .select(["id", "method", "instance_id", "operation_id", "epoch", "args"])
        .where("host_id", "=", hostId)
        .where("status", "in", ["pending", "delivered"])
        .orderBy("created_at")
        .limit(64);
      if (running.length > 0) q = q.where("id", "not in", [...running]);
      const rows = await q.execute();
      if (rows.length > 0) {
        const ids = rows.map((r) => r.id);
        await this.db
          .updateTable("host_commands")
          .set((eb) => ({ status: "delivered", delivered_at: this.clock.now(), deliveries: eb("deliveries", "+", 1) }))
          .where("id", "in", ids)
          .where("status", "in", ["pending", "delivered"])
          .execute();
        return rows.map((r) => ({
          id: r.id,
          method: r.method as MachineMethod,
          instanceId: r.instance_id,
          operationId: r.operation_id,
          epoch: Number(r.epoch),
          args: JSON.parse(this.sealer.open(r.args)) as unknown[],
        }));
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
    const base = this.db.updateTable("host_commands").where("id", "=", r.id).where("host_id", "=", hostId).where("epoch", "=", r.epoch).where("status", "in", ["pending", "delivered"]);
    let res;
    if ("progress" in r) res = await base.set({ progress: JSON.stringify(r.progress ?? null) }).executeTakeFirst();
    else if (r.ok) res = await base.set({ status: "done", result: JSON.stringify(r.value ?? null), done_at: this.clock.now() }).executeTakeFirst();
    else res = await base.set({ status: "failed", error_kind: r.error.kind, error_message: r.error.message, done_at: this.clock.now() }).executeTakeFirst();
    const taken = Number(res.numUpdatedRows) === 1;
    if (taken) this.events.emit(`done:${r.id}`);
    return taken;
  }

  /** Ended commands older than `ms` leave the queue (their effect is in the operation records). */
  async prune(ms: number): Promise<void> {
    await this.db.deleteFrom("host_commands").where("status", "in", ["done", "failed", "cancelled"]).where("done_at", "<", this.clock.now() - ms).execute();
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
