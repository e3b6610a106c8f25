/** The lock's TTL and takeover, and fencing: driven by the ManualClock, on a real SQLite file. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { REGION, startServer, type TestServer } from "../helpers/server.js";

interface Op {
  OperationId: string;
  Action: string;
  Status: string;
  Recovered: boolean;
}

describe("the instance operation lock", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_LOCK_TTL_S: "600" } });
  });
  after(async () => {
    await s.close();
  });

  const lockRow = (id: string) => s.app.store.db.selectFrom("instance_locks").selectAll().where("instance_id", "=", id).executeTakeFirstOrThrow();
  const ops = async (id: string): Promise<Op[]> =>
    (await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 })).body.OperationSet as Op[];

  it("blocks until its TTL, then can be taken over, with a larger fencing token", async () => {
    const id = await s.running();
    // A holder that died: its lock row says held for the TTL, and nothing will release it.
    const now = s.clock.now();
    const ttl = s.config.lockTtlMs;
    await s.app.store.db
      .updateTable("instance_locks")
      .set((eb) => ({ holder_op_id: "op-dead", token: eb("token", "+", 1), acquired_at: now, expires_at: now + ttl }))
      .where("instance_id", "=", id)
      .execute();
    const deadToken = Number((await lockRow(id)).token);

    const refused = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(refused.body.RetCode, 226610);
    assert.ok(refused.body.Message?.includes(new Date(now + ttl).toISOString()));

    await s.clock.advance(ttl - 1);
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 226610);

    await s.clock.advance(1);
    const accepted = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(accepted.body.RetCode, 0);
    const taken = await lockRow(id);
    assert.ok(Number(taken.token) > deadToken);
    assert.notEqual(taken.holder_op_id, "op-dead");
    await s.until(async () => (await s.state(id)) === "Running");
    // Released by its owner when the operation ended.
    assert.equal((await lockRow(id)).holder_op_id, null);
  });

  it("is never held past its TTL by a live runner: a hung driver call is cut at the deadline", async () => {
    const id = await s.running();
    await armFault(s.app.store.db, { method: "reboot", instanceId: id, mode: "hang" });
    await armFault(s.app.store.db, { method: "hardReboot", instanceId: id, mode: "hang" });
    const start = s.clock.now();
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await ops(id)).some((o) => o.Action === "RebootCompShareInstance" && o.Status === "Failed"), 5000);
    assert.ok(s.clock.now() - start < s.config.lockTtlMs, "the operation ended before the lock's TTL");
    assert.equal((await lockRow(id)).holder_op_id, null);
    assert.equal(await s.state(id), "Running");
  });

  it("refuses the writes of a runner whose fencing token is stale", async () => {
    const id = await s.running();
    await armFault(s.app.store.db, { method: "reboot", instanceId: id, mode: "slow", delayMs: 10_000 });
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    const op = (await ops(id)).find((o) => o.Action === "RebootCompShareInstance" && o.Status === "Running");
    assert.ok(op);
    await s.until(async () => {
      const row = await s.app.store.db.selectFrom("operations").select("phase").where("id", "=", op.OperationId).executeTakeFirstOrThrow();
      return row.phase === "rebooting";
    }, 10);

    // Another runner takes the operation over while this one sleeps in the driver: it bumps the
    // operation's fence and re-takes the lock, as recovery does; then it dies too (its lease
    // lapses), so that recovery here is its successor on either engine.
    await s.app.store.db.transaction().execute(async (tx) => {
      await tx
        .updateTable("operations")
        .set((eb) => ({ fence: eb("fence", "+", 1), owner: "replica-b", lease_expires_at: s.clock.now() }))
        .where("id", "=", op.OperationId)
        .execute();
      await tx.updateTable("instance_locks").set((eb) => ({ token: eb("token", "+", 1) })).where("instance_id", "=", id).execute();
    });
    const fenceAfterTakeover = Number(
      (await s.app.store.db.selectFrom("operations").select("fence").where("id", "=", op.OperationId).executeTakeFirstOrThrow()).fence,
    );

    // The first runner wakes up and tries to record success: refused.
    await s.until(async () => s.logs.some((l) => l.includes("taken over by another runner") && l.includes(op.OperationId)));
    const row = await s.app.store.db.selectFrom("operations").selectAll().where("id", "=", op.OperationId).executeTakeFirstOrThrow();
    assert.equal(row.status, "running", "the stale runner did not end the operation");
    assert.equal(Number(row.fence), fenceAfterTakeover);
    assert.equal(await s.state(id), "Rebooting", "the stale runner did not write the state");

    // Recovery (the successor) finishes it, once.
    const report = await s.app.recovery.pass();
    assert.equal(report.resumed, 1);
    await s.until(async () => (await s.state(id)) === "Running");
    const done = (await ops(id)).filter((o) => o.OperationId === op.OperationId);
    assert.equal(done.length, 1);
    assert.equal(done[0]?.Status, "Succeeded");
    assert.equal(done[0]?.Recovered, true);
  });
});
