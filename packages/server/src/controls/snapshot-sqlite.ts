/**
 * Snapshots of the embedded SQLite database: a save is SQLite's online backup API into
 * `<data dir>/snapshots/<name>.db` (one read transaction: the database as of one instant, in
 * milliseconds for a test's state); a restore attaches that file and, in one write transaction,
 * empties every table of the state and fills it from the copy. The file of the live database is
 * never swapped under the open connection, so nothing else in the process has to reopen it.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { sql } from "kysely";
import { backupSqlite } from "../store/backup.js";
import type { Db } from "../store/schema.js";
import { migrationsOf, quote, stateTables } from "./state-tables.js";
import { SnapshotRefused, type SnapshotStore } from "./snapshots.js";

export function sqliteSnapshots(db: Db, databaseFile: string): SnapshotStore {
  const folder = join(dirname(databaseFile), "snapshots");
  const fileOf = (name: string) => join(folder, `${name}.db`);

  return {
    async save(name) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const target = fileOf(name);
      const fresh = `${target}.new`;
      rmSync(fresh, { force: true });
      await backupSqlite(databaseFile, fresh);
      renameSync(fresh, target);
      // The copy's check opened it in WAL mode: its side files keep the old name.
      for (const side of ["-wal", "-shm"]) rmSync(`${fresh}${side}`, { force: true });
      return statSync(target).size;
    },

    async restore(name) {
      const file = fileOf(name);
      if (!existsSync(file)) throw new SnapshotRefused(`the file of snapshot ${name} is gone (${file})`);
      // One connection throughout: ATTACH is per connection, and no other query runs between.
      await db.connection().execute(async (conn) => {
        await sql`attach database ${file} as snap`.execute(conn);
        try {
          const [ours, theirs] = await Promise.all([migrationsOf(conn, "main.kysely_migration"), migrationsOf(conn, "snap.kysely_migration")]);
          if (ours.join() !== theirs.join()) throw new SnapshotRefused(`snapshot ${name} was saved by another version of the schema (${theirs.length} migrations, this server has ${ours.length}): save it again`);
          const tables = await stateTables(conn, "sqlite");
          const sequences = (await sql<{ n: number }>`select count(*) as n from snap.sqlite_master where name = 'sqlite_sequence'`.execute(conn)).rows[0]?.n ?? 0;
          await conn.transaction().execute(async (tx) => {
            // Rows reference each other (projects → accounts): checked at the commit, not row by row.
            await sql`pragma defer_foreign_keys = on`.execute(tx);
            // Every table emptied before any is filled: SQLite counts deferred foreign-key
            // violations as they happen, and a parent deleted after its children were filled
            // again would leave the count above zero at the commit.
            for (const table of tables) await sql`delete from main.${sql.raw(quote(table))}`.execute(tx);
            for (const table of tables) await sql`insert into main.${sql.raw(quote(table))} select * from snap.${sql.raw(quote(table))}`.execute(tx);
            if (Number(sequences) > 0) {
              await sql`delete from main.sqlite_sequence`.execute(tx);
              await sql`insert into main.sqlite_sequence select * from snap.sqlite_sequence`.execute(tx);
            }
          });
        } finally {
          await sql`detach database snap`.execute(conn);
        }
      });
    },

    async remove(name) {
      for (const side of ["", "-wal", "-shm"]) rmSync(`${fileOf(name)}${side}`, { force: true });
    },
  };
}
