/**
 * Migration 013 (account levels) on a database made before it, on the test's engine: the accounts
 * it finds are verified and set at Level 4 (their quota was the server's 100), so none of them is
 * refused what it could do before; an account made after it starts as accounts/ says.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Migrator } from "kysely";
import { createSealer, migrate, openStore, type Store } from "@opencompshare/server";
import { createAccount } from "../../packages/server/src/accounts/accounts.js";
import { instanceLimit } from "../../packages/server/src/accounts/quota.js";
import { accountStanding } from "../../packages/server/src/store/repositories/accounts.js";
import { migrationProvider } from "../../packages/server/src/store/migrations/index.js";
import { TEST_MASTER_KEY, testDatabase, type TestDatabase } from "../helpers/database.js";

const sealer = createSealer(Buffer.from(TEST_MASTER_KEY, "hex"));

describe("migration 013: account levels", () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ocs-levels-migration-"));
    database = await testDatabase();
    store = await openStore({ dataDir: dir, databaseUrl: database.url });
  });
  after(async () => {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sets the accounts it finds verified at Level 4; later accounts start as they are made", async () => {
    const migrator = new Migrator({ db: store.db, provider: migrationProvider });
    // The migration just before 013, whatever its name.
    const names = Object.keys(await migrationProvider.getMigrations()).sort();
    const previous = names[names.indexOf("013_account_level") - 1] as string;
    const { error } = await migrator.migrateTo(previous);
    assert.equal(error, undefined);
    await store.db
      .insertInto("accounts")
      .values({ id: "acc-old", name: "old", created_at: 1, org_id: 10001, instance_quota: 0, net_optimized: 0, balance_cents: 0 } as never)
      .execute();
    const applied = await migrate(store.db);
    assert.ok(applied.includes("013_account_level"), `applied: ${applied.join(", ")}`);
    const old = await accountStanding(store.db, "acc-old");
    assert.deepEqual(old && { verified: old.verified, levelOverride: old.levelOverride }, { verified: true, levelOverride: 4 });
    assert.deepEqual(old && instanceLimit(old, {}), { level: 4, levelFrom: "operator", limit: 100, limitFrom: "level" });

    const fresh = await createAccount(store.db, sealer, "fresh", 2, 0, undefined, { level: "auto", verified: false });
    const standing = await accountStanding(store.db, fresh.AccountId);
    assert.deepEqual(standing, { verified: false, levelOverride: null, instanceQuota: 0, paidInCents: 0 });
    assert.deepEqual(standing && instanceLimit(standing, {}), { level: 0, levelFrom: "payments", limit: 1, limitFrom: "level" });
  });
});
