/**
 * Account levels and verification (CreateCompShareInstance's 配额说明 and RetCode 226606).
 *
 * - `level_override`: the level an operator set (`ocs account level ACCOUNT 0-4`); null means the
 *   level follows what the account has paid in (its `topup` ledger entries).
 * - `verified`: 1 when the account may create instances; 0 answers AccountNotVerified (226606).
 *
 * Accounts made before this migration had the server's quota, 100 instances by default: they are
 * verified and set at Level 4 (whose quota is 100), so nothing they could do before is refused now.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("accounts").addColumn("level_override", "integer").execute();
  await db.schema.alterTable("accounts").addColumn("verified", "integer", (c) => c.notNull().defaultTo(1)).execute();
  await sql`update accounts set level_override = 4`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable("accounts").dropColumn("verified").execute();
  await db.schema.alterTable("accounts").dropColumn("level_override").execute();
}
