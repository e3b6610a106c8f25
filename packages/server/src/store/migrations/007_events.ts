/**
 * The event log: every state change, operation step, lock change and policy notice, written in
 * the transaction of the change. Ids grow with each event (an identity on PostgreSQL,
 * AUTOINCREMENT on SQLite). On PostgreSQL two transactions may commit out of id order, so a
 * reader delivers ids without a gap, and waits a moment for a gap to fill (events/hub.ts).
 */
import { PostgresAdapter, sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("events")
    .addColumn("id", postgres ? "bigserial" : "integer", (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("events_account").on("events").columns(["account_id", "id"]).execute();
  await db.schema.createIndex("events_created").on("events").column("created_at").execute();
  // The highest id retention has deleted: a reader asking from before it gets `reset`.
  await db.schema
    .createTable("event_log")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("pruned_through", "bigint", (c) => c.notNull())
    .execute();
  await db.insertInto("event_log").values({ id: 1, pruned_through: 0 }).execute();
  if (postgres) {
    // Each new event wakes the replicas' listeners after its commit; the payload is only the id.
    await sql`create function ocs_event_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('ocs_events', new.id::text); return null; end $$`.execute(db);
    await sql`create trigger ocs_event_notify after insert on events for each row execute function ocs_event_notify()`.execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop trigger if exists ocs_event_notify on events`.execute(db);
    await sql`drop function if exists ocs_event_notify()`.execute(db);
  }
  await db.schema.dropTable("event_log").execute();
  await db.schema.dropTable("events").execute();
}
