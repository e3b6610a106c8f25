/**
 * The runner executes accepted operations in this process, right after acceptance (no polling
 * delay), renews their leases while they run, and on shutdown stops without recording anything:
 * the operations stay `running` and recovery resumes them at the next start.
 *
 * Abandoned means released: only the operations this process is executing right now have their
 * leases renewed. One it gave up on (its end could not be recorded: the database was
 * unreachable) is no longer renewed, however busy this process is, so recovery — on any replica,
 * this one included — takes it over once its lease lapses and finishes it.
 */
import { renewLeases, type OperationRecord } from "../store/repositories/operations.js";
import { InflightCalls, OperationContext, Shutdown, type RunnerDeps } from "./context.js";
import { isOperationAction, PROCEDURES } from "./procedures/index.js";
import { StaleFence } from "./records.js";

/** The most operation ids one lease renewal names (PostgreSQL takes at most 65,535 parameters). */
const RENEW_CHUNK = 1000;

export class Runner {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly calls = new InflightCalls();
  private heartbeat: Promise<void> | undefined;
  private readonly launchWatchers = new Set<Set<string>>();

  constructor(readonly deps: RunnerDeps) {}

  /** Starts executing `op`, whose lock (if any) expires at `lockExpiresAt`. Returns at once. */
  launch(op: OperationRecord, lockExpiresAt: number): void {
    if (this.inflight.has(op.id) || this.stopping.signal.aborted) return;
    const done = this.execute(op, lockExpiresAt).finally(() => this.inflight.delete(op.id));
    this.inflight.set(op.id, done);
    for (const watcher of this.launchWatchers) watcher.add(op.id);
  }

  /**
   * Collects the ids of every operation launched from now until `stop()`, however fast each ends:
   * an advance of the testing clock counts what it started this way, not by looking at what is
   * still running (a quick one may already be over).
   */
  watchLaunches(): { ids: ReadonlySet<string>; stop(): void } {
    const ids = new Set<string>();
    this.launchWatchers.add(ids);
    return { ids, stop: () => this.launchWatchers.delete(ids) };
  }

  isRunning(opId: string): boolean {
    return this.inflight.has(opId);
  }

  /** Resolves when this process's run of `opId` ends (at once when it runs none): it never rejects. */
  async settled(opId: string): Promise<void> {
    await this.inflight.get(opId);
  }

  /** Operations this process is executing. */
  get running(): number {
    return this.inflight.size;
  }

  /** The ids of the operations this process is executing. */
  get runningIds(): string[] {
    return [...this.inflight.keys()];
  }

  /** Resolves when every operation launched so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  startHeartbeat(): void {
    const { clock, leaseMs } = this.deps;
    const signal = this.stopping.signal;
    this.heartbeat = (async () => {
      while (!signal.aborted) {
        try {
          await clock.sleep(Math.max(1, Math.floor(leaseMs / 3)), signal);
        } catch {
          return;
        }
        await this.renewLeases();
      }
    })();
  }

  /**
   * Renews the leases of what runs here now, never of an operation this process has given up on.
   * The heartbeat calls it; so does an advance of the clock in testing mode, before recovery looks
   * for leases that have lapsed.
   */
  async renewLeases(): Promise<void> {
    const { clock, db, leaseMs, owner } = this.deps;
    const ids = [...this.inflight.keys()];
    for (let i = 0; i < ids.length; i += RENEW_CHUNK) {
      await renewLeases(db, ids.slice(i, i + RENEW_CHUNK), owner, clock.now() + leaseMs).catch((error: unknown) => this.deps.log.error({ err: error }, "lease renewal failed"));
    }
  }

  /** Stops: aborts driver calls in flight and waits for the runners to wind down. */
  async stop(): Promise<void> {
    this.stopping.abort(new Shutdown());
    this.calls.abortAll();
    await this.heartbeat;
    await this.idle();
  }

  private ended(op: OperationRecord, outcome: "succeeded" | "failed"): void {
    this.deps.metrics.operationEnded(op.action, outcome, (this.deps.clock.now() - op.startedAt) / 1000);
  }

  private async execute(op: OperationRecord, lockExpiresAt: number): Promise<void> {
    const { log } = this.deps;
    const procedure = isOperationAction(op.action) ? PROCEDURES[op.action] : undefined;
    const ctx = new OperationContext(this.deps, op, lockExpiresAt, this.calls);
    if (!procedure) {
      log.error({ op: op.id, action: op.action }, "no procedure for this action");
      return;
    }
    try {
      await procedure.run(ctx);
      this.ended(op, "succeeded");
      log.info({ op: op.id, uhost: op.instanceId, action: op.action }, "operation succeeded");
    } catch (error) {
      if (error instanceof Shutdown || this.stopping.signal.aborted) return;
      if (error instanceof StaleFence) {
        log.warn({ op: op.id, uhost: op.instanceId }, "operation taken over by another runner; stopping");
        return;
      }
      log.warn({ op: op.id, uhost: op.instanceId, action: op.action, err: error }, "operation failed");
      try {
        await procedure.fail(ctx, error);
        this.ended(op, "failed");
      } catch (failError) {
        if (failError instanceof Shutdown) return;
        if (failError instanceof StaleFence) {
          // It failed (its database session ended while it stalled, say) after another runner took it over.
          log.warn({ op: op.id, uhost: op.instanceId }, "operation taken over by another runner; stopping");
          return;
        }
        // The failure could not be recorded (the database is unreachable): the operation is
        // dropped from this process, its lease is no longer renewed, and recovery finishes it
        // once the lease lapses.
        log.error({ op: op.id, err: failError }, "could not record the failure; recovery will finish it");
      }
    }
  }
}
