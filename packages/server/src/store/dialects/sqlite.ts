/** SQLite, the embedded default: one file in the data directory, WAL, one writer at a time. */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { Database } from "../schema.js";
import type { Store } from "../db.js";

export function openSqlite(file: string): Store {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 10000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    engine: "sqlite",
    location: file,
    // One process owns the file: its own clock is the only one.
    databaseNow: async () => Date.now(),
    close: () => db.destroy(),
  };
}
