/**
 * The console's sessions and the login nonces already used. A session row holds only the SHA-256
 * of the cookie's value, so every replica can check a cookie and a copy of the database holds
 * no usable session. Nonces are issued without a row (they carry their own MAC and expiry); a
 * row is written when one is used, so that it works once, on any replica.
 */
import type { Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable("console_sessions")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("public_key", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("console_sessions_expires").on("console_sessions").column("expires_at").execute();
  await db.schema
    .createTable("console_nonces_used")
    .addColumn("nonce", "text", (c) => c.primaryKey())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable("console_nonces_used").execute();
  await db.schema.dropTable("console_sessions").execute();
}
