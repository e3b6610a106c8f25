/** The simulated driver's journal: one row per action it starts, to prove nothing ran twice. */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("sim_journal")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("machine_id", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("until", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sim_journal_machine").on("sim_journal").columns(["machine_id", "started_at"]).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("sim_journal").execute();
}
