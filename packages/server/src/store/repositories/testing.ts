/**
 * The test controls' own rows: the clock's offset (`testing_clock`, one row) and the snapshots'
 * list (`testing_snapshots`). The faults are repositories/faults.ts's.
 */
import { sql } from "kysely";
import type { Executor } from "../schema.js";

export async function clockOffset(db: Executor): Promise<number> {
  const row = await db.selectFrom("testing_clock").select("offset_ms").where("id", "=", 1).executeTakeFirst();
  return Number(row?.offset_ms ?? 0);
}

/** Adds `ms` to the offset in one statement (two replicas advancing at once both count); answers the new offset. */
export async function addClockOffset(db: Executor, ms: number): Promise<number> {
  const row = await db
    .updateTable("testing_clock")
    .set({ offset_ms: sql<number>`offset_ms + ${ms}` })
    .where("id", "=", 1)
    .returning("offset_ms")
    .executeTakeFirstOrThrow();
  return Number(row.offset_ms);
}

export async function setClockOffset(db: Executor, ms: number): Promise<void> {
  await db.updateTable("testing_clock").set({ offset_ms: ms }).where("id", "=", 1).execute();
}

export interface SnapshotRecord {
  name: string;
  createdAt: number;
  size: number;
}

export async function snapshotsSaved(db: Executor): Promise<SnapshotRecord[]> {
  const rows = await db.selectFrom("testing_snapshots").selectAll().orderBy("created_at").orderBy("name").execute();
  return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at), size: Number(r.size) }));
}

export async function snapshotSaved(db: Executor, name: string): Promise<SnapshotRecord | undefined> {
  const r = await db.selectFrom("testing_snapshots").selectAll().where("name", "=", name).executeTakeFirst();
  return r ? { name: r.name, createdAt: Number(r.created_at), size: Number(r.size) } : undefined;
}

export async function recordSnapshot(db: Executor, s: SnapshotRecord): Promise<void> {
  await db
    .insertInto("testing_snapshots")
    .values({ name: s.name, created_at: s.createdAt, size: s.size })
    .onConflict((oc) => oc.column("name").doUpdateSet({ created_at: s.createdAt, size: s.size }))
    .execute();
}

export async function forgetSnapshot(db: Executor, name: string): Promise<void> {
  await db.deleteFrom("testing_snapshots").where("name", "=", name).execute();
}

/** Operations still running (up to `limit`), oldest first: what a snapshot, a restore or a reset waits for. */
export async function operationsInFlight(db: Executor, limit = 5): Promise<Array<{ id: string; action: string; instanceId: string | null }>> {
  const rows = await db.selectFrom("operations").select(["id", "action", "instance_id"]).where("status", "=", "running").orderBy("started_at").limit(limit).execute();
  return rows.map((r) => ({ id: r.id, action: r.action, instanceId: r.instance_id }));
}
