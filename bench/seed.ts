/**
 * Bulk seeding of Running instances straight into the database, as the server itself would
 * leave them after CreateCompShareInstance and its boot: one `instances` row, one free
 * `instance_locks` row, one `sim_machines` row (powered on, booted once) each, in the default
 * account's default project. The rows are generated inside the database (SQLite: a recursive
 * CTE; PostgreSQL: generate_series), three INSERT … SELECT statements in one transaction.
 *
 * Instance i has the id seededId(i) (lib.ts): the same permutation is spelled in SQL here.
 */
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { SPREAD_FACTOR, ZONE } from "./lib.js";

export type Target = { engine: "sqlite"; file: string } | { engine: "postgres"; url: string };

export interface Scope {
  accountId: string;
  projectId: string;
}

const IMAGE = "compshareImage-ubuntu2204";
const SPEC = JSON.stringify({ cpu: 16, memory: 65536, gpu: 1, gpuType: "4090", imageId: IMAGE, diskGb: 50 });
const MONTH_MS = 30 * 86_400_000;
/** Seeded creation times: instance i was created at BASE + i ms, before any real one. */
const createdAt = (now: number) => now - 10_000_000;

function openSqlite(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma("busy_timeout = 30000");
  return db;
}

async function withPg<T>(url: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await f(client);
  } finally {
    await client.end();
  }
}

/** The default account's default project: where requests without ProjectId act. */
export async function defaultScope(target: Target): Promise<Scope> {
  const query = "SELECT p.id AS project_id, p.account_id FROM projects p JOIN accounts a ON a.id = p.account_id WHERE a.name = 'default' AND p.is_default = 1";
  let row: { project_id: string; account_id: string } | undefined;
  if (target.engine === "sqlite") {
    const db = openSqlite(target.file);
    try {
      row = db.prepare(query).get() as typeof row;
    } finally {
      db.close();
    }
  } else {
    row = await withPg(target.url, async (c) => (await c.query<{ project_id: string; account_id: string }>(query)).rows[0]);
  }
  if (!row) throw new Error("seed: the default account has no default project (has the server started once?)");
  return { accountId: row.account_id, projectId: row.project_id };
}

/** Inserts instances [from, to) as Running. Returns the time it took, in milliseconds. */
export async function seedInstances(target: Target, scope: Scope, from: number, to: number, sealedPassword: string, now: number): Promise<number> {
  const started = performance.now();
  const base = createdAt(now);
  const expire = now + MONTH_MS;
  if (target.engine === "sqlite") {
    const db = openSqlite(target.file);
    try {
      // This connection only: a large page cache for the index inserts; the server's own
      // connection keeps its settings.
      db.pragma("cache_size = -1048576");
      const series = `WITH RECURSIVE s(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM s WHERE i + 1 < @to)`;
      const hex = `printf('%012x', (i * ${SPREAD_FACTOR}) % 281474976710656)`;
      const instances = db.prepare(`INSERT INTO instances (id, account_id, project_id, zone, name, state, cpu, memory, gpu, gpu_type,
          machine_type, image_id, charge_type, login_mode, disks, password_sealed, recycling, task, task_op_id, created_at,
          updated_at, start_time, stop_time, stop_scheduler_time, expire_time)
        ${series}
        SELECT 'uhost-' || ${hex}, @account, @project, @zone, 'bench-' || i, 'Running', 16, 65536, 1, '4090', 'G', @image,
          'Month', 'Password', '[{"DiskId":"bsi-' || ${hex} || '","IsBoot":true,"Size":50,"Type":"CLOUD_SSD"}]',
          @password, 0, NULL, NULL, @base + i, @base + i, @base + i, 0, 0, @expire FROM s`);
      const locks = db.prepare(`INSERT INTO instance_locks (instance_id, holder_op_id, token, acquired_at, expires_at)
        ${series} SELECT 'uhost-' || ${hex}, NULL, 0, 0, 0 FROM s`);
      const machines = db.prepare(`INSERT INTO sim_machines (id, power, action, action_until, boot_count, spec)
        ${series} SELECT 'uhost-' || ${hex}, 'on', NULL, 0, 1, @spec FROM s`);
      const range = { from, to };
      db.transaction(() => {
        instances.run({ ...range, account: scope.accountId, project: scope.projectId, zone: ZONE, image: IMAGE, password: sealedPassword, base, expire });
        locks.run(range);
        machines.run({ ...range, spec: SPEC });
      }).immediate();
      // Fold the large WAL back into the database file, so the server's reads do not wade through it.
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
  } else {
    await withPg(target.url, async (c) => {
      const series = `generate_series($1::bigint, $2::bigint - 1) AS i`;
      const hex = `lpad(to_hex((i * ${SPREAD_FACTOR}) % 281474976710656), 12, '0')`;
      await c.query("BEGIN");
      try {
        await c.query(
          `INSERT INTO instances (id, account_id, project_id, zone, name, state, cpu, memory, gpu, gpu_type,
             machine_type, image_id, charge_type, login_mode, disks, password_sealed, recycling, task, task_op_id, created_at,
             updated_at, start_time, stop_time, stop_scheduler_time, expire_time)
           SELECT 'uhost-' || ${hex}, $3, $4, $5, 'bench-' || i, 'Running', 16, 65536, 1, '4090', 'G', $6,
             'Month', 'Password', '[{"DiskId":"bsi-' || ${hex} || '","IsBoot":true,"Size":50,"Type":"CLOUD_SSD"}]',
             $7, 0, NULL, NULL, $8::bigint + i, $8::bigint + i, $8::bigint + i, 0, 0, $9::bigint FROM ${series}`,
          [from, to, scope.accountId, scope.projectId, ZONE, IMAGE, sealedPassword, base, expire],
        );
        await c.query(`INSERT INTO instance_locks (instance_id, holder_op_id, token, acquired_at, expires_at)
           SELECT 'uhost-' || ${hex}, NULL, 0, 0, 0 FROM ${series}`, [from, to]);
        await c.query(`INSERT INTO sim_machines (id, power, action, action_until, boot_count, spec)
           SELECT 'uhost-' || ${hex}, 'on', NULL, 0, 1, $3 FROM ${series}`, [from, to, SPEC]);
        await c.query("COMMIT");
      } catch (error) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
      // Autovacuum would gather these statistics soon after such a load; gather them now, so
      // the plans measured are the ones a settled database gets.
      await c.query("ANALYZE instances, instance_locks, sim_machines");
    });
  }
  return performance.now() - started;
}

/** The simulated driver's journal: `until` (server clock, ms) of the last action of each machine. */
export async function journalUntil(target: Target, ids: string[], action: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (ids.length === 0) return out;
  if (target.engine === "sqlite") {
    const db = openSqlite(target.file);
    try {
      const rows = db
        .prepare(`SELECT machine_id, MAX("until") AS until FROM sim_journal WHERE action = ? AND machine_id IN (${ids.map(() => "?").join(",")}) GROUP BY machine_id`)
        .all(action, ...ids) as Array<{ machine_id: string; until: number }>;
      for (const r of rows) out.set(r.machine_id, Number(r.until));
    } finally {
      db.close();
    }
  } else {
    await withPg(target.url, async (c) => {
      const { rows } = await c.query<{ machine_id: string; until: string }>(
        `SELECT machine_id, MAX("until") AS until FROM sim_journal WHERE action = $1 AND machine_id = ANY($2) GROUP BY machine_id`,
        [action, ids],
      );
      for (const r of rows) out.set(r.machine_id, Number(r.until));
    });
  }
  return out;
}

/** When the last operation `action` on each instance ended (server clock, ms), if it did. */
export async function operationEnds(target: Target, ids: string[], action: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [id, span] of await operationSpans(target, ids, action)) if (span.ended !== null) out.set(id, span.ended);
  return out;
}

/** The first start and the last end (server clock, ms; null while one runs) of the operations `action` on each instance. */
export async function operationSpans(target: Target, ids: string[], action: string): Promise<Map<string, { started: number; ended: number | null }>> {
  const out = new Map<string, { started: number; ended: number | null }>();
  if (ids.length === 0) return out;
  const query = (list: string) =>
    `SELECT instance_id, MIN(started_at) AS started, CASE WHEN COUNT(*) = COUNT(ended_at) THEN MAX(ended_at) END AS ended
     FROM operations WHERE action = ${target.engine === "sqlite" ? "?" : "$1"} AND instance_id IN (${list}) GROUP BY instance_id`;
  type SpanRow = { instance_id: string; started: number | string; ended: number | string | null };
  let rows: SpanRow[];
  if (target.engine === "sqlite") {
    const db = openSqlite(target.file);
    try {
      rows = db.prepare(query(ids.map(() => "?").join(","))).all(action, ...ids) as SpanRow[];
    } finally {
      db.close();
    }
  } else {
    rows = await withPg(target.url, async (c) => (await c.query<SpanRow>(query(ids.map((_, i) => `$${i + 2}`).join(",")), [action, ...ids])).rows);
  }
  for (const r of rows) out.set(r.instance_id, { started: Number(r.started), ended: r.ended === null ? null : Number(r.ended) });
  return out;
}

/** Creates a database on a PostgreSQL server; returns its URL. */
export async function createPgDatabase(serverUrl: string, name: string): Promise<string> {
  await withPg(serverUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
