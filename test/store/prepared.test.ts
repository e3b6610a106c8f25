/**
 * The hot path's prepared queries (store/prepared.ts) on a real database of the test's engine:
 * compiled once, they must bind each call's own values, in and out of transactions, and the
 * guard's one-read snapshot must tell exactly what the three reads it replaced told.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { createSealer, migrate, openStore, type Store } from "@opencompshare/server";
import { prepared } from "../../packages/server/src/store/prepared.js";
import { guardFields, guardSnapshot, listInstances } from "../../packages/server/src/store/repositories/instances.js";
import { createAccount, lookupKey } from "../../packages/server/src/accounts/accounts.js";
import { TEST_MASTER_KEY, testDatabase, type TestDatabase } from "../helpers/database.js";

const sealer = createSealer(Buffer.from(TEST_MASTER_KEY, "hex"));

function instanceRow(id: string, accountId: string, projectId: string, createdAt: number, zone = "cn-wlcb-01") {
  return {
    id, account_id: accountId, project_id: projectId, zone, name: id, state: "Running", cpu: 16, memory: 65536, gpu: 1, gpu_type: "4090",
    machine_type: "G", image_id: "compshareImage-x", charge_type: "Dynamic", login_mode: "Password", disks: "[]", password_sealed: sealer.seal("cHc="),
    recycling: 0, task: null, task_op_id: null, created_at: createdAt, updated_at: createdAt, start_time: createdAt, stop_time: 0, stop_scheduler_time: 0, expire_time: 0,
  };
}

describe("prepared hot queries", () => {
  let dir: string;
  let database: TestDatabase;
  let store: Store;
  let a: { AccountId: string; ProjectId: string; PublicKey: string; PrivateKey: string };
  let b: { AccountId: string; ProjectId: string; PublicKey: string; PrivateKey: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ocs-prepared-"));
    database = await testDatabase();
    store = await openStore({ dataDir: dir, databaseUrl: database.url });
    await migrate(store.db);
    a = await createAccount(store.db, sealer, "alice", 1);
    b = await createAccount(store.db, sealer, "bob", 1);
    const rows = [instanceRow("uhost-a1", a.AccountId, a.ProjectId, 100), instanceRow("uhost-a2", a.AccountId, a.ProjectId, 300, "cn-wlcb-02"), instanceRow("uhost-a3", a.AccountId, a.ProjectId, 200), instanceRow("uhost-b1", b.AccountId, b.ProjectId, 100)];
    await store.db.insertInto("instances").values(rows as never).execute();
    await store.db.insertInto("instance_locks").values(rows.map((r) => ({ instance_id: r.id, holder_op_id: null, token: 0, acquired_at: 0, expires_at: 0 })) as never).execute();
  });
  after(async () => {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("binds each call's own values, outside and inside a transaction", async () => {
    const byName = prepared(1, (db, name: string) => db.selectFrom("accounts").select(["id", "name"]).where("name", "=", name).where("id", "!=", "none"));
    assert.deepEqual((await byName(store.db, "alice")).rows.map((r) => r.id), [a.AccountId]);
    assert.deepEqual((await byName(store.db, "bob")).rows.map((r) => r.id), [b.AccountId]);
    assert.deepEqual((await byName(store.db, "nobody")).rows, []);
    await store.db.transaction().execute(async (tx) => {
      assert.deepEqual((await byName(tx, "bob")).rows.map((r) => r.id), [b.AccountId]);
    });
  });

  it("lookupKey finds each key's own account, and never a disabled key", async () => {
    assert.deepEqual(await lookupKey(store.db, sealer, a.PublicKey), { accountId: a.AccountId, privateKey: a.PrivateKey });
    assert.deepEqual(await lookupKey(store.db, sealer, b.PublicKey), { accountId: b.AccountId, privateKey: b.PrivateKey });
    await store.db.updateTable("api_keys").set({ status: "disabled" }).where("public_key", "=", b.PublicKey).execute();
    assert.equal(await lookupKey(store.db, sealer, b.PublicKey), undefined);
    await store.db.updateTable("api_keys").set({ status: "active" }).where("public_key", "=", b.PublicKey).execute();
  });

  it("the guard's snapshot: only the owner's instance, its lock and its holder, and imaging", async () => {
    assert.equal(await guardSnapshot(store.db, "uhost-b1", a.AccountId, a.ProjectId), undefined, "another account's instance is not found");
    const free = await guardSnapshot(store.db, "uhost-a1", a.AccountId, a.ProjectId);
    assert.equal(free?.instance.id, "uhost-a1");
    assert.equal(free?.imaging, false);
    assert.equal(free?.lock?.holderOpId, null);
    assert.ok(free && !("lock_holder_op_id" in free.instance) && !("imaging" in free.instance), "the instance row has only its own columns");
    await store.db.insertInto("operations").values({
      id: "op-1", instance_id: "uhost-a1", account_id: a.AccountId, project_id: a.ProjectId, action: "StopCompShareInstance", request_id: "r", source: "api", requester: "k",
      status: "running", phase: "accepted", fence: 1, lock_token: 1, owner: "o", lease_expires_at: 9e12, params: "{}", checkpoint: "{}", started_at: 1, ended_at: null,
      error_code: null, error_message: "", recovered: 0, epoch: 1,
    } as never).execute();
    await store.db.updateTable("instance_locks").set({ holder_op_id: "op-1", token: 1, acquired_at: 1, expires_at: 5000 }).where("instance_id", "=", "uhost-a1").execute();
    await store.db.insertInto("images").values({
      id: "uimage-1", account_id: a.AccountId, project_id: a.ProjectId, name: "i", description: "", type: "Custom", status: "Making", source_instance_id: "uhost-a1",
      op_id: null, gpu_type: "4090", os_name: "Ubuntu", size: 50, softwares: "[]", tags: "[]", progress: 0, created_at: 1, ready_at: 0, failed_reason: "",
    } as never).execute();
    const held = await guardSnapshot(store.db, "uhost-a1", a.AccountId, a.ProjectId);
    assert.deepEqual(held?.lock, { holderOpId: "op-1", expiresAt: 5000, holderAction: "StopCompShareInstance" });
    assert.equal(held?.imaging, true);
    const narrow = await guardFields(store.db, "uhost-a1", a.AccountId, a.ProjectId);
    assert.deepEqual(narrow, { instance: { id: "uhost-a1", state: "Running", recycling: false, task: null }, imaging: true, lock: held?.lock }, "the guard's own columns tell the same");
    assert.equal(await guardFields(store.db, "uhost-b1", a.AccountId, a.ProjectId), undefined);
    const other = await guardSnapshot(store.db, "uhost-a3", a.AccountId, a.ProjectId);
    assert.equal(other?.imaging, false, "the image is of another instance");
    assert.equal(other?.lock?.holderOpId, null);
  });

  it("Describe by ids: the project's instances only, newest first, filtered and paged as before", async () => {
    const ids = (r: { rows: Array<{ id: string }>; total: number }) => [r.rows.map((x) => x.id), r.total];
    const q = { projectId: a.ProjectId, offset: 0, limit: 20 };
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-a1"] })), [["uhost-a1"], 1]);
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-b1"] })), [[], 0], "another project's instance is not listed");
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-a1", "uhost-a2", "uhost-a3", "uhost-a1", "uhost-b1"] })), [["uhost-a2", "uhost-a3", "uhost-a1"], 3]);
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-a1", "uhost-a2", "uhost-a3"], offset: 1, limit: 1 })), [["uhost-a3"], 3]);
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-a1", "uhost-a2", "uhost-a3"], zone: "cn-wlcb-02" })), [["uhost-a2"], 1]);
    assert.deepEqual(ids(await listInstances(store.db, { ...q, ids: ["uhost-a2"], zone: "cn-wlcb-01" })), [[], 0]);
  });

  it("a prepared select * goes on answering after a column is added under it (a migration while serving)", async () => {
    const account = prepared(1, (db, id: string) => db.selectFrom("accounts").selectAll().where("id", "=", id));
    // Sequential runs reuse the pool's idle connections: their statements are prepared by now.
    for (let i = 0; i < 12; i++) assert.equal((await account(store.db, a.AccountId)).rows[0]?.id, a.AccountId);
    await sql`alter table accounts add column prepared_test_extra integer`.execute(store.db);
    for (let i = 0; i < 12; i++) {
      const [row] = (await account(store.db, a.AccountId)).rows as Array<Record<string, unknown>>;
      assert.equal(row?.id, a.AccountId);
      assert.ok(row && "prepared_test_extra" in row, "the new column is in the answer");
    }
  });

  it("the sealer opens a sealed value once and answers the same after", () => {
    const sealed = sealer.seal("secret");
    assert.equal(sealer.open(sealed), "secret");
    assert.equal(sealer.open(sealed), "secret");
    assert.throws(() => sealer.open(sealed.replace(/.$/, (c) => (c === "A" ? "B" : "A"))), "a tampered value is still refused");
  });
});
