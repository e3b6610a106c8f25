/**
 * What an open database is to the rest of the server, whichever engine: the Kysely handle, the
 * engine's name, its clock, the replicas' notifications (PostgreSQL), and start-up work run by
 * one process at a time. `db.ts` opens one; `dialects/` implement it.
 */
import type { Db } from "./schema.js";

export interface Store {
  db: Db;
  engine: "sqlite" | "postgres";
  /** Where the data lives, without credentials: safe to log. */
  location: string;
  /** The database's own clock, in Unix milliseconds: the time replicas agree on. */
  databaseNow(): Promise<number>;
  /** PostgreSQL: notifications on `channel`, on a connection of their own (the event fan-out of the replicas). */
  listen?(channel: string, handlers: ListenHandlers): Listening;
  /** PostgreSQL: the pool's connections now (the metrics). */
  pool?(): { total: number; idle: number; waiting: number };
  /**
   * Runs `work` while no other process of this database runs its own: what replicas write at
   * start (the catalog, the default account), each after the other instead of racing on the
   * same keys. PostgreSQL: an advisory lock on one connection, which `work` gets; SQLite: the
   * data directory's lock already gives this.
   */
  exclusively<T>(work: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** A notification's payload. */
  notified(payload: string): void;
  /** The connection listens: at first, and after each reconnect (what was sent meanwhile is lost). */
  connected(): void;
}

export interface Listening {
  close(): Promise<void>;
}
