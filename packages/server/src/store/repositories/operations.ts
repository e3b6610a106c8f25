/**
 * Operation records (`operations`): the one place they are inserted, written under their fence,
 * listed, taken over (fence, lease, lock) and their leases renewed; and the one query of what no
 * operation covers (instances left transitional with no running operation). What is read leaves
 * as an OperationRecord (numbers as numbers, the 0/1 flag a boolean, params and checkpoint
 * parsed); writes still name the columns. What an operation is and does is `operations/`.
 */
import { sql } from "kysely";
import { appendEvent } from "./events.js";
import { prepared } from "../prepared.js";
import type { Executor, OperationRow, OperationSource } from "../schema.js";

/** An operation as stored: numbers as numbers, the 0/1 flag a boolean, its JSON columns parsed. */
export interface OperationRecord {
  id: string;
  /** The instance it acts on (a resource operation's: the disk or the image). */
  instanceId: string;
  accountId: string;
  projectId: string;
  action: string;
  requestId: string;
  source: OperationSource;
  requester: string;
  status: OperationRow["status"];
  phase: string;
  /** Bumped by each takeover; every write of the runner presents it. */
  fence: number;
  /** The instance lock token held by the operation, or null once released. */
  lockToken: number | null;
  owner: string;
  leaseExpiresAt: number;
  /** Its parameters, as recorded at acceptance. */
  params: unknown;
  /** What the runner recorded before a driver call, so recovery knows what was asked (`{}`: nothing). */
  checkpoint: unknown;
  startedAt: number;
  endedAt: number | null;
  errorCode: number | null;
  errorMessage: string;
  /** Taken over by recovery at least once. */
  recovered: boolean;
  /** The instance epoch this operation (or its latest taker) acts under. */
  epoch: number;
}

export function toOperationRecord(r: OperationRow): OperationRecord {
  return {
    id: r.id,
    instanceId: r.instance_id,
    accountId: r.account_id,
    projectId: r.project_id,
    action: r.action,
    requestId: r.request_id,
    source: r.source,
    requester: r.requester,
    status: r.status,
    phase: r.phase,
    fence: Number(r.fence),
    lockToken: r.lock_token === null ? null : Number(r.lock_token),
    owner: r.owner,
    leaseExpiresAt: Number(r.lease_expires_at),
    params: JSON.parse(r.params) as unknown,
    checkpoint: JSON.parse(r.checkpoint || "{}") as unknown,
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    errorCode: r.error_code === null ? null : Number(r.error_code),
    errorMessage: r.error_message,
    recovered: Number(r.recovered) === 1,
    epoch: Number(r.epoch),
  };
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

/**
 * Records an accepted operation, reported as `operation.accepted` (or, done as accepted,
 * `policy.notice`). Answers the operation as recorded.
 */
export async function insertOperation(db: Executor, row: OperationRow, notice?: { step: string }): Promise<OperationRecord> {
  await insertRow(db, ...OPERATION_COLUMNS.map((c) => row[c]));
  const data = { OperationId: row.id, Action: row.action, RequestId: row.request_id, ...(notice ? { Step: notice.step } : {}) };
  await appendEvent(db, row.account_id, { kind: notice ? "policy.notice" : "operation.accepted", instanceId: row.instance_id, data, at: Number(row.started_at) });
  return toOperationRecord(row);
}

/** Writes `set` only if `fence` is still the operation's fence and it still runs. Returns whether it did. */
export async function writeFenced(db: Executor, opId: string, fence: number, set: Partial<Omit<OperationRow, "id" | "fence">>): Promise<boolean> {
  const res = await db.updateTable("operations").set(set).where("id", "=", opId).where("fence", "=", fence).where("status", "=", "running").executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A page of an instance's (or a disk's, an image's) operations, newest first, scoped to their owner, and how many in all. */
export async function listOperations(db: Executor, instanceId: string, owner: { accountId: string; projectId: string }, offset: number, limit: number): Promise<{ rows: OperationRecord[]; total: number }> {
  const base = db
    .selectFrom("operations")
    .where("instance_id", "=", instanceId)
    .where("account_id", "=", owner.accountId)
    .where("project_id", "=", owner.projectId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy("started_at", "desc").orderBy("id", "desc").offset(offset).limit(limit).execute(),
    base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(toOperationRecord), total: Number(count.n) };
}

/** What an operation ended as (or `running`), and its error message (empty when none). */
export interface OperationOutcome {
  status: OperationRow["status"];
  errorMessage: string;
}

/** The operation's status and error message, or undefined when there is no such operation. */
export async function operationOutcome(db: Executor, opId: string): Promise<OperationOutcome | undefined> {
  const row = await db.selectFrom("operations").select(["status", "error_message"]).where("id", "=", opId).executeTakeFirst();
  return row ? { status: row.status, errorMessage: row.error_message } : undefined;
}

/** Extends to `leaseExpiresAt` the leases of those of `ids` that `owner` runs and that still run. */
export async function renewLeases(db: Executor, ids: readonly string[], owner: string, leaseExpiresAt: number): Promise<void> {
  await db
    .updateTable("operations")
    .set({ lease_expires_at: leaseExpiresAt })
    .where("id", "in", [...ids])
    .where("owner", "=", owner)
    .where("status", "=", "running")
    .execute();
}

/**
 * Running operations whose lease has expired at `now` and, when `notOwnedBy` is given, also those
 * whose owner is not `notOwnedBy` (at most 500).
 */
export async function orphanedOperations(db: Executor, now: number, notOwnedBy?: string): Promise<OperationRecord[]> {
  const rows = await db
    .selectFrom("operations")
    .selectAll()
    .where("status", "=", "running")
    .where((eb) =>
      notOwnedBy !== undefined
        ? eb.or([eb("lease_expires_at", "<=", now), eb("owner", "!=", notOwnedBy)])
        : eb("lease_expires_at", "<=", now),
    )
    .limit(500)
    .execute();
  return rows.map(toOperationRecord);
}

/**
 * Takes over a running operation whose fence is still `fence`: the fence grows, `owner` holds it
 * with a lease to `leaseExpiresAt`, and it is marked recovered. The operation as taken, or
 * undefined when it ended or another taker was first.
 */
export async function takeOverOperation(db: Executor, opId: string, fence: number, owner: string, leaseExpiresAt: number): Promise<OperationRecord | undefined> {
  const row = await db
    .updateTable("operations")
    .set({ fence: sql`fence + 1`, owner, lease_expires_at: leaseExpiresAt, recovered: 1 })
    .where("id", "=", opId)
    .where("fence", "=", fence)
    .where("status", "=", "running")
    .returningAll()
    .executeTakeFirst();
  return row && toOperationRecord(row);
}

/** Records the lock token (null: none) and the instance epoch an operation acts under. */
export async function setOperationLock(db: Executor, opId: string, lockToken: number | null, epoch: number): Promise<void> {
  await db.updateTable("operations").set({ lock_token: lockToken, epoch }).where("id", "=", opId).execute();
}

/** Instances in one of `states` on which no operation is running (at most 500). */
export async function instancesWithoutOperation(db: Executor, states: readonly string[]): Promise<Array<{ id: string; state: string }>> {
  return db
    .selectFrom("instances")
    .select(["id", "state"])
    .where("state", "in", [...states])
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("operations")
            .select("operations.id")
            .whereRef("operations.instance_id", "=", "instances.id")
            .where("operations.status", "=", "running"),
        ),
      ),
    )
    .limit(500)
    .execute();
}
