/**
 * Recovery: at start-up and periodically, takes over operations whose runner died (lease
 * expired, or, when this process owns the data exclusively, any other owner) and resumes them,
 * and puts instances that sit in a transitional or unknown state with no operation in the state
 * the driver reports. No instance stays in a transitional state past the lock's TTL. Detached
 * disks and custom images in a transitional status with no operation are settled by
 * resource-recovery.ts.
 */
import { State, TRANSITIONAL } from "@opencompshare/protocol";
import { casInstance } from "../store/repositories/instances.js";
import { appendEvent } from "../store/repositories/events.js";
import { instancesWithoutOperation, orphanedOperations, setOperationLock, takeOverOperation, type OperationRecord } from "../store/repositories/operations.js";
import type { Tx } from "../store/schema.js";
import type { RunnerDeps } from "./context.js";
import { advanceEpoch, retakeLock } from "./lock.js";
import { stateOf } from "./procedures/index.js";
import { reconcileResources } from "./resource-recovery.js";
import type { Runner } from "./runner.js";

/** Reports the takeover of an operation, in the transaction that took it over. */
async function reportResumed(tx: Tx, op: OperationRecord, now: number): Promise<void> {
  await appendEvent(tx, op.accountId, { kind: "operation.resumed", instanceId: op.instanceId, data: { OperationId: op.id, Action: op.action, Phase: op.phase }, at: now });
}

export interface RecoveryReport {
  resumed: number;
  reconciled: number;
}

export class Recovery {
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: RunnerDeps,
    private readonly runner: Runner,
    /** True when no other process uses this database (embedded SQLite): orphans need no lease expiry. */
    private readonly exclusive: boolean,
  ) {}

  /** One pass. Safe to run concurrently with itself and on several replicas. */
  async pass(): Promise<RecoveryReport> {
    const resumed = await this.resumeOrphans();
    const reconciled = (await this.reconcileStuck()) + (await reconcileResources(this.deps));
    return { resumed, reconciled };
  }

  start(intervalMs: number): void {
    const signal = this.stopping.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.deps.clock.sleep(intervalMs, signal);
        } catch {
          return;
        }
        await this.pass().catch((error: unknown) => this.deps.log.error({ err: error }, "recovery pass failed"));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async resumeOrphans(): Promise<number> {
    const { db, clock, owner, leaseMs, lockTtlMs, log } = this.deps;
    const now = clock.now();
    // Exclusive: an operation another owner ran is orphaned whatever its lease says.
    const orphans = await orphanedOperations(db, now, this.exclusive ? owner : undefined);
    let resumed = 0;
    for (const op of orphans) {
      if (this.runner.isRunning(op.id)) continue;
      const claimed = await db.transaction().execute(async (tx) => {
        const taken = await takeOverOperation(tx, op.id, op.fence, owner, now + leaseMs);
        if (!taken) return null;
        // Either way the epoch moves on: the host refuses whatever the dead runner still sends.
        const retaken = taken.lockToken === null ? null : await retakeLock(tx, taken.instanceId, taken.id, now, lockTtlMs);
        if (retaken === null) {
          // No lock held, or another operation holds it legitimately: continue without it.
          const epoch = await advanceEpoch(tx, taken.instanceId);
          await setOperationLock(tx, taken.id, null, epoch);
          await reportResumed(tx, taken, now);
          return { op: { ...taken, lockToken: null, epoch }, lockExpiresAt: 0 };
        }
        await setOperationLock(tx, taken.id, retaken.token, retaken.epoch);
        await reportResumed(tx, taken, now);
        return { op: { ...taken, lockToken: retaken.token, epoch: retaken.epoch }, lockExpiresAt: now + lockTtlMs };
      });
      if (!claimed) continue;
      resumed++;
      this.deps.metrics.takeover();
      log.warn({ op: op.id, uhost: op.instanceId, action: op.action, phase: op.phase, previousOwner: op.owner }, "resuming orphaned operation");
      this.runner.launch(claimed.op, claimed.lockExpiresAt);
    }
    return resumed;
  }

  private async reconcileStuck(): Promise<number> {
    const { db, clock, driver, log } = this.deps;
    const stuck = await instancesWithoutOperation(db, [...TRANSITIONAL, State.Unknown]);
    let reconciled = 0;
    for (const inst of stuck) {
      const state = await driver.status(inst.id, { signal: AbortSignal.timeout(10_000) }).then(stateOf, () => State.Unknown);
      // Unknown stays unknown until the driver can tell (it may still be busy).
      if (state === inst.state) continue;
      if (await casInstance(db, inst.id, inst.state, { state, updated_at: clock.now() })) {
        reconciled++;
        log.warn({ uhost: inst.id, from: inst.state, to: state }, "reconciled an instance left in a transitional state");
      }
    }
    return reconciled;
  }
}
