/**
 * A real `ocs serve` process to crash, for the tests that kill one with SIGKILL in the middle of
 * something and start it again on the same data: a data directory and a database of its own, the
 * environment every such test shares, kill -9, a restart, plain SQL on its database, and the
 * teardown. Time is real there (two processes), so nothing may assert on durations.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { call, type Keys } from "./client.js";
import { databaseEnv, testDatabase, type TestDatabase } from "./database.js";
import { spawnServer, type ServerProcess } from "./process.js";
import { DEFAULT_KEYS, REGION } from "./server.js";
import { openSql, type Sql } from "./sql.js";

export interface CrashableServer {
  readonly dataDir: string;
  /** The database, once the describe block's `before` has run. */
  readonly db: TestDatabase;
  /** What every start is given: the shared settings, the test's own, the database's. */
  readonly env: Record<string, string>;
  /** The process started last, if any. */
  readonly server: ServerProcess | undefined;
  /** Starts `ocs serve` on the data (on `port` when given: a client that reconnects finds it again). */
  start(port?: number): Promise<ServerProcess>;
  /** kill -9 of the process started last; resolves with how it ended. */
  kill9(): Promise<number | string | null>;
  /** SQL on the server's database from outside (opened once, closed at teardown). */
  sql(): Promise<Sql>;
}

/**
 * Registers, in the describe block it is called in, a crashable server: its database made before
 * the block's tests; after them, the process left killed, the SQL connection closed, the data
 * directory and the database removed. `env` (or what it returns, in that `before`) is the test's
 * own settings.
 */
export function crashableServer(prefix: string, env: Record<string, string> | (() => Record<string, string>) = {}): CrashableServer {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let db: TestDatabase | undefined;
  let fullEnv: Record<string, string> = {};
  let server: ServerProcess | undefined;
  let sql: Sql | undefined;
  before(async () => {
    db = await testDatabase();
    fullEnv = {
      OCS_DATA_DIR: dataDir,
      // With PostgreSQL a restarted server cannot know the old one is gone: it waits out the lease.
      OCS_LEASE_MS: "1000",
      OCS_RECOVERY_INTERVAL_MS: "200",
      OCS_PUBLIC_KEY: DEFAULT_KEYS.PublicKey,
      OCS_PRIVATE_KEY: DEFAULT_KEYS.PrivateKey,
      OCS_LOG_LEVEL: "warn",
      ...(typeof env === "function" ? env() : env),
      ...databaseEnv(db),
    };
  });
  after(async () => {
    // Only the child this test spawned, and only if it still runs.
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    await server?.exited;
    await sql?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });
  return {
    dataDir,
    get db() {
      if (!db) throw new Error("the database is made in the describe block's before hook");
      return db;
    },
    get env() {
      return fullEnv;
    },
    get server() {
      return server;
    },
    async start(port) {
      server = await spawnServer(fullEnv, port);
      return server;
    },
    async kill9() {
      if (!server) throw new Error("no server to kill");
      server.child.kill("SIGKILL");
      return server.exited;
    },
    async sql() {
      sql ??= await openSql(this.db, dataDir);
      return sql;
    },
  };
}

/** The state of instance `id` as the server at `url` describes it to `keys`. */
export async function stateAt(url: string, id: string, keys: Keys = DEFAULT_KEYS): Promise<string | undefined> {
  const res = await call(url, keys, "DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
  return (res.body.UHostSet as Array<{ State: string }> | undefined)?.[0]?.State;
}
