/**
 * Faults over the wire: ArmCompShareFault arms what the simulated driver applies (fail with the
 * message asked, hang until the operation gives up, a set number of times, on one instance or on
 * any), DescribeCompShareFaults counts the calls each caught, ClearCompShareFaults clears one or
 * all. A hung soft reboot is cut by the soft timeout once AdvanceCompShareClock passes it, and
 * the reboot ends hard, with a new boot.
 */
import assert from "node:assert/strict";
import type { Fault } from "@opencompshare/protocol";
import { describe, it } from "node:test";
import { REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { helpers } from "../operations/helpers.js";


describe("faults armed over the wire", () => {
  const s = serverForSuite({ env: { OCS_TESTING: "1", OCS_SOFT_TIMEOUT_MS: "30000", OCS_LOCK_TTL_S: "300" } });
  const h = helpers(() => s);

  const faults = async (): Promise<Fault[]> => {
    const res = await s.call("DescribeCompShareFaults");
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    assert.equal(res.body.TotalCount, (res.body.FaultSet as Fault[]).length);
    return res.body.FaultSet as Fault[];
  };
  const arm = async (params: Record<string, string | number>): Promise<string> => {
    const res = await s.call("ArmCompShareFault", params);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    assert.match(String(res.body.FaultId), /^flt-/);
    return String(res.body.FaultId);
  };
  const bootCount = async (id: string) => (await s.app.services.machines.status(id, { signal: new AbortController().signal })).bootCount;

  it("a fail fault fails the reboot with its message, as many times as armed, then the reboot works", async () => {
    const id = await s.running();
    const faultId = await arm({ Method: "reboot", Mode: "fail", UHostId: id, Times: 2, Message: "the GPU fell off the bus" });
    for (let i = 1; i <= 2; i++) {
      const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
      const { op } = await h.ended(id, res);
      h.assertFailed(op, /the GPU fell off the bus/);
      const [fault] = (await faults()).filter((f) => f.FaultId === faultId);
      assert.deepEqual([fault?.Fired, fault?.Remaining, fault?.Times], [i, 2 - i, 2]);
    }
    const third = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal((await h.ended(id, third)).op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
  });

  it("a fault on one instance leaves the others alone", async () => {
    const [a, b] = [await s.running(), await s.running()];
    await arm({ Method: "reboot", Mode: "fail", UHostId: a });
    const rb = await s.call("RebootCompShareInstance", { ...REGION, UHostId: b });
    assert.equal((await h.ended(b, rb)).op.Status, "Succeeded");
    const ra = await s.call("RebootCompShareInstance", { ...REGION, UHostId: a });
    assert.equal((await h.ended(a, ra)).op.Status, "Failed");
  });

  it("a hung soft reboot falls back to a hard one once the clock passes the soft timeout: a new boot", async () => {
    await s.call("ClearCompShareFaults");
    const id = await s.running();
    const boots = await bootCount(id);
    const faultId = await arm({ Method: "reboot", Mode: "hang", UHostId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    assert.equal(await s.state(id), "Rebooting");
    // Caught by the hang; a second reboot meanwhile answers the lock.
    const locked = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(locked.body.RetCode, 226610);
    assert.equal((await faults()).find((f) => f.FaultId === faultId)?.Fired, 1);
    const advanced = await s.call("AdvanceCompShareClock", { Seconds: 31 });
    assert.equal(advanced.body.RetCode, 0, JSON.stringify(advanced.body));
    const { op, phases } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded", JSON.stringify(op));
    assert.ok(phases.length > 0);
    assert.equal(await s.state(id), "Running");
    assert.ok((await bootCount(id)) > boots, "the hard reboot booted the machine again");
  });

  it("clears one fault by id, then all; an unknown id is refused with 230", async () => {
    await s.call("ClearCompShareFaults");
    const one = await arm({ Method: "powerOn", Mode: "slow", DelayMs: 5000 });
    await arm({ Method: "snapshot", Mode: "fail" });
    const listed = await faults();
    assert.deepEqual(
      listed.map((f) => [f.Method, f.Mode, f.UHostId, f.Remaining]).sort(),
      [
        ["powerOn", "slow", "", 1],
        ["snapshot", "fail", "", 1],
      ],
    );
    const cleared = await s.call("ClearCompShareFaults", { FaultId: one });
    assert.equal(cleared.body.Cleared, 1);
    assert.deepEqual((await faults()).map((f) => f.Method), ["snapshot"]);
    const unknown = await s.call("ClearCompShareFaults", { FaultId: one });
    assert.equal(unknown.body.RetCode, 230);
    assert.match(String(unknown.body.Message), /no fault/);
    assert.equal((await s.call("ClearCompShareFaults")).body.Cleared, 1);
    assert.deepEqual(await faults(), []);
  });
});
