/**
 * The database a test runs on: SQLite (the default) or PostgreSQL when OCS_TEST_DB=postgres.
 * PostgreSQL comes from OCS_TEST_PG_URL (scripts/test.ts starts one embedded server for the
 * whole run) or OCS_DATABASE_URL. Every test server gets a fresh database of its own.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_ENGINE: "sqlite" | "postgres" = process.env.OCS_TEST_DB === "postgres" ? "postgres" : "sqlite";

/** One master key for every process of a test, as replicas of one deployment share theirs. */
export const TEST_MASTER_KEY = "a".repeat(64);

async function baseUrl(): Promise<string> {
  const given = process.env.OCS_TEST_PG_URL || process.env.OCS_DATABASE_URL;
  if (given) return given;
  throw new Error("OCS_TEST_DB=postgres needs a server: run through `npm run test:suites -- FILE…`, which starts one, or set OCS_DATABASE_URL");
}

export interface TestDatabase {
  /** OCS_DATABASE_URL for the servers of this test; undefined means SQLite in the data directory. */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase> {
  if (TEST_ENGINE === "sqlite") return { url: undefined, drop: async () => undefined };
  const base = await baseUrl();
  const name = `ocs_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Environment for a server (in-process or spawned) on this test's database. */
export function databaseEnv(db: TestDatabase): Record<string, string> {
  return db.url ? { OCS_DATABASE_URL: db.url, OCS_MASTER_KEY: TEST_MASTER_KEY } : {};
}
