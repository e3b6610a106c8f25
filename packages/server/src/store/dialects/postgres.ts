/**
 * PostgreSQL, for several replicas on one database. 64-bit integers come back as numbers
 * (times are milliseconds, far below 2^53), and the database's clock is readable for the
 * replicas to agree on time.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { preparedId } from "../prepared.js";
import type { Database } from "../schema.js";
import type { Listening, ListenHandlers, Store } from "../store.js";

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** The URL without its password: safe to log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://…";
  }
}

/**
 * A replica that stalls inside a transaction (paused, swapped out, stuck in GC) would hold its
 * row locks, and every other replica would wait on them. Its session is ended instead, and the
 * locks go with it; the stalled replica's later writes are then refused by the fence.
 */
export const IDLE_IN_TRANSACTION_MS = 5000;

export interface PostgresOptions {
  poolSize?: number;
  idleInTransactionMs?: number;
}

type QueryFn = (text: unknown, values?: unknown) => Promise<unknown>;

/**
 * The hot queries (store/prepared.ts) run on this connection as named, server-side prepared
 * statements: PostgreSQL parses and plans each once per connection instead of at every run, which
 * is most of its own work for a primary-key read. Any other statement goes as before.
 *
 * A migration that changes a table under a prepared `select *` (a replica of the old release
 * while `ocs migrate` runs) makes PostgreSQL refuse the old statement: 0A000, "cached plan must
 * not change result type". The connection then prepares its statements again under new names,
 * and a statement outside a transaction is retried at once; inside one, the transaction fails
 * as a whole (nothing is written) and its caller's retry gets the new statements.
 */
function withNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as QueryFn;
  let generation = 0;
  let inTransaction = false;
  const named = (text: string, values: unknown, id: number) => query({ name: `ocs_${generation}_${id}`, text, values });
  (client as unknown as { query: QueryFn }).query = async (text, values) => {
    if (typeof text !== "string") return query(text, values);
    const id = preparedId(text);
    if (id === undefined) {
      // Kysely's own transaction statements (a savepoint's "rollback to …" does not end one).
      const verb = text.length <= 40 ? text.trim().toLowerCase() : "";
      if (verb === "begin" || verb.startsWith("start transaction")) inTransaction = true;
      else if (verb === "commit" || verb === "rollback") inTransaction = false;
      return query(text, values);
    }
    try {
      return await named(text, values, id);
    } catch (error) {
      if ((error as { code?: string }).code !== "0A000") throw error;
      generation++;
      if (inTransaction) throw error;
      return named(text, values, id);
    }
  };
}

export function openPostgres(url: string, opts: PostgresOptions = {}): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    types,
    idle_in_transaction_session_timeout: opts.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
  });
  // A client's error (the server went away, or ended a stalled session) must not crash the
  // process, idle or checked out: the statement in flight fails, and the pool drops the client.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => {
    client.on("error", () => undefined);
    withNamedStatements(client);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: "postgres",
    location: redactUrl(url),
    databaseNow: async () => {
      const { rows } = await sql<{ ms: number }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms`.execute(db);
      return Number(rows[0]?.ms);
    },
    listen: (channel, handlers) => listen(url, channel, handlers),
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    exclusively: (work) =>
      db.connection().execute(async (conn) => {
        // Session-level, on this one connection: released by the unlock, or by the connection's end if the process dies.
        await sql`select pg_advisory_lock(${sql.lit(STARTUP_LOCK)})`.execute(conn);
        try {
          return await work(conn);
        } finally {
          await sql`select pg_advisory_unlock(${sql.lit(STARTUP_LOCK)})`.execute(conn);
        }
      }),
    close: () => db.destroy(),
  };
}

/** The advisory lock that serialises the replicas' start-up writes (an arbitrary number of ours, not Kysely's migration lock). */
const STARTUP_LOCK = 4_151_770_263;

/**
 * LISTEN on a connection of its own (a pooled one would be handed to other queries). When the
 * connection fails it is made again, with backoff, and `connected` runs after every LISTEN, the
 * first and each reconnect: notifications sent while it was down are lost, so the listener
 * catches up by reading.
 */
function listen(url: string, channel: string, handlers: ListenHandlers): Listening {
  let client: pg.Client | undefined;
  let closed = false;
  let delay = 100;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url });
    client = c;
    const again = () => {
      if (closed || client !== c) return;
      client = undefined;
      c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, 5000);
    };
    c.on("error", again);
    c.on("end", again);
    c.on("notification", (n) => handlers.notified(n.payload ?? ""));
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      delay = 100;
      handlers.connected();
    } catch {
      again();
    }
  };
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
