/** Durable operation records: the audit trail of every accepted action, and the runner's state. */
import { ApiError, ERRORS, type Operation } from "@opencompshare/protocol";
import { writeFenced, type OperationRecord } from "../store/repositories/operations.js";
import type { Executor, OperationRow } from "../store/schema.js";

export type OperationStatus = OperationRow["status"];

/** Raised when an operation's fence moved on: another runner owns it now, so this one stops writing. */
export class StaleFence extends Error {
  constructor(opId: string) {
    super(`operation ${opId}: fencing token is stale; another runner owns it`);
  }
}

/** Updates the operation only if `fence` is still its fence and it is still running; else StaleFence. */
export async function updateFenced(db: Executor, opId: string, fence: number, set: Partial<Omit<OperationRow, "id" | "fence">>): Promise<void> {
  if (!(await writeFenced(db, opId, fence, set))) throw new StaleFence(opId);
}

const STATUS: Record<OperationStatus, Operation["Status"]> = { running: "Running", succeeded: "Succeeded", failed: "Failed" };
const seconds = (ms: number | null): number => (ms === null ? 0 : Math.floor(ms / 1000));

export function toOperationModel(op: OperationRecord): Operation {
  return {
    OperationId: op.id,
    UHostId: op.instanceId,
    Action: op.action,
    Status: STATUS[op.status],
    Phase: op.phase,
    RequestId: op.requestId,
    StartTime: seconds(op.startedAt),
    EndTime: seconds(op.endedAt),
    ErrorCode: op.errorCode ?? 0,
    ErrorMessage: op.errorMessage,
    Recovered: op.recovered,
    Source: op.source,
    Requester: op.requester,
  };
}

/** How a failure is recorded: a RetCode and a sentence. */
export function failureOf(error: unknown): { code: number; message: string } {
  if (error instanceof ApiError) return { code: error.retCode, message: error.message };
  const code = ERRORS.ServiceError.retCode;
  if (error instanceof Error) return { code, message: error.message };
  return { code, message: String(error) };
}
