/**
 * A replica that stalls inside a transaction must not hold the others up: PostgreSQL ends its
 * session after a while, its row locks go, and its next statement fails instead of writing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { IDLE_IN_TRANSACTION_MS, openPostgres } from "../../packages/server/src/store/dialects/postgres.js";
import { testDatabase, type TestDatabase } from "../helpers/database.js";

describe("a replica stalled inside a transaction", () => {
  let db: TestDatabase;
  let other: pg.Client;
  before(async () => {
    db = await testDatabase();
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query("create table rows (id int primary key, v text)");
    await other.query("insert into rows values (1, 'before')");
  });
  after(async () => {
    await other.end();
    await db.drop();
  });

  it("has every session of the store's pool carry the timeout", async () => {
    const store = openPostgres(db.url as string);
    try {
      const { rows } = await sql<{ t: string }>`select current_setting('idle_in_transaction_session_timeout') as t`.execute(store.db);
      assert.equal(rows[0]?.t, `${IDLE_IN_TRANSACTION_MS / 1000}s`);
    } finally {
      await store.close();
    }
  });

  it("loses its locks to the others, and its late write is refused", async () => {
    const store = openPostgres(db.url as string, { idleInTransactionMs: 300 });
    try {
      let releaseStall!: () => void;
      const stall = new Promise<void>((r) => (releaseStall = r));
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const stalled = store.db.transaction().execute(async (trx) => {
        await sql`select v from rows where id = 1 for update`.execute(trx);
        locked();
        await stall; // the replica is paused here, its transaction open
        await sql`update rows set v = 'stale' where id = 1`.execute(trx);
      });
      await holding;
      // The other replica waits on the lock until the stalled session is ended, then writes.
      await other.query("set lock_timeout = '30s'");
      await other.query("update rows set v = 'successor' where id = 1");
      releaseStall();
      await assert.rejects(stalled);
      const { rows } = await other.query<{ v: string }>("select v from rows where id = 1");
      assert.equal(rows[0]?.v, "successor");
    } finally {
      await store.close();
    }
  });
});
