/**
 * Acceptance: the one transaction that decides whether an operation may begin. It finds the
 * caller's instance, applies the guard, takes the lock by compare-and-set, writes the entering
 * state (compare-and-set on the expected state), and records the operation. Then the runner
 * takes over. Either all of it happens or none of it does.
 */
import { ApiError, RULES, type MutatingAction } from "@opencompshare/protocol";
import { check, lockHeldError } from "../domain/guard.js";
import { appendEvent } from "../store/repositories/events.js";
import { casInstance, guardFields, guardSnapshot, insertInstance, type GuardInstance, type InstanceRecord } from "../store/repositories/instances.js";
import type { Executor, InstanceRow, OperationRow, OperationSource, Tx } from "../store/schema.js";
import type { RunnerDeps } from "./context.js";
import { acquireLock, createLock, heldLock } from "./lock.js";
import { newOperationId } from "./operation-id.js";
import { insertOperation, type OperationRecord } from "../store/repositories/operations.js";
import type { Runner } from "./runner.js";
import type { OperationAction } from "./procedures/index.js";

export interface Caller {
  accountId: string;
  projectId: string;
  requestId: string;
  /** Where the request came from, and who made it (recorded with each operation it starts). */
  source: OperationSource;
  requester: string;
}

export interface Prepared {
  instance?: Partial<InstanceRow>;
  params?: object;
}

export interface AcceptInput {
  /** The action; its rule (allowed states, what it enters) comes from the rule table. */
  action: MutatingAction;
  caller: Caller;
  instanceId: string;
  /** Recorded with the operation; seal secrets before they get here. */
  params?: object;
  /**
   * Extra checks and writes inside the acceptance transaction, after the guard and the lock.
   * Throw an ApiError to refuse; return instance fields to write with the entering state, and
   * parameters to record (they replace `params`).
   */
  prepare?: (tx: Tx, instance: InstanceRecord, opId: string, now: number) => Promise<Prepared | void>;
}

const notFound = (id: string) => new ApiError("InstanceNotFound", `instance ${id} does not exist`);


export function newOperationRow(deps: RunnerDeps, fields: {
  id: string;
  instanceId: string;
  action: string;
  caller: Caller;
  lockToken: number | null;
  epoch: number;
  params: object;
  now: number;
}): OperationRow {
  return {
    id: fields.id,
    instance_id: fields.instanceId,
    account_id: fields.caller.accountId,
    project_id: fields.caller.projectId,
    action: fields.action,
    request_id: fields.caller.requestId,
    source: fields.caller.source,
    requester: fields.caller.requester,
    status: "running",
    phase: "accepted",
    fence: fields.lockToken ?? 1,
    lock_token: fields.lockToken,
    owner: deps.owner,
    lease_expires_at: fields.now + deps.leaseMs,
    params: JSON.stringify(fields.params),
    checkpoint: "{}",
    started_at: fields.now,
    ended_at: null,
    error_code: null,
    error_message: "",
    recovered: 0,
    epoch: fields.epoch,
  };
}

export class Engine {
  constructor(
    readonly deps: RunnerDeps,
    readonly runner: Runner,
  ) {}

  /**
   * The caller's instance, if the guard lets the action begin now; else the refusal is thrown.
   * The whole record is read only when `full` (an action's `prepare` needs it); else the guard's fields.
   */
  private async guard(db: Executor, input: AcceptInput, now: number, full: true): Promise<InstanceRecord>;
  private async guard(db: Executor, input: AcceptInput, now: number, full: boolean): Promise<GuardInstance>;
  private async guard(db: Executor, input: AcceptInput, now: number, full: boolean): Promise<GuardInstance> {
    const { caller, instanceId } = input;
    const snapshot = full
      ? await guardSnapshot(db, instanceId, caller.accountId, caller.projectId)
      : await guardFields(db, instanceId, caller.accountId, caller.projectId);
    if (!snapshot) throw notFound(instanceId);
    const { instance: inst, lock } = snapshot;
    const refusal = check(input.action, RULES[input.action], {
      id: inst.id,
      state: inst.state,
      recycling: inst.recycling,
      task: inst.task,
      imaging: snapshot.imaging,
      lock: lock?.holderOpId && lock.expiresAt > now ? { holderOpId: lock.holderOpId, holderAction: lock.holderAction ?? "an operation", expiresAt: lock.expiresAt } : null,
    });
    if (refusal) throw refusal;
    return inst;
  }

  /** Accepts an operation on an existing instance and launches it. Returns the operation id. */
  async accept(input: AcceptInput): Promise<string> {
    const { db, clock, lockTtlMs } = this.deps;
    const { caller, instanceId } = input;
    const rule = RULES[input.action];
    const opId = newOperationId();
    // A first look outside any transaction: most refusals (a duplicate reboot) end here, without
    // taking the database's write lock. The transaction below checks again before it writes.
    await this.guard(db, input, clock.now(), false);
    // An agent host silent past its lease cannot be reached: refused now, rather than an instance
    // left transitional and then unknown (Nova refuses actions on a down compute service too).
    await this.deps.fleet.assertHostReporting(db, instanceId, clock.now());
    const accepted = await db.transaction().execute(async (tx) => {
      const now = clock.now();
      // The whole record when `prepare` reads it; else the guard's fields.
      const full = input.prepare ? await this.guard(tx, input, now, true) : undefined;
      const inst = full ?? (await this.guard(tx, input, now, false));
      const taken = await acquireLock(tx, inst.id, opId, now, lockTtlMs);
      if (taken === null) {
        const lock = await heldLock(tx, inst.id, now);
        throw lock ? lockHeldError(inst.id, lock) : notFound(instanceId);
      }
      const prepared = (full && input.prepare ? await input.prepare(tx, full, opId, now) : undefined) ?? {};
      const entered = await casInstance(tx, inst.id, inst.state, {
        ...prepared.instance,
        ...(rule.enter !== undefined ? { state: rule.enter } : {}),
        ...(rule.task ? { task: rule.task, task_op_id: opId } : {}),
        ...(rule.recycles ? { recycling: 1 } : {}),
        updated_at: now,
      });
      if (!entered) throw new ApiError("InstanceOperationInProgress", `instance ${inst.id} changed while the request was checked; retry`);
      const op = newOperationRow(this.deps, {
        id: opId,
        instanceId: inst.id,
        action: input.action,
        caller,
        lockToken: taken.token,
        epoch: taken.epoch,
        params: prepared.params ?? input.params ?? {},
        now,
      });
      return { op: await insertOperation(tx, op), lockExpiresAt: now + lockTtlMs };
    });
    this.runner.launch(accepted.op, accepted.lockExpiresAt);
    return opId;
  }

  /**
   * Records an operation that is done as it is accepted (a policy's notice): no lock, no runner.
   * `claim` runs first in the same transaction; when it returns false nothing is recorded.
   */
  async note(input: {
    action: string;
    caller: Caller;
    instanceId: string;
    /** The policy's step, reported in the `policy.notice` event. */
    step: string;
    params: object;
    claim: (tx: Tx, now: number) => Promise<boolean>;
  }): Promise<string | undefined> {
    const { db, clock } = this.deps;
    return db.transaction().execute(async (tx) => {
      const now = clock.now();
      if (!(await input.claim(tx, now))) return undefined;
      const op = newOperationRow(this.deps, {
        id: newOperationId(),
        instanceId: input.instanceId,
        action: input.action,
        caller: input.caller,
        lockToken: null,
        epoch: 0,
        params: input.params,
        now,
      });
      await insertOperation(tx, { ...op, status: "succeeded", phase: "done", ended_at: now }, { step: input.step });
      return op.id;
    });
  }

  /**
   * Accepts the creation of new instances: `build` checks and reserves (GPUs, image) inside the
   * transaction and returns the rows; each gets its lock and its operation. All or nothing, so
   * a refused Create has created nothing and may be retried safely.
   */
  async acceptNew(input: {
    action: OperationAction;
    caller: Caller;
    build: (tx: Tx, now: number) => Promise<Array<{ row: InstanceRow; params: object }>>;
  }): Promise<string[]> {
    const { db, clock, lockTtlMs } = this.deps;
    const accepted = await db.transaction().execute(async (tx) => {
      const now = clock.now();
      const built = await input.build(tx, now);
      const ops: OperationRecord[] = [];
      for (const { row, params } of built) {
        await insertInstance(tx, row);
        await appendEvent(tx, row.account_id, { kind: "instance.created", instanceId: row.id, data: { State: row.state }, at: now });
        await createLock(tx, row.id);
        const opId = newOperationId();
        const taken = await acquireLock(tx, row.id, opId, now, lockTtlMs);
        const op = newOperationRow(this.deps, {
          id: opId,
          instanceId: row.id,
          action: input.action,
          caller: input.caller,
          lockToken: taken?.token ?? null,
          epoch: taken?.epoch ?? 0,
          params,
          now,
        });
        ops.push(await insertOperation(tx, op));
      }
      return { ops, lockExpiresAt: now + lockTtlMs };
    });
    for (const op of accepted.ops) this.runner.launch(op, accepted.lockExpiresAt);
    return accepted.ops.map((op) => op.instanceId);
  }
}
