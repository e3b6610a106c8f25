/**
 * Operation records (`operations`): the one place they are inserted, written under their fence,
 * and listed. What an operation is and does is `operations/`.
 */
import { appendEvent } from "./events.js";
import { prepared } from "../prepared.js";
import type { Executor, OperationRow } from "../schema.js";

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

/** Writes `set` only if `fence` is still the operation's fence and it still runs. Returns whether it did. */
export async function writeFenced(db: Executor, opId: string, fence: number, set: Partial<Omit<OperationRow, "id" | "fence">>): Promise<boolean> {
  const res = await db.updateTable("operations").set(set).where("id", "=", opId).where("fence", "=", fence).where("status", "=", "running").executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A page of an instance's (or a disk's, an image's) operations, newest first, scoped to their owner, and how many in all. */
export async function listOperations(db: Executor, instanceId: string, owner: { accountId: string; projectId: string }, offset: number, limit: number): Promise<{ rows: OperationRow[]; total: number }> {
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
