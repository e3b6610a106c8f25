/**
 * Who asked for each operation: its source (`api`, `console`, `policy`, `schedule`) and the
 * requester (the public key that signed the request or opened the console session; the policy
 * step or the scheduler otherwise). Operations recorded before this migration say `api` and no
 * requester.
 */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("operations").addColumn("source", "text", (c) => c.notNull().defaultTo("api")).execute();
  await db.schema.alterTable("operations").addColumn("requester", "text", (c) => c.notNull().defaultTo("")).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable("operations").dropColumn("requester").execute();
  await db.schema.alterTable("operations").dropColumn("source").execute();
}
