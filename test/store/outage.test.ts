/**
 * Which errors mean "the database does not answer" (answered 8433 with "try again") and which are
 * a statement's own failure (answered 8433 as an internal error): real errors, from a real
 * PostgreSQL client connecting to a closed port and from a real SQLite statement.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { databaseUnavailable } from "../../packages/server/src/store/outage.js";

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe("databaseUnavailable", () => {
  it("a PostgreSQL that refuses the connection is unavailable", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: await closedPort(), user: "x", database: "x", connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error);
    assert.equal(databaseUnavailable(error), true, String(error));
  });

  it("PostgreSQL's shutdown and connection-exception SQLSTATEs, and node-postgres's ended connection, are unavailable", () => {
    for (const code of ["57P01", "57P03", "08006", "08001", "53300"]) assert.equal(databaseUnavailable(Object.assign(new Error("x"), { code })), true, code);
    assert.equal(databaseUnavailable(new Error("Connection terminated unexpectedly")), true);
    assert.equal(databaseUnavailable(new Error("wrapped", { cause: Object.assign(new Error("read"), { code: "ECONNRESET" }) })), true);
  });

  it("a statement's own failure is not", () => {
    const db = new Database(":memory:");
    const error = (() => {
      try {
        db.prepare("select * from no_such_table").all();
      } catch (e) {
        return e;
      }
    })();
    db.close();
    assert.ok(error instanceof Error);
    assert.equal(databaseUnavailable(error), false);
    for (const code of ["23505", "42P01", "40001"]) assert.equal(databaseUnavailable(Object.assign(new Error("x"), { code })), false, code);
    assert.equal(databaseUnavailable("a string"), false);
  });
});
