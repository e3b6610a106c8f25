/**
 * The tables that make up the server's state, for snapshots and resets: every table of the
 * database but the migrations' own and the list of snapshots (which outlives a restore). Read from
 * the database, so a table a later migration adds is in the state without being named here.
 */
import { sql } from "kysely";
import type { Executor } from "../store/schema.js";

/** Never copied, restored or emptied. */
const OUTSIDE_STATE = new Set(["kysely_migration", "kysely_migration_lock", "testing_snapshots"]);

export async function stateTables(db: Executor, engine: "sqlite" | "postgres", schema = "main"): Promise<string[]> {
  const rows =
    engine === "sqlite"
      ? await sql<{ name: string }>`select name from ${sql.raw(quote(schema))}.sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db);
  return rows.rows.map((r) => r.name).filter((name) => !OUTSIDE_STATE.has(name));
}

/** The names of the migrations a database (or a snapshot of one) has applied. */
export async function migrationsOf(db: Executor, qualified: string): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from ${sql.raw(qualified)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** An SQL string literal. */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** An SQL identifier, quoted. */
export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
