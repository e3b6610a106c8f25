/**
 * Backups of the embedded SQLite database, taken while the server runs, with SQLite's online
 * backup API; and restoring one into a data directory no server is using.
 *
 * The pages are copied in one step, under one read transaction: the copy is the database as of
 * one instant, even while the server (another process) goes on writing. In WAL mode the read
 * does not hold the writer up. A copy in several steps would restart whenever another process
 * wrote, and under a steady load might never end.
 *
 * PostgreSQL is backed up with its own tools (pg_dump, or base backups with WAL archiving).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { keepDatabasePrivate } from "../security/private-files.js";
import { lockDataDir } from "./data-dir-lock.js";

export class BackupError extends Error {}

export interface BackupReport {
  file: string;
  pages: number;
  bytes: number;
  ms: number;
}

/** What a file that should be an opencompshare database holds: its integrity, and its migrations. */
export function inspectSqlite(file: string): { integrity: string; migrations: string[] } {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = String(db.pragma("integrity_check", { simple: true }));
    const hasTable = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get() !== undefined;
    const migrations = hasTable ? (db.prepare("select name from kysely_migration order by name").all() as { name: string }[]).map((r) => r.name) : [];
    return { integrity, migrations };
  } finally {
    db.close();
  }
}

/** Copies the database `source` to `target` (a new file), consistently, while it may be in use. */
export async function backupSqlite(source: string, target: string): Promise<BackupReport> {
  if (!existsSync(source)) throw new BackupError(`no database at ${source}`);
  const dest = resolve(target);
  if (existsSync(dest)) throw new BackupError(`${dest} exists already: choose a new file (a backup never overwrites one)`);
  if (!existsSync(dirname(dest))) throw new BackupError(`the folder ${dirname(dest)} does not exist`);
  const started = performance.now();
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  const partial = `${dest}.partial`;
  try {
    db.pragma("busy_timeout = 10000");
    // The copy holds what the database holds: for the server's user only, as the database is.
    keepDatabasePrivate(partial);
    // Every remaining page in the next step: one read transaction, one instant.
    const done = await db.backup(partial, { progress: () => 0x7fffffff });
    renameSync(partial, dest);
    const check = inspectSqlite(dest);
    if (check.integrity !== "ok") throw new BackupError(`the copy failed its integrity check: ${check.integrity}`);
    return { file: dest, pages: done.totalPages, bytes: statSync(dest).size, ms: Math.round(performance.now() - started) };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}

/**
 * Puts a backup in place of the data directory's database. Refuses while a server uses the
 * directory, and refuses a file that is not a sound opencompshare database. The database it
 * replaces is kept beside it as `ocs.db.before-restore-<time>`.
 */
export function restoreSqlite(backup: string, dataDir: string, now = Date.now()): { restored: string; previous?: string; migrations: number } {
  const file = resolve(backup);
  if (!existsSync(file)) throw new BackupError(`no backup at ${file}`);
  const check = inspectSqlite(file);
  if (check.integrity !== "ok") throw new BackupError(`${file} fails its integrity check: ${check.integrity}`);
  if (check.migrations.length === 0) throw new BackupError(`${file} is not an opencompshare database (it has no migrations table)`);
  const target = join(resolve(dataDir), "ocs.db");
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  let unlock: () => void;
  try {
    unlock = lockDataDir(dirname(target));
  } catch (error) {
    throw new BackupError(`${(error as Error).message}: stop it before restoring`);
  }
  try {
    let previous: string | undefined;
    if (existsSync(target)) {
      previous = `${target}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, "-")}`;
      renameSync(target, previous);
    }
    // The old database's WAL must not be replayed onto the restored one.
    for (const suffix of ["-wal", "-shm"]) {
      if (existsSync(target + suffix)) renameSync(target + suffix, `${previous ?? target}${suffix}`);
    }
    copyFileSync(file, target);
    keepDatabasePrivate(target);
    return { restored: target, ...(previous ? { previous } : {}), migrations: check.migrations.length };
  } finally {
    unlock();
  }
}
