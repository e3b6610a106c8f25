/**
 * Per-account webhooks on the event log, and the log of their delivery attempts.
 *
 * A webhook's `cursor` is the id of the last event it has been given (or passed over: another
 * account's, a kind it does not want); it moves only after the receiver answered 2xx. One
 * replica delivers a webhook at a time: it holds the lease (`lease_owner`, `lease_until`),
 * taken by compare-and-set. The attempts log is bounded (events/webhooks.ts prunes it).
 */
import { PostgresAdapter, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable("webhooks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    // JSON list of event kinds; empty: every kind.
    .addColumn("kinds", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("active"))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("cursor", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_status", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("last_attempt_at", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("webhooks_account").on("webhooks").columns(["account_id", "created_at"]).execute();
  await db.schema.createIndex("webhooks_due").on("webhooks").columns(["status", "next_attempt_at"]).execute();
  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", postgres ? "bigserial" : "integer", (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn("webhook_id", "text", (c) => c.notNull())
    .addColumn("event_id", "bigint", (c) => c.notNull())
    // `delivered`, `failed`, or `reset` (the cursor skipped past retention).
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("status_code", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("duration_ms", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("webhook_deliveries_webhook").on("webhook_deliveries").columns(["webhook_id", "id"]).execute();
  await db.schema.createIndex("webhook_deliveries_at").on("webhook_deliveries").column("at").execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("webhook_deliveries").execute();
  await db.schema.dropTable("webhooks").execute();
}
