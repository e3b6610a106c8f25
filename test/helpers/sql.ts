/**
 * Plain SQL on a test server's database from outside the server, to set up a state that would
 * otherwise take hours to reach (an instance in arrears since 13 hours ago). `?` placeholders;
 * SQLite is the data directory's file, opened beside the running server (WAL allows it).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { TestDatabase } from "./database.js";

export interface Sql {
  run(statement: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function openSql(db: TestDatabase, dataDir: string): Promise<Sql> {
  if (db.url) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return {
      run: async (statement, params = []) => {
        let n = 0;
        const res = await client.query(statement.replace(/\?/g, () => `$${++n}`), params);
        return res.rows as Array<Record<string, unknown>>;
      },
      close: () => client.end(),
    };
  }
  const file = new Database(join(dataDir, "ocs.db"));
  file.pragma("busy_timeout = 5000");
  return {
    run: async (statement, params = []) => {
      const st = file.prepare(statement);
      return st.reader ? (st.all(...params) as Array<Record<string, unknown>>) : (st.run(...params), []);
    },
    close: async () => void file.close(),
  };
}
