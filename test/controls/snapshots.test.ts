/**
 * Snapshots and the reset, on the engine under test (SQLite's backup API, or a PostgreSQL schema):
 * a save holds the whole state (instances, ledger, clock, faults) and a restore puts it back;
 * names are checked, an existing one is replaced only when asked; operations in flight are
 * waited for and then refused with 226610; a reset leaves a fresh server with the same operator
 * keys, ids and balance, and keeps the snapshots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";

describe("snapshots and the reset", () => {
  const s = serverForSuite({ env: { OCS_TESTING: "1", OCS_SOFT_TIMEOUT_MS: "60000", OCS_LOCK_TTL_S: "600" } });

  const ok = async (action: string, params: Record<string, string | number | boolean> = {}) => {
    const res = await s.call(action, params);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const ids = async () => ((await ok("DescribeCompShareInstance", { ...REGION, Limit: 100 })).UHostSet as Array<{ UHostId: string }>).map((i) => i.UHostId).sort();
  const balance = async () => (await ok("DescribeCompShareBills", { Limit: 1 })).Balance as number;
  const offset = async () => (await ok("DescribeCompShareClock")).OffsetSeconds as number;

  it("saves the state, and a restore puts instances, ledger, clock and faults back", async () => {
    const kept = await s.running();
    // A fault no test here triggers (a custom image's snapshot), held by the snapshot.
    await ok("ArmCompShareFault", { Method: "snapshot", Mode: "fail" });
    await ok("AdvanceCompShareClock", { Seconds: 600 });
    const before = { ids: await ids(), balance: await balance(), offset: await offset() };
    const saved = await ok("SaveCompShareSnapshot", { Name: "base-1.0" });
    assert.equal(saved.Name, "base-1.0");
    assert.ok((saved.Size as number) > 0);
    // Change everything the snapshot holds.
    const extra = await s.running();
    await s.stop(kept);
    await ok("TerminateCompShareInstance", { ...REGION, UHostId: kept });
    await ok("ClearCompShareFaults");
    await s.until(async () => (await ids()).length === 1);
    await ok("AdvanceCompShareClock", { Seconds: 7200 });
    assert.deepEqual(await ids(), [extra]);
    const restored = await ok("RestoreCompShareSnapshot", { Name: "base-1.0" });
    assert.equal(restored.Name, "base-1.0");
    assert.deepEqual(await ids(), before.ids);
    assert.equal(await s.state(kept), "Running");
    assert.equal(await balance(), before.balance);
    assert.equal(await offset(), before.offset);
    assert.equal(((await ok("DescribeCompShareFaults")).FaultSet as unknown[]).length, 1);
    // The restored instance works: the machine's state came back with it.
    await ok("RebootCompShareInstance", { ...REGION, UHostId: kept });
    await s.until(async () => (await s.state(kept)) === "Running");
    await ok("ClearCompShareFaults");
  });

  it("lists, replaces only with Overwrite, deletes, and names the snapshot it does not know", async () => {
    const exists = await s.call("SaveCompShareSnapshot", { Name: "base-1.0" });
    assert.equal(exists.body.RetCode, 230);
    assert.match(String(exists.body.Message), /exists already.*Overwrite/);
    await ok("SaveCompShareSnapshot", { Name: "base-1.0", Overwrite: true });
    await ok("SaveCompShareSnapshot", { Name: "second" });
    const listed = await ok("DescribeCompShareSnapshots");
    assert.deepEqual((listed.SnapshotSet as Array<{ Name: string }>).map((x) => x.Name).sort(), ["base-1.0", "second"]);
    await ok("DeleteCompShareSnapshot", { Name: "second" });
    for (const action of ["RestoreCompShareSnapshot", "DeleteCompShareSnapshot"]) {
      const res = await s.call(action, { Name: "second" });
      assert.equal(res.body.RetCode, 230, action);
      assert.match(String(res.body.Message), /no snapshot named second/);
    }
    assert.equal((await ok("DescribeCompShareSnapshots")).TotalCount, 1);
  });

  it("waits for operations in flight, then refuses with 226610 naming them; restores once they end", async () => {
    const id = await s.running();
    await ok("ArmCompShareFault", { Method: "reboot", Mode: "hang", UHostId: id });
    await ok("RebootCompShareInstance", { ...REGION, UHostId: id });
    const before = await ids();
    for (const [action, params] of [
      ["SaveCompShareSnapshot", { Name: "mid-flight" }],
      ["RestoreCompShareSnapshot", { Name: "base-1.0" }],
      ["ResetCompShareState", {}],
    ] as const) {
      const res = await s.call(action, params);
      assert.equal(res.body.RetCode, 226610, `${action}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.Message), new RegExp(`RebootCompShareInstance of ${id}`));
    }
    assert.deepEqual(await ids(), before, "nothing was replaced");
    // The hang ends at the soft timeout: the reboot goes on hard, and the state may be replaced again.
    await ok("AdvanceCompShareClock", { Seconds: 61 });
    await s.until(async () => (await s.state(id)) === "Running");
    await s.until(async () => (await s.call("SaveCompShareSnapshot", { Name: "after-hang" })).body.RetCode === 0);
  });

  it("resets to a fresh server: the same keys, project and balance; no instances, faults or offset; snapshots kept", async () => {
    const project = ((await ok("GetProjectList")).ProjectSet as Array<{ ProjectId: string }>)[0]?.ProjectId;
    await ok("ArmCompShareFault", { Method: "status", Mode: "slow", DelayMs: 10 });
    const other = await s.account("someone");
    assert.ok(other.PublicKey);
    const fresh = await ok("ResetCompShareState");
    assert.ok((fresh.DurationMs as number) >= 0);
    assert.deepEqual(await ids(), []);
    assert.equal(await offset(), 0);
    assert.equal(((await ok("DescribeCompShareFaults")).FaultSet as unknown[]).length, 0);
    assert.equal(await balance(), 1_000_000);
    const bills = (await ok("DescribeCompShareBills", { Limit: 100 })).BillSet as Array<{ Kind: string }>;
    assert.deepEqual(bills.map((b) => b.Kind), ["opening"]);
    assert.equal(((await ok("GetProjectList")).ProjectSet as Array<{ ProjectId: string }>)[0]?.ProjectId, project);
    const gone = await s.call("DescribeCompShareInstance", REGION, { PublicKey: other.PublicKey, PrivateKey: other.PrivateKey });
    assert.equal(gone.body.RetCode, 172, "the other account is gone with its keys");
    assert.deepEqual(((await ok("DescribeCompShareSnapshots")).SnapshotSet as Array<{ Name: string }>).map((x) => x.Name).sort(), ["after-hang", "base-1.0"]);
    // A fresh server works: an instance is made and runs.
    const created = await ok("CreateCompShareInstance", CREATE);
    const id = (created.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    // And the snapshot saved before the reset still restores.
    await s.stop(id);
    await ok("RestoreCompShareSnapshot", { Name: "base-1.0" });
    const back = await ids();
    assert.equal(back.length, 1, "base-1.0 was saved (again) with the first test's one instance");
    assert.ok(!back.includes(id));
  });
});
