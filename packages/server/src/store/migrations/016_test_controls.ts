/**
 * The test controls (controls/, docs/testing.md):
 * - the simulated driver's `sim_faults` become `machine_faults`, armed over the wire and applied by
 *   every driver (a real host's agent too), with what a test armed them for (`times`, `message`)
 *   and when;
 * - a host command carries the fault it was caught by, for the agent to apply before it acts;
 * - `testing_clock`: how far AdvanceCompShareClock has moved the server's clock, one row that every
 *   replica reads;
 * - `testing_snapshots`: the snapshots saved, which outlive a restore or a reset.
 */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("sim_faults").renameTo("machine_faults").execute();
  await db.schema.alterTable("machine_faults").addColumn("times", "integer", (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable("machine_faults").addColumn("message", "text", (c) => c.notNull().defaultTo("")).execute();
  await db.schema.alterTable("machine_faults").addColumn("created_at", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("host_commands").addColumn("fault", "text").execute();
  await db.schema
    .createTable("testing_clock")
    .addColumn("id", "integer", (c) => c.primaryKey())
    .addColumn("offset_ms", "bigint", (c) => c.notNull())
    .execute();
  await db.insertInto("testing_clock").values({ id: 1, offset_ms: 0 }).execute();
  await db.schema
    .createTable("testing_snapshots")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("testing_snapshots").execute();
  await db.schema.dropTable("testing_clock").execute();
  await db.schema.alterTable("host_commands").dropColumn("fault").execute();
  await db.schema.alterTable("machine_faults").dropColumn("created_at").execute();
  await db.schema.alterTable("machine_faults").dropColumn("message").execute();
  await db.schema.alterTable("machine_faults").dropColumn("times").execute();
  await db.schema.alterTable("machine_faults").renameTo("sim_faults").execute();
}
