/**
 * Operations on a resource of their own rather than on an instance: a detached disk (resize,
 * delete) and a custom image (delete). There is no instance and so no instance lock: the
 * resource's status, moved by compare-and-set to a transitional one (`Resizing`, `Deleting`) in
 * the transaction that records the operation, keeps every other change out until the operation
 * ends, and the operation's fence guards each later write. The record's instance column holds the
 * resource's id, so the operation's history and events are the resource's.
 *
 * Their actions answered when the driver had done the work, before they were operations; they
 * still do: the handler waits for the operation, which runs (and is recovered) like any other.
 */
import type { Tx } from "../store/schema.js";
import { newOperationRow, type Caller, type Engine } from "./engine.js";
import { newOperationId } from "./operation-id.js";
import type { OperationAction } from "./procedures/index.js";
import { insertOperation, operationOutcome } from "../store/repositories/operations.js";

export interface ResourceOperation {
  action: OperationAction;
  caller: Caller;
  /** The disk's or image's id: recorded as the operation's instance. */
  resourceId: string;
  params: object;
  /**
   * The transitional write, in the acceptance transaction, by compare-and-set; it names the
   * operation on the resource. Throw an ApiError to refuse: then nothing is recorded.
   */
  enter: (tx: Tx, opId: string, now: number) => Promise<void>;
}

/**
 * An operation that failed, answered as the failed driver call was before it was an operation:
 * an internal error (8433), after the procedure's failure path has put the resource back.
 */
export class ResourceOperationFailed extends Error {
  constructor(opId: string, message: string) {
    super(`operation ${opId} failed: ${message}`);
  }
}

/** Accepts the operation (the transitional state and its record in one transaction) and launches it. */
export async function acceptOnResource(engine: Engine, input: ResourceOperation): Promise<string> {
  const { db, clock } = engine.deps;
  const op = await db.transaction().execute(async (tx) => {
    const now = clock.now();
    const id = newOperationId();
    await input.enter(tx, id, now);
    const row = newOperationRow(engine.deps, { id, instanceId: input.resourceId, action: input.action, caller: input.caller, lockToken: null, epoch: 0, params: input.params, now });
    return insertOperation(tx, row);
  });
  engine.runner.launch(op, 0);
  return op.id;
}

/**
 * Accepts the operation and waits for this process's run of it to end: throws its failure. The
 * driver call's own deadline bounds the wait. An operation still running when the run stops
 * (this process is shutting down) is answered as accepted: recovery ends it after the restart.
 */
export async function runOnResource(engine: Engine, input: ResourceOperation): Promise<string> {
  const opId = await acceptOnResource(engine, input);
  await engine.runner.settled(opId);
  const outcome = await operationOutcome(engine.deps.db, opId);
  if (outcome?.status === "failed") throw new ResourceOperationFailed(opId, outcome.errorMessage);
  return opId;
}
