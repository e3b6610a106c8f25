/** The first schema. Portable SQL: the same migration runs on SQLite and PostgreSQL. */
import type { Kysely } from "kysely";

// Migrations must not depend on the current Database type: it changes as they pile up.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("projects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("is_default", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("projects_account").on("projects").column("account_id").execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("public_key", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("private_key_sealed", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("instances")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("zone", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("cpu", "integer", (c) => c.notNull())
    .addColumn("memory", "integer", (c) => c.notNull())
    .addColumn("gpu", "integer", (c) => c.notNull())
    .addColumn("gpu_type", "text", (c) => c.notNull())
    .addColumn("machine_type", "text", (c) => c.notNull())
    .addColumn("image_id", "text", (c) => c.notNull())
    .addColumn("charge_type", "text", (c) => c.notNull())
    .addColumn("login_mode", "text", (c) => c.notNull())
    .addColumn("disks", "text", (c) => c.notNull())
    .addColumn("password_sealed", "text", (c) => c.notNull())
    .addColumn("recycling", "integer", (c) => c.notNull())
    .addColumn("task", "text")
    .addColumn("task_op_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("start_time", "bigint", (c) => c.notNull())
    .addColumn("stop_time", "bigint", (c) => c.notNull())
    .addColumn("stop_scheduler_time", "bigint", (c) => c.notNull())
    .addColumn("expire_time", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("instances_project_created")
    .on("instances")
    .columns(["project_id", "created_at", "id"])
    .execute();
  await db.schema.createIndex("instances_state").on("instances").column("state").execute();

  await db.schema
    .createTable("instance_locks")
    .addColumn("instance_id", "text", (c) => c.primaryKey())
    .addColumn("holder_op_id", "text")
    .addColumn("token", "bigint", (c) => c.notNull())
    .addColumn("acquired_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("operations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("request_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("fence", "bigint", (c) => c.notNull())
    .addColumn("lock_token", "bigint")
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("lease_expires_at", "bigint", (c) => c.notNull())
    .addColumn("params", "text", (c) => c.notNull())
    .addColumn("checkpoint", "text", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .addColumn("error_code", "integer")
    .addColumn("error_message", "text", (c) => c.notNull())
    .addColumn("recovered", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("operations_instance").on("operations").columns(["instance_id", "started_at"]).execute();
  await db.schema.createIndex("operations_status_lease").on("operations").columns(["status", "lease_expires_at"]).execute();

  await db.schema
    .createTable("images")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text")
    .addColumn("project_id", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("source_instance_id", "text")
    .addColumn("op_id", "text")
    .addColumn("gpu_type", "text", (c) => c.notNull())
    .addColumn("os_name", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("softwares", "text", (c) => c.notNull())
    .addColumn("tags", "text", (c) => c.notNull())
    .addColumn("progress", "real", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("ready_at", "bigint", (c) => c.notNull())
    .addColumn("failed_reason", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("images_source").on("images").columns(["source_instance_id", "status"]).execute();
  await db.schema.createIndex("images_project").on("images").columns(["project_id", "created_at"]).execute();

  await db.schema
    .createTable("gpu_pools")
    .addColumn("zone", "text", (c) => c.notNull())
    .addColumn("gpu_type", "text", (c) => c.notNull())
    .addColumn("machine_type", "text", (c) => c.notNull())
    .addColumn("capacity", "integer", (c) => c.notNull())
    .addColumn("used", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("gpu_pools_pk", ["zone", "gpu_type"])
    .execute();

  await db.schema
    .createTable("sim_machines")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("power", "text", (c) => c.notNull())
    .addColumn("action", "text")
    .addColumn("action_until", "bigint", (c) => c.notNull())
    .addColumn("boot_count", "integer", (c) => c.notNull())
    .addColumn("spec", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sim_images")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ready_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sim_faults")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addColumn("mode", "text", (c) => c.notNull())
    .addColumn("remaining", "integer", (c) => c.notNull())
    .addColumn("delay_ms", "integer", (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    "sim_faults",
    "sim_images",
    "sim_machines",
    "gpu_pools",
    "images",
    "operations",
    "instance_locks",
    "instances",
    "api_keys",
    "projects",
    "accounts",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
