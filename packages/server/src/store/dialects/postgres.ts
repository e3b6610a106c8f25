/**
 * PostgreSQL, for several replicas on one database. 64-bit integers come back as numbers
 * (times are milliseconds, far below 2^53), and the database's clock is readable for the
 * replicas to agree on time.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "../schema.js";
import type { Listening, ListenHandlers, Store } from "../db.js";

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
  pool.on("connect", (client) => client.on("error", () => undefined));
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
    close: () => db.destroy(),
  };
}

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
