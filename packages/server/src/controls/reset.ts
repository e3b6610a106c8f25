/**
 * ResetCompShareState: back to a fresh server, in one transaction. Every table of the state is
 * emptied; the operator's (default) account comes back with its ids, its default project and its
 * keys, as a fresh start makes it (verified, Level 4, the initial balance with its opening ledger
 * entry); the catalog's rows (the simulated fleet's GPU pools) are written again; the clock's
 * offset is 0. Snapshots are kept. Running operations are waited for, then refused (snapshots.ts).
 */
import { sql } from "kysely";
import { DEFAULT_ACCOUNT } from "../accounts/default-account.js";
import type { Catalog } from "../catalog/catalog.js";
import { writeCatalog } from "../catalog/sync.js";
import { recordOpening } from "../store/repositories/ledger.js";
import type { Db, Executor } from "../store/schema.js";
import { resetSequences } from "./snapshot-postgres.js";
import { literal, quote, stateTables } from "./state-tables.js";

export interface Fresh {
  db: Db;
  engine: "sqlite" | "postgres";
  catalog: Catalog;
  /** Whether the catalog's simulated fleet is written (the simulated driver). */
  fleet: boolean;
  /** A new account's balance, fen. */
  initialBalanceCents: number;
}

/** The tables of `tables` that hold at least one row, in one statement. */
async function heldTables(db: Executor, tables: string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const probes = tables.map((t) => `select ${literal(t)} as name where exists (select 1 from ${quote(t)})`);
  const rows = await sql<{ name: string }>`${sql.raw(probes.join(" union all "))}`.execute(db);
  return rows.rows.map((r) => r.name);
}

export async function resetState(f: Fresh, now: number): Promise<void> {
  const { db } = f;
  await db.transaction().execute(async (tx) => {
    const account = await tx.selectFrom("accounts").selectAll().where("name", "=", DEFAULT_ACCOUNT).executeTakeFirst();
    const projects = account ? await tx.selectFrom("projects").selectAll().where("account_id", "=", account.id).where("is_default", "=", 1).execute() : [];
    const keys = account ? await tx.selectFrom("api_keys").selectAll().where("account_id", "=", account.id).execute() : [];
    const tables = await stateTables(tx, f.engine);
    if (f.engine === "postgres") {
      // Only the tables that hold rows (CASCADE empties the tables that refer to them as well):
      // a truncate costs new files per table, the look for a row almost nothing.
      const held = await heldTables(tx, tables);
      if (held.length > 0) await sql`truncate ${sql.raw(held.map(quote).join(", "))} cascade`.execute(tx);
    } else {
      await sql`pragma defer_foreign_keys = on`.execute(tx);
      for (const table of tables) await sql`delete from ${sql.raw(quote(table))}`.execute(tx);
      await sql`delete from sqlite_sequence`.execute(tx);
    }
    await tx.insertInto("testing_clock").values({ id: 1, offset_ms: 0 }).execute();
    if (account) {
      const { status: _status, verified: _verified, ...kept } = account;
      await tx
        .insertInto("accounts")
        .values({ ...kept, balance_cents: f.initialBalanceCents, level_override: 4, verified: 1, status: "active", instance_quota: 0, net_optimized: 0 })
        .execute();
      if (projects.length > 0) await tx.insertInto("projects").values(projects).execute();
      if (keys.length > 0) await tx.insertInto("api_keys").values(keys).execute();
      if (f.initialBalanceCents !== 0) await recordOpening(tx, account.id, f.initialBalanceCents, now);
    }
    await writeCatalog(tx, f.catalog, now, { fleet: f.fleet });
    if (f.engine === "postgres") await resetSequences(tx);
  });
}
