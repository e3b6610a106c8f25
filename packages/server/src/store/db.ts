/**
 * Opens the database: SQLite in the data directory by default, PostgreSQL for `postgres://`
 * URLs. The engines' differences live in dialects/; everything else speaks Kysely, and the
 * same migrations run on both.
 */
import { join } from "node:path";
import { Migrator, sql } from "kysely";
import { migrationProvider } from "./migrations/index.js";
import type { Db } from "./schema.js";
import type { Store } from "./store.js";

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
}

/** The SQLite file a store opens: the data directory's ocs.db, or a `sqlite:` URL's path; undefined for PostgreSQL. */
export function sqlitePath(opts: StoreOptions): string | undefined {
  const url = opts.databaseUrl;
  if (!url) return join(opts.dataDir, "ocs.db");
  return url.startsWith("sqlite:") ? url.slice("sqlite:".length) : undefined;
}

/** Each engine's driver is loaded when it is used: a SQLite server never loads pg, and the reverse. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const url = opts.databaseUrl;
  const file = sqlitePath(opts);
  if (file !== undefined) {
    const { openSqlite } = await import("./dialects/sqlite.js");
    return openSqlite(file);
  }
  if (url && (url.startsWith("postgres://") || url.startsWith("postgresql://"))) {
    const { openPostgres } = await import("./dialects/postgres.js");
    return openPostgres(url);
  }
  throw new Error("OCS_DATABASE_URL must start with postgres:// (or sqlite:/path/to/file.db)");
}

/** One round trip to the database: it answers, or this throws. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** The known migrations not applied yet, in order. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Whether every known migration has been applied (the readiness probe). */
export async function migrated(db: Db): Promise<boolean> {
  return (await pendingMigrations(db)).length === 0;
}
