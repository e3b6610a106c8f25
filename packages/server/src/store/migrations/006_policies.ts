/**
 * The lifecycle policies: each account's balance and its ledger (hourly orders, renewals,
 * top-ups), the arrears and billing marks of an instance, the step its reclaim timeline has
 * reached, and no-GPU mode.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("balance_cents", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  for (const [name, type, fallback] of [
    ["billed_until", "bigint", "0"],
    ["arrears_since", "bigint", "0"],
    ["policy_key", "text", "''"],
    ["policy_step", "text", "''"],
    ["without_gpu", "integer", "0"],
    ["machine_without_gpu", "integer", "0"],
    ["no_gpu_slot", "text", null],
  ] as const) {
    await db.schema
      .alterTable("instances")
      .addColumn(name, type, (c) => (fallback === null ? c : c.notNull().defaultTo(sql.raw(fallback))))
      .execute();
  }
  // At most one instance of an account started in no-GPU mode: the database itself says no to a second.
  await db.schema.createIndex("instances_no_gpu_slot").on("instances").column("no_gpu_slot").unique().execute();
  await db.schema.createIndex("instances_arrears").on("instances").column("arrears_since").execute();
  await db.schema.createIndex("instances_expire").on("instances").column("expire_time").execute();

  await db.schema
    .createTable("ledger")
    // Deterministic ids (`hour:<instance>:<start>`, `renew:<instance>:<expiry>`): two replicas
    // that bill the same hour write the same row, and the second insert does nothing.
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("amount_cents", "bigint", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("period_start", "bigint", (c) => c.notNull())
    .addColumn("period_end", "bigint", (c) => c.notNull())
    .addColumn("balance_after_cents", "bigint", (c) => c.notNull())
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("paid_at", "bigint")
    .execute();
  await db.schema.createIndex("ledger_account_status").on("ledger").columns(["account_id", "status", "created_at"]).execute();
  await db.schema.createIndex("ledger_instance").on("ledger").columns(["instance_id", "status"]).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("ledger").execute();
  for (const index of ["instances_no_gpu_slot", "instances_arrears", "instances_expire"]) await db.schema.dropIndex(index).execute();
  for (const name of ["billed_until", "arrears_since", "policy_key", "policy_step", "without_gpu", "machine_without_gpu", "no_gpu_slot"]) {
    await db.schema.alterTable("instances").dropColumn(name).execute();
  }
  await db.schema.alterTable("accounts").dropColumn("balance_cents").execute();
}
