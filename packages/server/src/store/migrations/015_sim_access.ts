/**
 * The simulated fleet's access to its machines: the public address each machine holds (unique,
 * so no two machines share one, whichever replica made them) and the login its image gives. A
 * machine keeps its row for its life; the row goes when the machine does.
 */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("sim_access")
    .addColumn("machine_id", "text", (c) => c.primaryKey())
    .addColumn("public_ip", "text", (c) => c.notNull().unique())
    .addColumn("ssh_user", "text", (c) => c.notNull())
    .addColumn("ssh_port", "integer", (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("sim_access").execute();
}
