/** The per-host command queue: driver calls waiting for, or run by, a host agent. */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("host_commands")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("host_id", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addColumn("operation_id", "text")
    .addColumn("epoch", "bigint", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("args", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("error_kind", "text")
    .addColumn("error_message", "text")
    .addColumn("progress", "text")
    .addColumn("deliveries", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("delivered_at", "bigint")
    .addColumn("done_at", "bigint")
    .execute();
  await db.schema.createIndex("host_commands_host_status").on("host_commands").columns(["host_id", "status", "created_at"]).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("host_commands").execute();
}
