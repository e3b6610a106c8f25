/**
 * The recycle rules as pure functions: every row of the table per charge type, the three worked
 * examples of the deletion window, and the 7-day rule. Local time is China's (UTC+8).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inWindow, nextStep, nextWindowOpening, planFor, reclaimTime, type Plan } from "../../packages/server/src/domain/reclaim-timeline.js";

const CST = 480;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A local (UTC+8) wall-clock time on 2026-12-01 plus `days`. */
const local = (hh: number, mm = 0, days = 0): number => Date.UTC(2026, 11, 1 + days, hh, mm) - CST * MIN;
const stepAt = (plan: Plan | undefined, step: string): number | undefined => plan?.steps.find((s) => s.step === step)?.at;
const offsets = (plan: Plan | undefined) => Object.fromEntries((plan?.steps ?? []).map((s) => [s.step, (s.at - (plan as Plan).t0) / MIN]));

describe("the recycle table, per charge type", () => {
  // t0 at 12:00 local (08:00 for a day's period): every stop falls inside the deletion window,
  // so each reclaim is at its offset and each row reads as the table says.
  const t0 = local(12);
  const arrears = (chargeType: string) => planFor({ chargeType, state: "Running", expireTime: 0, arrearsSince: t0, stopTime: 0 }, CST);
  const expiry = (chargeType: string, at = t0) => planFor({ chargeType, state: "Running", expireTime: at, arrearsSince: 0, stopTime: 0 }, CST);

  it("pay-as-you-go (Postpay, and Spot, which runs as it): notice t0, stop warning +30 min, stop +1 h, reclaim warning +90 min, reclaim +12 h", () => {
    for (const type of ["Postpay", "Spot"]) {
      const plan = arrears(type);
      assert.equal(plan?.timeline, "arrears");
      assert.deepEqual(offsets(plan), { "expiry-notice": 0, "stop-warning": 30, stop: 60, "reclaim-warning": 90, reclaim: 720 });
    }
  });

  it("by the hour (Dynamic): no reminder; notice t0, +30 min, +1 h, +90 min, reclaim +4 h", () => {
    const plan = expiry("Dynamic");
    assert.equal(plan?.timeline, "expiry");
    assert.deepEqual(offsets(plan), { "expiry-notice": 0, "stop-warning": 30, stop: 60, "reclaim-warning": 90, reclaim: 240 });
  });

  it("by the day: reminder 8 h before; notice t0, +4 h, +8 h, +10 h, reclaim +12 h", () => {
    assert.deepEqual(offsets(expiry("Day", local(8))), { "expiry-reminder": -480, "expiry-notice": 0, "stop-warning": 240, stop: 480, "reclaim-warning": 600, reclaim: 720 });
  });

  it("by the month (and the year, bought as months): reminder 3 days before; notice t0, +12 h, +24 h, +36 h, reclaim +48 h", () => {
    for (const type of ["Month", "Year"]) {
      assert.deepEqual(offsets(expiry(type)), { "expiry-reminder": -3 * 1440, "expiry-notice": 0, "stop-warning": 720, stop: 1440, "reclaim-warning": 2160, reclaim: 2880 });
    }
  });

  it("by the day with t0 at 12:00: the stop at 20:00 and the reclaim at 00:00 are outside the window, so the reclaim waits for 10:00", () => {
    assert.equal(stepAt(expiry("Day"), "reclaim"), local(10, 0, 1));
  });

  it("a prepaid instance has no arrears timeline, and a pay-as-you-go one no expiry", () => {
    assert.equal(planFor({ chargeType: "Month", state: "Running", expireTime: 0, arrearsSince: t0, stopTime: 0 }, CST), undefined);
    assert.equal(planFor({ chargeType: "Postpay", state: "Running", expireTime: t0, arrearsSince: 0, stopTime: 0 }, CST), undefined);
    assert.equal(planFor({ chargeType: "Other", state: "Running", expireTime: t0, arrearsSince: t0, stopTime: 0 }, CST), undefined);
  });

  it("arrears come before the 7-day rule: a stopped instance with unpaid orders follows the arrears timeline", () => {
    const plan = planFor({ chargeType: "Postpay", state: "Stopped", expireTime: 0, arrearsSince: t0, stopTime: t0 - DAY }, CST);
    assert.equal(plan?.timeline, "arrears");
  });
});

describe("deletions only in the daily 10:00–18:59 window (the document's three examples)", () => {
  const postpay = (t0: number) => planFor({ chargeType: "Postpay", state: "Running", expireTime: 0, arrearsSince: t0, stopTime: 0 }, CST);

  it("user A: in arrears at 10:00, stopped at 11:00 (in the window): deleted at 22:00 the same day", () => {
    const plan = postpay(local(10));
    assert.equal(stepAt(plan, "stop"), local(11));
    assert.equal(stepAt(plan, "reclaim"), local(22));
  });

  it("user B: in arrears at 16:30, stopped at 17:30 (in the window): deleted at 04:30 the next day", () => {
    const plan = postpay(local(16, 30));
    assert.equal(stepAt(plan, "stop"), local(17, 30));
    assert.equal(stepAt(plan, "reclaim"), local(4, 30, 1));
  });

  it("user C: in arrears at 19:00, stopped at 20:00 (outside): not at 07:00 but at 10:00 the next day", () => {
    const plan = postpay(local(19));
    assert.equal(stepAt(plan, "stop"), local(20));
    assert.equal(stepAt(plan, "reclaim"), local(10, 0, 1));
  });

  it("the window's edges: 10:00 and 18:59 are in, 09:59 and 19:00 are out", () => {
    assert.equal(inWindow(local(10), CST), true);
    assert.equal(inWindow(local(18, 59), CST), true);
    assert.equal(inWindow(local(9, 59), CST), false);
    assert.equal(inWindow(local(19), CST), false);
    assert.equal(nextWindowOpening(local(10), CST), local(10));
    assert.equal(nextWindowOpening(local(10, 1), CST), local(10, 0, 1));
    assert.equal(nextWindowOpening(local(3), CST), local(10));
    // Stopped outside, but due inside: at its due time.
    assert.equal(reclaimTime(local(1), local(12), CST), local(12));
  });
});

describe("pay-as-you-go instances stopped 7 days", () => {
  const stopped = (stopTime: number, arrearsSince = 0) => planFor({ chargeType: "Postpay", state: "Stopped", expireTime: 0, arrearsSince, stopTime }, CST);

  it("warns on days 3 and 6 and reclaims at 12:00 on day 7, the stop's day being day 0", () => {
    const plan = stopped(local(15, 20));
    assert.equal(plan?.timeline, "stopped");
    assert.deepEqual(plan?.steps, [
      { step: "stopped-day-3-warning", at: local(12, 0, 3) },
      { step: "stopped-day-6-warning", at: local(12, 0, 6) },
      { step: "reclaim", at: local(12, 0, 7) },
    ]);
  });

  it("counts again from the next stop: a new stop time is a new run of the timeline", () => {
    const first = stopped(local(9));
    const second = stopped(local(9, 0, 5));
    assert.notEqual(first?.key, second?.key);
    assert.equal(stepAt(second, "reclaim"), local(12, 0, 12));
    // A step taken on the first run does not carry over.
    assert.equal(nextStep(second as Plan, first?.key ?? "", "stopped-day-6-warning")?.step, "stopped-day-3-warning");
  });

  it("applies only to a Stopped pay-as-you-go instance", () => {
    assert.equal(planFor({ chargeType: "Postpay", state: "Running", expireTime: 0, arrearsSince: 0, stopTime: local(9) }, CST), undefined);
    assert.equal(planFor({ chargeType: "Month", state: "Stopped", expireTime: local(9, 0, 30), arrearsSince: 0, stopTime: local(9) }, CST)?.timeline, "expiry");
  });
});

describe("the next step", () => {
  it("walks the steps in order and ends after the reclaim", () => {
    const plan = planFor({ chargeType: "Postpay", state: "Running", expireTime: 0, arrearsSince: local(12), stopTime: 0 }, CST) as Plan;
    const seen: string[] = [];
    for (let s = nextStep(plan, "", ""); s; s = nextStep(plan, plan.key, s.step)) seen.push(s.step);
    assert.deepEqual(seen, ["expiry-notice", "stop-warning", "stop", "reclaim-warning", "reclaim"]);
  });
});
