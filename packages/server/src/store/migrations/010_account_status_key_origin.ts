/**
 * Accounts can be disabled (`ocs account disable`), and each key records where it came from:
 * `generated` (the default account's first pair, written to default-credentials.json),
 * `configured` (OCS_PUBLIC_KEY/OCS_PRIVATE_KEY) or `created` (`ocs key create`, `ocs account
 * create`). A start retires the default account's generated and configured keys that the
 * configuration no longer names; created keys are the operator's, and stay.
 *
 * Before this migration the default account's first pair, and a configured pair added at the
 * same start, were written at the account's creation time: those are taken as `generated`, so the
 * next start retires whichever the configuration does not name.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("status", "text", (c) => c.notNull().defaultTo("active")).execute();
  await db.schema.alterTable("api_keys").addColumn("origin", "text", (c) => c.notNull().defaultTo("created")).execute();
  await sql`update api_keys set origin = 'generated'
    where account_id in (select id from accounts where name = 'default')
      and created_at = (select created_at from accounts where name = 'default')`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable("api_keys").dropColumn("origin").execute();
  await db.schema.alterTable("accounts").dropColumn("status").execute();
}
