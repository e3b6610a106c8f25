/**
 * Indexes the benchmark at a million instances asked for: recovery's "no running operation for
 * this instance", and the stop scheduler's "schedules that are due" (partial: few instances have one).
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.createIndex("operations_instance_status").on("operations").columns(["instance_id", "status"]).execute();
  await db.schema
    .createIndex("instances_stop_scheduler")
    .on("instances")
    .column("stop_scheduler_time")
    .where(sql.ref("stop_scheduler_time"), ">", 0)
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex("instances_stop_scheduler").execute();
  await db.schema.dropIndex("operations_instance_status").execute();
}
