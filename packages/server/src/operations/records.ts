/** Durable operation records: the audit trail of every accepted action, and the runner's state. */
import { ApiError, type Operation } from "@opencompshare/protocol";
import { appendEvent } from "../store/repositories/events.js";
import { prepared } from "../store/prepared.js";
import type { Executor, OperationRow } from "../store/schema.js";

export type OperationStatus = OperationRow["status"];

/** Raised when an operation's fence moved on: another runner owns it now, so this one stops writing. */
export class StaleFence extends Error {
  constructor(opId: string) {
    super(`operation ${opId}: fencing token is stale; another runner owns it`);
  }
}

/** The list given, if it names every column of an operation row; else it does not compile. */
const everyColumn = <T extends ReadonlyArray<keyof OperationRow>>(columns: [Exclude<keyof OperationRow, T[number]>] extends [never] ? T : never): T => columns;

/** Every column of an operation row, in the order the prepared insert binds them. */
const OPERATION_COLUMNS = everyColumn([
  "id", "instance_id", "account_id", "project_id", "action", "request_id", "source", "requester", "status", "phase", "fence",
  "lock_token", "owner", "lease_expires_at", "params", "checkpoint", "started_at", "ended_at", "error_code", "error_message", "recovered", "epoch",
] as const);

/** Every accepted operation's insert: prepared once. */
const insertRow = prepared(OPERATION_COLUMNS.length, (db, ...values: unknown[]) =>
  db.insertInto("operations").values(Object.fromEntries(OPERATION_COLUMNS.map((c, i) => [c, values[i]])) as unknown as OperationRow),
);

/** Records an accepted operation, reported as `operation.accepted` (or, done as accepted, `policy.notice`). */
export async function insertOperation(db: Executor, row: OperationRow, notice?: { step: string }): Promise<void> {
  await insertRow(db, ...OPERATION_COLUMNS.map((c) => row[c]));
  const data = { OperationId: row.id, Action: row.action, RequestId: row.request_id, ...(notice ? { Step: notice.step } : {}) };
  await appendEvent(db, row.account_id, { kind: notice ? "policy.notice" : "operation.accepted", instanceId: row.instance_id, data, at: Number(row.started_at) });
}

/** Updates the operation only if `fence` is still its fence and it is still running. */
export async function updateFenced(
  db: Executor,
  opId: string,
  fence: number,
  set: Partial<Omit<OperationRow, "id" | "fence">>,
): Promise<void> {
  const res = await db
    .updateTable("operations")
    .set(set)
    .where("id", "=", opId)
    .where("fence", "=", fence)
    .where("status", "=", "running")
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new StaleFence(opId);
}


export async function listOperations(db: Executor, instanceId: string, owner: { accountId: string; projectId: string }, offset: number, limit: number) {
  const base = db
    .selectFrom("operations")
    .where("instance_id", "=", instanceId)
    .where("account_id", "=", owner.accountId)
    .where("project_id", "=", owner.projectId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy("started_at", "desc").orderBy("id", "desc").offset(offset).limit(limit).execute(),
    base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

const STATUS: Record<OperationStatus, Operation["Status"]> = { running: "Running", succeeded: "Succeeded", failed: "Failed" };
const seconds = (ms: number | null): number => (ms === null ? 0 : Math.floor(Number(ms) / 1000));

export function toOperationModel(row: OperationRow): Operation {
  return {
    OperationId: row.id,
    UHostId: row.instance_id,
    Action: row.action,
    Status: STATUS[row.status],
    Phase: row.phase,
    RequestId: row.request_id,
    StartTime: seconds(row.started_at),
    EndTime: seconds(row.ended_at),
    ErrorCode: row.error_code === null ? 0 : Number(row.error_code),
    ErrorMessage: row.error_message,
    Recovered: Number(row.recovered) === 1,
    Source: row.source,
    Requester: row.requester,
  };
}

/** How a failure is recorded: a RetCode and a sentence. */
export function failureOf(error: unknown): { code: number; message: string } {
  if (error instanceof ApiError) return { code: error.retCode, message: error.message };
  if (error instanceof Error) return { code: 8433, message: error.message };
  return { code: 8433, message: String(error) };
}
