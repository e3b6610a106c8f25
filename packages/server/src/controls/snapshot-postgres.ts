/**
 * Snapshots on PostgreSQL: a schema of their own (`ocs_snap_<hash of the name>`, since a schema's
 * name is at most 63 bytes) with a copy of every table of the state, made in one repeatable-read
 * transaction (the state as of one instant, whatever the replicas write meanwhile). A restore
 * empties the tables of the state and fills them from the copy in one transaction, then moves the
 * identity sequences past the rows restored. Every replica sees the restored state at once.
 */
import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Db, Executor } from "../store/schema.js";
import { migrationsOf, quote, stateTables } from "./state-tables.js";
import { SnapshotRefused, type SnapshotStore } from "./snapshots.js";

const schemaOf = (name: string): string => `ocs_snap_${createHash("sha256").update(name).digest("hex").slice(0, 24)}`;

export function postgresSnapshots(db: Db): SnapshotStore {
  return {
    async save(name) {
      const schema = quote(schemaOf(name));
      return db
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute(async (tx) => {
          await sql`drop schema if exists ${sql.raw(schema)} cascade`.execute(tx);
          await sql`create schema ${sql.raw(schema)}`.execute(tx);
          const tables = await stateTables(tx, "postgres");
          for (const table of [...tables, "kysely_migration"]) {
            await sql`create table ${sql.raw(`${schema}.${quote(table)}`)} as table ${sql.raw(quote(table))}`.execute(tx);
          }
          const size = await sql<{ bytes: string }>`select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schemaOf(name)} and c.relkind = 'r'`.execute(tx);
          return Number(size.rows[0]?.bytes ?? 0);
        });
    },

    async restore(name) {
      const schema = quote(schemaOf(name));
      const found = await sql<{ n: string }>`select count(*) as n from information_schema.schemata where schema_name = ${schemaOf(name)}`.execute(db);
      if (Number(found.rows[0]?.n ?? 0) === 0) throw new SnapshotRefused(`the schema of snapshot ${name} is gone`);
      await db.transaction().execute(async (tx) => {
        const [ours, theirs] = await Promise.all([migrationsOf(tx, "kysely_migration"), migrationsOf(tx, `${schema}.kysely_migration`)]);
        if (ours.join() !== theirs.join()) throw new SnapshotRefused(`snapshot ${name} was saved by another version of the schema (${theirs.length} migrations, this server has ${ours.length}): save it again`);
        const tables = await stateTables(tx, "postgres");
        await sql`truncate ${sql.raw(tables.map(quote).join(", "))}`.execute(tx);
        for (const table of tables) {
          await sql`insert into ${sql.raw(quote(table))} select * from ${sql.raw(`${schema}.${quote(table)}`)}`.execute(tx);
        }
        await resetSequences(tx);
      });
    },

    async remove(name) {
      await sql`drop schema if exists ${sql.raw(quote(schemaOf(name)))} cascade`.execute(db);
    },
  };
}

/** Moves every serial column's sequence just past the highest id its table holds (after a restore or a reset). */
export async function resetSequences(db: Executor): Promise<void> {
  const serials = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = current_schema() and column_default like 'nextval(%'`.execute(db);
  for (const { table_name: table, column_name: column } of serials.rows) {
    await sql`select setval(pg_get_serial_sequence(${quote(table)}, ${column}), coalesce((select max(${sql.raw(quote(column))}) from ${sql.raw(quote(table))}), 0) + 1, false)`.execute(db);
  }
}
