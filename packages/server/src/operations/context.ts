/**
 * What a running operation may do: call the driver under a deadline, and write, always fenced.
 * Every write runs in a transaction that first checks the operation's fence (and, while the
 * operation holds the instance lock, the lock's token), so a runner that lost its claim cannot
 * overwrite what its successor wrote.
 */
import { ApiError, type EventKind } from "@opencompshare/protocol";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { Driver, DriverCall } from "../drivers/driver.js";
import type { Fleet } from "../fleet/placement.js";
import type { Sealer } from "../security/secrets.js";
import { appendEvent, type EventData } from "../store/repositories/events.js";
import type { OperationRecord } from "../store/repositories/operations.js";
import type { Db, OperationRow, Tx } from "../store/schema.js";
import { holdsLock, releaseLock } from "./lock.js";
import { failureOf, StaleFence, updateFenced } from "./records.js";
import type { Metrics } from "../metrics/metrics.js";

export interface RunnerDeps {
  db: Db;
  clock: Clock;
  driver: Driver;
  fleet: Fleet;
  sealer: Sealer;
  log: Logger;
  /** This process's identity as an operation owner. */
  owner: string;
  lockTtlMs: number;
  leaseMs: number;
  softTimeoutMs: number;
  metrics: Metrics;
}

/** The driver did not answer in time; the call was aborted. */
export class DriverTimeout extends ApiError {
  constructor(method: string, ms: number) {
    super("ApiTimeout", `driver ${method} did not finish within ${ms} ms`);
  }
}

/** The process is shutting down: stop without recording anything; recovery resumes the work. */
export class Shutdown extends Error {
  constructor() {
    super("shutting down");
  }
}

const DONE = Symbol("done");

/**
 * The driver calls in flight, so that shutdown can abort them. A set rather than listeners on one
 * shared signal: adding and removing a listener scans all the others, which grows with the load.
 */
export class InflightCalls {
  readonly calls = new Set<AbortController>();
  stopping = false;

  abortAll(): void {
    this.stopping = true;
    for (const ac of this.calls) ac.abort(new Shutdown());
  }
}

export class OperationContext {
  constructor(
    readonly deps: RunnerDeps,
    public op: OperationRecord,
    /** When the lock held by this operation expires; 0 when it holds none. */
    public lockExpiresAt: number,
    /** Driver calls in flight in this process, aborted all at once on shutdown. */
    private readonly inflight: InflightCalls,
  ) {}

  get instanceId(): string {
    return this.op.instanceId;
  }

  get driver(): Driver {
    return this.deps.driver;
  }

  params<T>(): T {
    return this.op.params as T;
  }

  checkpoint<T>(): T {
    return this.op.checkpoint as T;
  }

  /**
   * Calls the driver with a deadline: `timeoutMs`, and never past the lock's expiry, so the
   * lock cannot outlive its TTL while this operation waits.
   */
  async drive<T>(method: string, call: (c: DriverCall) => Promise<T>, timeoutMs?: number, opts: { beyondLock?: boolean } = {}): Promise<T> {
    const { clock, lockTtlMs } = this.deps;
    let deadline = timeoutMs ?? lockTtlMs;
    if (!opts.beyondLock) deadline = Math.min(deadline, this.lockBudgetMs());
    if (this.inflight.stopping) throw new Shutdown();
    // A call that cannot finish before the lock expires is not started.
    if (deadline <= 0) throw new DriverTimeout(method, 0);
    const ac = new AbortController();
    this.inflight.calls.add(ac);
    clock.sleep(deadline, ac.signal).then(
      () => ac.abort(new DriverTimeout(method, deadline)),
      () => undefined,
    );
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true });
    });
    const started = performance.now();
    let outcome: "ok" | "error" | "timeout" = "error";
    try {
      const fence = { operationId: this.op.id, epoch: this.op.epoch };
      const result = await Promise.race([call({ signal: ac.signal, fence }), aborted]);
      outcome = "ok";
      return result;
    } catch (error) {
      if (error instanceof DriverTimeout) outcome = "timeout";
      throw error;
    } finally {
      this.deps.metrics.driverCall(method, outcome, (performance.now() - started) / 1000);
      this.inflight.calls.delete(ac);
      if (!ac.signal.aborted) ac.abort(DONE);
      aborted.catch(() => undefined);
    }
  }

  /** Time left under the lock, less a safety margin; unbounded when no lock is held. */
  lockBudgetMs(): number {
    if (this.op.lockToken === null) return Number.POSITIVE_INFINITY;
    const margin = Math.max(50, Math.floor(this.deps.lockTtlMs / 20));
    return this.lockExpiresAt - this.deps.clock.now() - margin;
  }

  /** Records the phase (and what recovery needs to know) before the step it names. */
  async phase(phase: string, checkpoint?: object): Promise<void> {
    await this.write(async (tx) => this.report(tx, "operation.phase", { Phase: phase }), { phase, ...(checkpoint ? { checkpoint: JSON.stringify(checkpoint) } : {}) });
    this.op = { ...this.op, phase, ...(checkpoint ? { checkpoint } : {}) };
  }

  /** A fenced write: `change` runs only if this runner still owns the operation (and its lock). */
  async write(change: (tx: Tx) => Promise<void>, opSet: Partial<OperationRow> = {}): Promise<void> {
    const { db, clock, leaseMs } = this.deps;
    await db.transaction().execute(async (tx) => {
      await updateFenced(tx, this.op.id, this.op.fence, { lease_expires_at: clock.now() + leaseMs, ...opSet });
      if (this.op.lockToken !== null && !(await holdsLock(tx, this.instanceId, this.op.lockToken))) {
        throw new StaleFence(this.op.id);
      }
      await change(tx);
    });
  }

  /** Reports a step of this operation as an event of its instance, in the transaction `tx`. */
  private async report(tx: Tx, kind: EventKind, data: EventData, now = this.deps.clock.now()): Promise<void> {
    await appendEvent(tx, this.op.accountId, { kind, instanceId: this.instanceId, data: { OperationId: this.op.id, Action: this.op.action, ...data }, at: now });
  }

  /** Releases the instance lock: the rest of the operation runs under its condition flag. */
  async releaseLock(): Promise<void> {
    const token = this.op.lockToken;
    if (token === null) return;
    await this.write(async (tx) => {
      await releaseLock(tx, this.instanceId, this.op.id, token, this.deps.clock.now());
    }, { lock_token: null });
    this.op = { ...this.op, lockToken: null };
  }

  /** Ends the operation successfully: `change` and the release of the lock in one fenced transaction. */
  async succeed(change: (tx: Tx, now: number) => Promise<void>, phase = "done"): Promise<void> {
    await this.end("succeeded", null, phase, change);
  }

  /** Ends the operation with a recorded error, after `change` restores a consistent state. */
  async fail(error: unknown, change: (tx: Tx, now: number) => Promise<void>): Promise<void> {
    await this.end("failed", error, "failed", change);
  }

  private async end(status: "succeeded" | "failed", error: unknown, phase: string, change: (tx: Tx, now: number) => Promise<void>) {
    const now = this.deps.clock.now();
    const failure = status === "failed" ? failureOf(error) : null;
    const token = this.op.lockToken;
    await this.write(
      async (tx) => {
        await change(tx, now);
        if (token !== null) await releaseLock(tx, this.instanceId, this.op.id, token, now);
        await this.report(tx, status === "succeeded" ? "operation.succeeded" : "operation.failed", failure ? { RetCode: failure.code, Message: failure.message } : {}, now);
      },
      {
        status,
        phase,
        ended_at: now,
        lock_token: null,
        error_code: failure?.code ?? null,
        error_message: failure?.message ?? "",
      },
    );
    this.op = { ...this.op, status, lockToken: null };
  }
}
