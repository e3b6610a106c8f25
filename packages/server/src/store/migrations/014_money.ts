/**
 * Money as the charge guides move it: data disks billed by the hour carry their own billing mark
 * (`disks.billed_until`), and every account's balance is the sum of its paid ledger entries. A
 * balance that was set before this migration without an entry (an account's opening balance) gets
 * one `opening` entry, so the invariant holds for databases made by earlier versions too.
 */
import { sql, type Kysely } from "kysely";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable("disks").addColumn("billed_until", "bigint", (c) => c.notNull().defaultTo(0)).execute();
  const accounts = await db.selectFrom("accounts").select(["id", "balance_cents", "created_at"]).execute();
  for (const a of accounts as Array<{ id: string; balance_cents: number | string; created_at: number | string }>) {
    const row = await db
      .selectFrom("ledger")
      .select(sql<number | string | null>`sum(amount_cents)`.as("n"))
      .where("account_id", "=", a.id)
      .where("status", "=", "paid")
      .executeTakeFirst();
    const missing = Number(a.balance_cents) - Number(row?.n ?? 0);
    if (missing === 0) continue;
    const at = Number(a.created_at);
    await db
      .insertInto("ledger")
      .values({
        id: `opening:${a.id}`,
        account_id: a.id,
        instance_id: null,
        kind: "opening",
        amount_cents: missing,
        status: "paid",
        period_start: at,
        period_end: at,
        balance_after_cents: missing,
        note: "opening balance (recorded by migration 014)",
        created_at: at,
        paid_at: at,
      })
      .execute();
  }
}

export async function down(db: AnyDb): Promise<void> {
  await db.deleteFrom("ledger").where("kind", "=", "opening").where("note", "like", "%migration 014%").execute();
  await db.schema.alterTable("disks").dropColumn("billed_until").execute();
}
