/** Instance rows: lookups scoped to their owner, listing, and compare-and-set state writes. */
import type { Executor, InstanceRow } from "../schema.js";
import { appendEvent, inTransaction } from "./events.js";

/** The instance, only if it belongs to this account and project. */
export async function findOwnedInstance(db: Executor, id: string, accountId: string, projectId: string): Promise<InstanceRow | undefined> {
  return db
    .selectFrom("instances")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}


export interface ListQuery {
  projectId: string;
  ids?: string[] | undefined;
  zone?: string | undefined;
  tag?: string | undefined;
  offset: number;
  limit: number;
}

/**
 * A page of the project's instances, newest first, and their total. A project belongs to one
 * account (the pipeline resolved it for the caller), so the project scopes the query alone and
 * the (project_id, created_at, id) index serves it. When the page is not full, it tells the total
 * by itself and no count is run.
 */
export async function listInstances(db: Executor, q: ListQuery): Promise<{ rows: InstanceRow[]; total: number }> {
  let base = db.selectFrom("instances").where("project_id", "=", q.projectId);
  if (q.ids && q.ids.length > 0) base = base.where("id", "in", q.ids);
  if (q.zone) base = base.where("zone", "=", q.zone);
  if (q.tag) base = base.where("tag", "=", q.tag);
  const rows = await base.selectAll().orderBy("created_at", "desc").orderBy("id", "desc").offset(q.offset).limit(q.limit).execute();
  if (rows.length < q.limit && (rows.length > 0 || q.offset === 0)) return { rows, total: q.offset + rows.length };
  const count = await base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}

/** Whether a custom image of the instance is being made. */
export async function isImaging(db: Executor, instanceId: string): Promise<boolean> {
  const row = await db
    .selectFrom("images")
    .select("id")
    .where("source_instance_id", "=", instanceId)
    .where("status", "=", "Making")
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Writes `set` only if the instance is in state `from` (when given). Returns whether it did:
 * every state write is a compare-and-set on the expected state. A write of the state is
 * reported as an `instance.state` event, in the same transaction.
 */
export async function casInstance(
  db: Executor,
  id: string,
  from: string | undefined,
  set: Partial<Omit<InstanceRow, "id">>,
): Promise<boolean> {
  const state = set.state;
  if (state === undefined) {
    let q = db.updateTable("instances").set(set).where("id", "=", id);
    if (from !== undefined) q = q.where("state", "=", from);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
  return inTransaction(db, async (tx) => {
    let q = tx.updateTable("instances").set(set).where("id", "=", id);
    if (from !== undefined) q = q.where("state", "=", from);
    const row = await q.returning("account_id").executeTakeFirst();
    if (!row) return false;
    if (from === state) return true;
    const data = from !== undefined && from !== state ? { State: state, PreviousState: from } : { State: state };
    await appendEvent(tx, row.account_id, { kind: "instance.state", instanceId: id, data, at: Number(set.updated_at ?? Date.now()) });
    return true;
  });
}
