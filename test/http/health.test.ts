/** The health probes: /healthz says the process lives; /readyz that the database answers and is migrated. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { migrate, migrated, openStore } from "@opencompshare/server";
import { databaseEnv, testDatabase } from "../helpers/database.js";
import { startServer } from "../helpers/server.js";

describe("health probes", () => {
  it("answers /healthz and /readyz with 200 on a working server, and /readyz 503 once the database is gone", async () => {
    const s = await startServer();
    try {
      const health = await fetch(`${s.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      const ready = await fetch(`${s.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true });

      await s.app.store.db.destroy();
      const gone = await fetch(`${s.url}/readyz`);
      assert.equal(gone.status, 503);
      assert.deepEqual(await gone.json(), { ready: false });
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200, "the process still lives");
    } finally {
      await s.close().catch(() => undefined);
    }
  });

  it("reports an unmigrated database as not ready, and a migrated one as ready", async () => {
    const db = await testDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "ocs-ready-"));
    const store = await openStore({ dataDir, databaseUrl: databaseEnv(db).OCS_DATABASE_URL });
    try {
      assert.equal(await migrated(store.db), false);
      await migrate(store.db);
      assert.equal(await migrated(store.db), true);
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
