/**
 * AdvanceCompShareClock: the server's clock moves forward by the seconds asked, never back, and
 * the due work of the new time is done before the answer: hours billed, a stopped pay-as-you-go
 * instance reclaimed after its 7 days, a prepaid one renewed, a scheduled stop taken. DescribeCompShareClock agrees.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CREATE, REGION } from "../helpers/server.js";
import { settle } from "@opencompshare/server/testing";
import { serverForSuite } from "../helpers/suite.js";

const DAY = 86_400;

interface AdvanceAnswer {
  TimeMs: number;
  OffsetSeconds: number;
  Billed: number;
  Renewed: number;
  PolicySteps: number;
  ScheduledStops: number;
  OperationsSettled: number;
}

describe("AdvanceCompShareClock", () => {
  const s = serverForSuite({ env: { OCS_TESTING: "1" } });

  const clock = async () => {
    const res = await s.call("DescribeCompShareClock");
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return res.body as unknown as { Time: number; TimeMs: number; OffsetSeconds: number };
  };
  /**
   * The server's base clock is the suite's ManualClock: the simulated machines' own durations (a
   * reclaim powers off and destroys) pass only as it moves, so it is stepped until the answer comes.
   */
  const advance = async (seconds: number) => {
    let answered = false;
    const call = s.call("AdvanceCompShareClock", { Seconds: seconds }).finally(() => (answered = true));
    const base = s.clock.now();
    while (!answered) {
      await settle();
      await s.clock.advance(250);
    }
    const res = await call;
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    // What the steps moved is not the advance: the offset is.
    assert.equal(res.body.OffsetSeconds, seconds + offsetSoFar, JSON.stringify(res.body));
    offsetSoFar += seconds;
    stepped += s.clock.now() - base;
    return res.body as unknown as AdvanceAnswer;
  };
  let offsetSoFar = 0;
  let stepped = 0;
  const bills = async (kind: string) => {
    const res = await s.call("DescribeCompShareBills", { Kind: kind, Limit: 100 });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return res.body.BillSet as Array<{ ResourceId: string; Amount: number }>;
  };
  const exists = async (id: string) => ((await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id })).body.TotalCount as number) > 0;

  it("moves the time by the seconds asked, fractions included, and the offset with it", async () => {
    const before = await clock();
    assert.equal(before.OffsetSeconds, 0);
    const r = await advance(90.5);
    assert.equal(r.OffsetSeconds, 90.5);
    // The answer's time is the jump plus what the base clock was stepped while it was coming.
    assert.ok(r.TimeMs >= before.TimeMs + 90_500 && r.TimeMs <= before.TimeMs + 90_500 + stepped, JSON.stringify(r));
    const after = await clock();
    assert.equal(after.TimeMs, s.clock.now() + 90_500, "the server's time is the base clock's plus the offset");
    assert.equal(after.Time, Math.floor(after.TimeMs / 1000));
    assert.equal(after.OffsetSeconds, 90.5);
  });

  it("bills the hours of a running pay-as-you-go instance before it answers", async () => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    const r = await advance(3 * 3600);
    assert.ok(r.Billed >= 3, JSON.stringify(r));
    const hours = (await bills("hour")).filter((b) => b.ResourceId === id);
    assert.ok(hours.length >= 3, `3 hours billed, got ${hours.length}`);
    for (const h of hours) assert.ok(h.Amount < 0);
  });

  it("reclaims a pay-as-you-go instance stopped for 7 days: gone when the answer comes", async () => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    await s.stop(id);
    await advance(6 * DAY);
    assert.ok(await exists(id), "still there after 6 days");
    const r = await advance(DAY + 3600);
    assert.ok(r.PolicySteps >= 1, JSON.stringify(r));
    assert.ok(r.OperationsSettled >= 1, JSON.stringify(r));
    assert.equal(await exists(id), false, "reclaimed after 7 days stopped");
  });

  it("renews a prepaid instance when its period ends", async () => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Day" });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
    const expire = async () => ((await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id })).body.UHostSet as Array<{ ExpireTime: number }>)[0]?.ExpireTime ?? 0;
    const first = await expire();
    const r = await advance(DAY + 60);
    assert.ok(r.Renewed >= 1, JSON.stringify(r));
    assert.ok((await expire()) > first, "the expiry moved a period on");
    assert.ok((await bills("renew")).some((b) => b.ResourceId === id));
  });

  it("takes a scheduled stop whose time the advance passed: Stopped when the answer comes", async () => {
    const id = await s.running();
    const now = (await clock()).Time;
    const scheduled = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, SchedulerStopTime: now + 3600 });
    assert.equal(scheduled.body.RetCode, 0, JSON.stringify(scheduled.body));
    const r = await advance(2 * 3600);
    assert.equal(r.ScheduledStops, 1, JSON.stringify(r));
    assert.ok(r.OperationsSettled >= 1, JSON.stringify(r));
    assert.equal(await s.state(id), "Stopped");
  });

  it("only goes forward: the offset after all of this is the sum of the advances", async () => {
    assert.equal((await clock()).OffsetSeconds, 90.5 + 3 * 3600 + 7 * DAY + 3600 + DAY + 60 + 2 * 3600);
  });
});
