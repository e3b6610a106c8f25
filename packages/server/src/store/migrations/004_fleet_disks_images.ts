/**
 * The rest of the API: hosts and their GPUs (placement replaces the per-zone GPU pools), data
 * disks as resources of their own, community images, sharing and favorites, the billing record
 * of an instance, and the per-instance epoch that fences commands down to the host.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("hosts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("zone", "text", (c) => c.notNull())
    .addColumn("gpu_type", "text", (c) => c.notNull())
    .addColumn("cpu_platform", "text", (c) => c.notNull())
    .addColumn("cpus", "integer", (c) => c.notNull())
    .addColumn("memory_mb", "bigint", (c) => c.notNull())
    .addColumn("used_cpus", "integer", (c) => c.notNull())
    .addColumn("used_memory_mb", "bigint", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("token_hash", "text")
    .addColumn("boot_id", "text", (c) => c.notNull())
    .addColumn("accelerator", "text", (c) => c.notNull())
    .addColumn("facts", "text", (c) => c.notNull())
    .addColumn("registered_at", "bigint", (c) => c.notNull())
    .addColumn("last_seen", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("hosts_zone_type").on("hosts").columns(["zone", "gpu_type", "kind"]).execute();

  await db.schema
    .createTable("host_gpus")
    .addColumn("host_id", "text", (c) => c.notNull())
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("idx", "integer", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("healthy", "integer", (c) => c.notNull())
    .addColumn("health", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addPrimaryKeyConstraint("host_gpus_pk", ["host_id", "device"])
    .execute();
  await db.schema.createIndex("host_gpus_instance").on("host_gpus").column("instance_id").execute();

  await db.schema
    .createTable("host_images")
    .addColumn("host_id", "text", (c) => c.notNull())
    .addColumn("image_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("host_images_pk", ["host_id", "image_id"])
    .execute();
  await db.schema.createIndex("host_images_image").on("host_images").column("image_id").execute();

  await db.schema
    .createTable("disks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("zone", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("size_gb", "integer", (c) => c.notNull())
    .addColumn("disk_type", "text", (c) => c.notNull())
    .addColumn("charge_type", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("instance_id", "text")
    .addColumn("device", "text", (c) => c.notNull())
    .addColumn("host_id", "text")
    .addColumn("op_id", "text")
    .addColumn("paid_amount", "real", (c) => c.notNull())
    .addColumn("period_start", "bigint", (c) => c.notNull())
    .addColumn("expire_time", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("disks_project").on("disks").columns(["project_id", "created_at"]).execute();
  await db.schema.createIndex("disks_instance").on("disks").column("instance_id").execute();

  for (const [name, type, fallback] of [
    ["host_id", "text", null],
    ["remark", "text", "''"],
    ["tag", "text", "'Default'"],
    ["security_group_id", "text", "''"],
    ["enable_us3", "integer", "0"],
    ["instance_type", "text", "'UHost'"],
    ["cpu_platform", "text", "''"],
    ["auto_renew", "text", "'No'"],
    ["paid_amount", "real", "0"],
    ["period_start", "bigint", "0"],
    ["ports", "text", "'{}'"],
    ["access", "text", "'{}'"],
    ["monitor", "text", "'{}'"],
  ] as const) {
    await db.schema
      .alterTable("instances")
      .addColumn(name, type, (c) => (fallback === null ? c : c.notNull().defaultTo(sql.raw(fallback))))
      .execute();
  }
  await db.schema.createIndex("instances_host").on("instances").column("host_id").execute();

  // The epoch grows with every operation accepted or taken over on the instance; hosts refuse lower ones.
  await db.schema.alterTable("instance_locks").addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("operations").addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0)).execute();

  for (const [name, type, fallback] of [
    ["group_id", "text", "''"],
    ["source_image_id", "text", "''"],
    ["version_name", "text", "''"],
    ["version_desc", "text", "''"],
    ["author", "text", "''"],
    ["price", "real", "0"],
    ["visibility", "integer", "0"],
    ["cover", "text", "''"],
    ["readme", "text", "''"],
    ["auto_start", "integer", "0"],
    ["supported_gpu_types", "text", "'[]'"],
    ["ports", "text", "'[]'"],
    ["container", "integer", "0"],
    ["is_official", "integer", "0"],
    ["published_at", "bigint", "0"],
    ["updated_at", "bigint", "0"],
    ["host_id", "text", "''"],
  ] as const) {
    await db.schema.alterTable("images").addColumn(name, type, (c) => c.notNull().defaultTo(sql.raw(fallback))).execute();
  }
  await db.schema.createIndex("images_group").on("images").columns(["group_id", "created_at"]).execute();

  await db.schema
    .createTable("community_groups")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("created_count", "integer", (c) => c.notNull())
    .addColumn("use_seconds", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("image_shares")
    .addColumn("image_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("image_shares_pk", ["image_id", "account_id"])
    .execute();
  await db.schema.createIndex("image_shares_account").on("image_shares").column("account_id").execute();

  await db.schema
    .createTable("image_favorites")
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("group_id", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("image_favorites_pk", ["account_id", "group_id"])
    .execute();
  await db.schema.createIndex("image_favorites_group").on("image_favorites").column("group_id").execute();

  // A number per account: CompShare names accounts by integer ids where images are shared.
  await db.schema.alterTable("accounts").addColumn("org_id", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  // 0: the server's default quota (OCS_INSTANCE_QUOTA).
  await db.schema.alterTable("accounts").addColumn("instance_quota", "integer", (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable("accounts").addColumn("net_optimized", "integer", (c) => c.notNull().defaultTo(0)).execute();
  const accounts = await db.selectFrom("accounts").select(["id"]).orderBy("created_at").orderBy("id").execute();
  let next = 10001;
  for (const a of accounts) await db.updateTable("accounts").set({ org_id: next++ }).where("id", "=", a.id).execute();
  await db.schema.createIndex("accounts_org").on("accounts").column("org_id").unique().execute();

  // Data disks of existing instances become disk rows too (the instance's JSON stays the DiskSet it shows).
  const rows = await db.selectFrom("instances").select(["id", "account_id", "project_id", "zone", "disks", "created_at", "charge_type"]).execute();
  for (const row of rows) {
    const disks = JSON.parse(row.disks as string) as Array<{ DiskId: string; IsBoot: boolean; Size: number; Type: string }>;
    const data = disks.filter((d) => !d.IsBoot);
    if (data.length === 0) continue;
    let letter = 1;
    for (const d of data) {
      await db
        .insertInto("disks")
        .values({
          id: d.DiskId,
          account_id: row.account_id,
          project_id: row.project_id,
          zone: row.zone,
          name: `data-${letter}`,
          size_gb: d.Size,
          disk_type: d.Type,
          charge_type: row.charge_type,
          status: "InUse",
          instance_id: row.id,
          device: `/dev/vd${String.fromCharCode(97 + letter++)}`,
          host_id: null,
          op_id: null,
          paid_amount: 0,
          period_start: row.created_at,
          expire_time: 0,
          created_at: row.created_at,
          updated_at: row.created_at,
        })
        .execute();
    }
  }

  await db.schema.dropTable("gpu_pools").execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ["image_favorites", "image_shares", "community_groups", "disks", "host_images", "host_gpus", "hosts"]) {
    await db.schema.dropTable(table).execute();
  }
}
