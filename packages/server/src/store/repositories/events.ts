/**
 * Event rows: appended in the transaction of the change they report, read in id order (as
 * records: the id a number, the details parsed), pruned past retention. Readers and the fan-out
 * are in events/; this file only speaks SQL.
 */
import type { EventKind, InstanceEvent } from "@opencompshare/protocol";
import { sql } from "kysely";
import { prepared } from "../prepared.js";
import type { Db, EventRow, Executor } from "../schema.js";

/** The details of an event: the InstanceEvent fields past the common ones. */
export type EventData = Omit<InstanceEvent, "EventId" | "Kind" | "UHostId" | "Time">;

export interface NewEvent {
  kind: EventKind;
  instanceId: string;
  data: EventData;
  at: number;
}

/** Appends an event of an account's instance. */
export async function appendEvent(db: Executor, accountId: string, e: NewEvent): Promise<void> {
  await insertEvent(db, accountId, e.instanceId, e.kind, JSON.stringify(e.data), e.at);
}

/** Every change writes one or more: prepared once. */
const insertEvent = prepared(5, (db, accountId: string, instanceId: string, kind: string, data: string, at: number) =>
  db.insertInto("events").values({ account_id: accountId, instance_id: instanceId, kind, data, created_at: at }),
);

/** Appends an event of an instance, its account read from the instance row in the same statement. */
export async function appendInstanceEvent(db: Executor, e: NewEvent): Promise<void> {
  await insertInstanceEvent(db, e.instanceId, e.kind, JSON.stringify(e.data), e.at);
}

const insertInstanceEvent = prepared(4, (db, instanceId: string, kind: string, data: string, at: number) =>
  db
    .insertInto("events")
    .columns(["account_id", "instance_id", "kind", "data", "created_at"])
    .expression(
      db
        .selectFrom("instances")
        .select([
          "account_id",
          sql<string>`cast(${instanceId} as text)`.as("instance_id"),
          sql<string>`cast(${kind} as text)`.as("kind"),
          sql<string>`cast(${data} as text)`.as("data"),
          sql<number>`cast(${at} as bigint)`.as("created_at"),
        ])
        .where("id", "=", instanceId),
    ),
);

/** Runs `work` in a transaction: the one given, or a new one. */
export function inTransaction<T>(db: Executor, work: (tx: Executor) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** An event as stored: its id a number, its details parsed. */
export interface EventRecord {
  id: number;
  accountId: string;
  /** The instance (or disk, image) it is about; null when none. */
  instanceId: string | null;
  kind: EventKind;
  data: EventData;
  createdAt: number;
}

export function toEventRecord(r: EventRow): EventRecord {
  return {
    id: Number(r.id),
    accountId: r.account_id,
    instanceId: r.instance_id,
    kind: r.kind as EventKind,
    data: JSON.parse(r.data) as EventData,
    createdAt: Number(r.created_at),
  };
}

/** The event as streams and webhooks give it. */
export function toEvent(e: EventRecord): InstanceEvent {
  return {
    EventId: e.id,
    Kind: e.kind,
    UHostId: e.instanceId ?? "",
    Time: Math.floor(e.createdAt / 1000),
    ...e.data,
  };
}

/** Every account's events after `after`, in id order. */
export async function eventsAfter(db: Db, after: number, limit: number): Promise<EventRecord[]> {
  const rows = await db.selectFrom("events").selectAll().where("id", ">", after).orderBy("id").limit(limit).execute();
  return rows.map(toEventRecord);
}

/** One account's events in (after, through], in id order. */
export async function accountEvents(db: Db, accountId: string, after: number, through: number, limit: number): Promise<EventRecord[]> {
  const rows = await db
    .selectFrom("events")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("id", ">", after)
    .where("id", "<=", through)
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map(toEventRecord);
}

/** The highest event id written so far (0 when none). */
export async function lastEventId(db: Db): Promise<number> {
  const row = await db.selectFrom("events").select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
  const pruned = await prunedThrough(db);
  return Math.max(Number(row?.id ?? 0), pruned);
}

/** The highest id retention has deleted: a position before it cannot be resumed. */
export async function prunedThrough(db: Db): Promise<number> {
  const row = await db.selectFrom("event_log").select("pruned_through").where("id", "=", 1).executeTakeFirst();
  return Number(row?.pruned_through ?? 0);
}

/**
 * Deletes, oldest first, at most `batch` events older than `cutoff`, and moves the pruned mark
 * past them. Returns how many it deleted.
 */
export async function pruneEvents(db: Db, cutoff: number, batch: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const nth = await tx
      .selectFrom("events")
      .select("id")
      .where("created_at", "<", cutoff)
      .orderBy("id")
      .offset(batch - 1)
      .limit(1)
      .executeTakeFirst();
    const newest = nth ?? (await tx.selectFrom("events").select((eb) => eb.fn.max("id").as("id")).where("created_at", "<", cutoff).executeTakeFirst());
    const through = Number(newest?.id ?? 0);
    if (through === 0) return 0;
    const res = await tx.deleteFrom("events").where("id", "<=", through).executeTakeFirst();
    await tx
      .updateTable("event_log")
      .set({ pruned_through: sql`case when pruned_through < ${through} then ${through} else pruned_through end` })
      .where("id", "=", 1)
      .execute();
    return Number(res.numDeletedRows);
  });
}

/**
 * PostgreSQL: ids are taken when a row is inserted and become visible when its transaction
 * commits, so a reader may see id 12 before id 11. This takes a new transaction id now (the
 * statement's own): every transaction that wrote before has a lower one. Once all transactions
 * below it have ended (xidsEnded), a missing id that was taken before will never appear: it
 * was rolled back. Every event is inserted after its transaction's first write, so a
 * transaction holding an id already has its transaction id.
 *
 * (A snapshot's xmax would not do: it is one past the latest *completed* transaction, and a
 * transaction still in flight above it is not listed.)
 */
export async function xidNow(db: Db): Promise<string> {
  const row = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(db);
  return row.rows[0]?.xid ?? "0";
}

export async function xidsEnded(db: Db, xid: string): Promise<boolean> {
  const row = await sql<{ ended: boolean }>`select pg_snapshot_xmin(pg_current_snapshot()) > ${xid}::xid8 as ended`.execute(db);
  return row.rows[0]?.ended === true;
}
