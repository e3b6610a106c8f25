/**
 * Operation ids sort in the order they were made (a UUIDv7 with a counter): operations started in
 * the same millisecond are listed in a fixed order, newest first, not at random.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newOperationId } from "../../packages/server/src/operations/operation-id.js";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";

const UUID7 = /^op-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("operation ids", () => {
  it("are UUIDv7 that sort in the order they were made, within a millisecond and across 4096 of them", () => {
    const at = Date.UTC(2026, 11, 7);
    const ids = Array.from({ length: 5000 }, () => newOperationId(at));
    for (const id of ids) assert.match(id, UUID7);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    // A clock that steps back never makes an id that sorts before the last.
    const back = newOperationId(at - 60_000);
    assert.ok(back > (ids.at(-1) as string));
  });

  const s = serverForSuite();
  it("list two policy steps taken in the same millisecond newest first, whatever their random part", async () => {
    const created = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    const id = (created.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    await s.stop(id);
    // 6.5 days stopped: the day-3 and the day-6 warnings are due; two passes take them, the clock still.
    await s.clock.advance(6.5 * 86_400_000);
    await s.app.policies.pass();
    await s.app.policies.pass();
    const ops = (await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as Array<{ Action: string; Source: string; StartTime: number; OperationId: string }>;
    const warnings = ops.filter((o) => o.Source === "policy");
    assert.equal(warnings.length, 2, JSON.stringify(ops));
    assert.equal(warnings[0]?.StartTime, warnings[1]?.StartTime, "taken in the same millisecond");
    assert.deepEqual(warnings.map((o) => o.Action), ["ReclaimPolicyNotice", "ReclaimPolicyNotice"]);
    const all = ops.map((o) => o.OperationId);
    assert.deepEqual(all, [...all].sort().reverse(), "newest first is the ids' order");
  });
});
