/**
 * Opens the database: SQLite in the data directory by default. The engine's differences live
 * here and only here; everything else speaks Kysely.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { migrationProvider } from "./migrations/index.js";
import type { Database, Db } from "./schema.js";

export interface Store {
  db: Db;
  engine: "sqlite" | "postgres";
  /** Where the data lives, without credentials: safe to log. */
  location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.databaseUrl && !opts.databaseUrl.startsWith("sqlite:")) {
    throw new Error("OCS_DATABASE_URL: only SQLite is supported in this version (unset it, or use sqlite:/path/to/file.db)");
  }
  const file = opts.databaseUrl ? opts.databaseUrl.slice("sqlite:".length) : join(opts.dataDir, "ocs.db");
  if (!opts.databaseUrl) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 10000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: "sqlite", location: file, close: () => db.destroy() };
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
