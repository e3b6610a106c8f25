/**
 * The reclaim policy against a real server on the ManualClock: arrears, expiry per charge type,
 * the 7-day rule, top-ups and renewals, and the seed's rules around a reclaim. Days pass in
 * milliseconds; nothing sleeps.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { planFor } from "../../packages/server/src/domain/reclaim-timeline.js";
import { advanceTo, balance, CST, DAY, historyOf, HOUR, localMinute, MIN, policyOf, runningInstance, setBalance, stepsOf, topUp, walk } from "./helpers.js";

const POSTPAY = { ChargeType: "Postpay" };

describe("the reclaim policy: arrears of a pay-as-you-go instance", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "0" } });
  });
  after(() => s.close());

  it("starts at the first unpaid hour: notice, stop warning after 30 min, the stop after 1 h; a Start is then refused with 226601", async () => {
    const id = await runningInstance(s, POSTPAY);
    await s.clock.advance(HOUR);
    await s.app.policies.pass();
    let p = await policyOf(s, id);
    assert.equal(p.Timeline, "arrears");
    assert.ok(p.UnpaidAmount > 0, "the first hour is unpaid");
    const t0 = p.ArrearsSince * 1000;
    assert.equal(p.TimelineStart, p.ArrearsSince);
    assert.equal(p.LastStep, "expiry-notice");
    assert.equal(p.NextStep, "stop-warning");

    await advanceTo(s, t0 + 30 * MIN + 1000);
    await s.app.policies.pass();
    assert.equal((await policyOf(s, id)).LastStep, "stop-warning");
    assert.equal(await s.state(id), "Running");

    await advanceTo(s, t0 + HOUR + 1000);
    await s.app.policies.pass();
    await s.until(async () => (await s.state(id)) === "Stopped");
    p = await policyOf(s, id);
    assert.equal(p.LastStep, "stop");
    assert.equal(p.NextStep, "reclaim-warning");
    const stop = (await historyOf(s, id)).find((o) => o.Action === "StopCompShareInstance");
    assert.equal(stop?.Status, "Succeeded");
    assert.match(stop?.RequestId ?? "", /^policy:arrears:\d+:stop$/);

    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 226601, JSON.stringify(start.body));
    assert.match(String(start.body.Message), /^InArrears: /);
  });

  it("a top-up that clears the arrears before the reclaim ends the timeline; the instance may start again", async () => {
    const [id] = (await s.call("DescribeCompShareInstance", REGION)).body.UHostSet as Array<{ UHostId: string }>;
    const before = await policyOf(s, id!.UHostId);
    const owed = before.UnpaidAmount;
    const result = await topUp(s, owed + 100);
    assert.equal(result.Unpaid, 0);
    assert.deepEqual(result.ClearedInstances, [id!.UHostId]);
    assert.ok(result.PaidOrders >= 1);
    const p = await policyOf(s, id!.UHostId);
    assert.equal(p.UnpaidAmount, 0);
    assert.equal(p.ArrearsSince, 0);
    // A stopped pay-as-you-go instance with nothing unpaid is on the 7-day rule now.
    assert.equal(p.Timeline, "stopped");
    assert.equal(p.Balance, Math.round((owed + 100 - owed) * 100) / 100);
    // Past the old reclaim time nothing happens to it.
    await s.clock.advance(13 * HOUR);
    await s.app.policies.pass();
    assert.equal(await s.state(id!.UHostId), "Stopped");
    assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id!.UHostId })).body.RetCode, 0);
    await s.until(async () => (await s.state(id!.UHostId)) === "Running");
    await s.stop(id!.UHostId);
    await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id!.UHostId });
    await s.until(async () => (await s.state(id!.UHostId)) === undefined);
  });

  it("runs to the reclaim: the data disk is detached and kept, a reboot meanwhile gets the seed's errors, and every step is in the history once", async () => {
    await balance(s).then((b) => assert.ok(b.Balance >= 0));
    // Spend the balance down to nothing, so that the first hour goes unpaid.
    const { Balance } = await balance(s);
    const id = await runningInstance(s, POSTPAY);
    const disk = await s.call("CreateAndAttachCompshareDisk", { ...REGION, UHostId: id, Size: 50, DiskType: "SSDDataDisk", Name: "keep-me", ChargeType: "Postpay" });
    assert.equal(disk.body.RetCode, 0, JSON.stringify(disk.body));
    const diskId = (disk.body.UDiskId as string) ?? ((disk.body.UDiskIds as string[] | undefined)?.[0] as string);
    await s.until(async () => {
      const d = await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: diskId });
      return (d.body.DiskSet as Array<{ Status: string }>)[0]?.Status === "InUse";
    });
    // Hours until the balance runs out, then one more.
    for (let i = 0; i < 200 && (await policyOf(s, id)).ArrearsSince === 0; i++) {
      await s.clock.advance(HOUR);
      await s.app.policies.pass();
    }
    const p = await policyOf(s, id);
    assert.ok(p.ArrearsSince > 0, `in arrears once ${Balance} CNY are spent`);
    const t0 = p.ArrearsSince * 1000;
    const plan = planFor({ chargeType: "Postpay", state: "Running", expireTime: 0, arrearsSince: t0, stopTime: 0 }, CST);
    const reclaimAt = plan?.steps.find((x) => x.step === "reclaim")?.at as number;

    await advanceTo(s, reclaimAt - 10 * MIN);
    await s.app.policies.pass();
    await s.until(async () => (await s.state(id)) === "Stopped");
    await s.app.policies.pass();
    assert.equal((await policyOf(s, id)).NextStep, "reclaim", "nothing is reclaimed before its time");
    assert.equal(await s.state(id), "Stopped");

    await advanceTo(s, reclaimAt + 1000);
    await s.app.policies.pass();
    // From now on the instance is being reclaimed: a reboot is refused while the reclaim holds
    // the lock (226610), then because it is being reclaimed (226612); never accepted.
    const answers = new Set<number>();
    for (let i = 0; i < 400 && (await s.state(id)) !== undefined; i++) {
      const r = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
      if (r.body.RetCode !== 8039) answers.add(r.body.RetCode as number);
      await s.clock.advance(100);
    }
    assert.equal(await s.state(id), undefined, "released");
    assert.ok(answers.has(226612), `a reboot during the reclaim answers InstanceRecycling: ${[...answers].join(", ")}`);
    assert.deepEqual([...answers].filter((c) => c !== 226610 && c !== 226612), []);

    const steps = await stepsOf(s, id);
    assert.deepEqual(steps, ["expiry-notice", "stop-warning", "stop", "reclaim-warning", "reclaim"]);
    const reclaim = (await historyOf(s, id)).find((o) => o.Action === "ReclaimCompShareInstance");
    assert.equal(reclaim?.Status, "Succeeded");

    const d = await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: diskId });
    const kept = (d.body.DiskSet as Array<{ Status: string; UHostId?: string }>)[0];
    assert.equal(kept?.Status, "Available", "the data disk is detached, not deleted");
  });
});

describe("the reclaim policy: expiry of prepaid instances", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "0" } });
  });
  after(() => s.close());

  for (const [chargeType, expected] of [
    ["Dynamic", ["expiry-notice", "stop-warning", "stop", "reclaim-warning", "reclaim"]],
    ["Day", ["expiry-reminder", "expiry-notice", "stop-warning", "stop", "reclaim-warning", "reclaim"]],
    ["Month", ["expiry-reminder", "expiry-notice", "stop-warning", "stop", "reclaim-warning", "reclaim"]],
  ] as const) {
    it(`${chargeType}: every step of the table at its time and not before, counted from ExpireTime; an expired instance may not start (226602)`, async () => {
      // The first period is paid at Create; with nothing left, it cannot renew.
      await setBalance(s, 5000);
      const id = await runningInstance(s, { ChargeType: chargeType, Quantity: 1 });
      await setBalance(s, 0);
      const first = await policyOf(s, id);
      assert.equal(first.Timeline, "expiry");
      assert.equal(first.TimelineStart, first.ExpireTime);
      const t0 = first.ExpireTime * 1000;
      const plan = planFor({ chargeType, state: "Running", expireTime: t0, arrearsSince: 0, stopTime: 0 }, CST);
      const taken = await walk(s, id);
      assert.deepEqual(taken.map((x) => x.step), expected);
      for (const x of taken) assert.equal(x.at, Math.floor((plan?.steps.find((p) => p.step === x.step)?.at as number) / 1000) * 1000);
      assert.deepEqual(await stepsOf(s, id), expected);
    });
  }

  it("refuses to start an expired instance with 226602", async () => {
    const id = await runningInstance(s, { ChargeType: "Dynamic", Quantity: 1 });
    const t0 = (await policyOf(s, id)).ExpireTime * 1000;
    await advanceTo(s, t0 + HOUR + 1000);
    await s.app.policies.pass();
    await s.until(async () => (await s.state(id)) === "Stopped");
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 226602);
    assert.match(String(start.body.Message), /^InstanceExpired: /);
  });

  it("AutoRenew renews from the balance at expiry (no notice); a top-up after the stop renews and ends the timeline", async () => {
    await topUp(s, 10);
    const id = await runningInstance(s, { ChargeType: "Dynamic", Quantity: 1 });
    const p0 = await policyOf(s, id);
    const before = p0.Balance;
    await advanceTo(s, p0.ExpireTime * 1000 + 1000);
    await s.app.policies.pass();
    const p1 = await policyOf(s, id);
    assert.equal(p1.ExpireTime, p0.ExpireTime + 3600, "renewed for an hour");
    assert.ok(p1.Balance < before, "paid from the balance");
    assert.deepEqual(await stepsOf(s, id), []);

    // Spend it all, then let the instance expire and stop.
    const { Balance } = await balance(s);
    await setBalance(s, 0);
    await advanceTo(s, p1.ExpireTime * 1000 + HOUR + 1000);
    await s.app.policies.pass();
    await s.until(async () => (await s.state(id)) === "Stopped");
    assert.deepEqual(await stepsOf(s, id), ["expiry-notice", "stop-warning", "stop"]);
    await topUp(s, Balance + 5);
    await s.app.policies.pass();
    const p2 = await policyOf(s, id);
    assert.ok(p2.ExpireTime * 1000 > s.clock.now(), "renewed after the top-up");
    assert.equal(p2.Timeline, "expiry");
    assert.equal(p2.LastStep, "", "a new period is a new run of the timeline");
    assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
  });
});

describe("the reclaim policy: pay-as-you-go instances stopped 7 days", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  it("warns on days 3 and 6 and reclaims at 12:00 local on day 7; a start resets the count", async () => {
    const id = await runningInstance(s, POSTPAY);
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    const first = await policyOf(s, id);
    assert.equal(first.Timeline, "stopped");
    assert.equal(first.NextStep, "stopped-day-3-warning");
    assert.equal(localMinute(first.NextStepTime * 1000), 12 * 60);
    await advanceTo(s, first.NextStepTime * 1000 + 1000);
    await s.app.policies.pass();
    assert.equal((await policyOf(s, id)).LastStep, "stopped-day-3-warning");

    // Started and stopped again: the 7 days count from the new stop.
    assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    await s.clock.advance(HOUR);
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    const second = await policyOf(s, id);
    assert.notEqual(second.TimelineStart, first.TimelineStart);
    assert.equal(second.NextStep, "stopped-day-3-warning");

    // The first run's day 7 passes without a reclaim.
    const firstReclaim = planFor({ chargeType: "Postpay", state: "Stopped", expireTime: 0, arrearsSince: 0, stopTime: first.TimelineStart * 1000 }, CST)?.steps.at(-1)?.at as number;
    const secondReclaim = planFor({ chargeType: "Postpay", state: "Stopped", expireTime: 0, arrearsSince: 0, stopTime: second.TimelineStart * 1000 }, CST)?.steps.at(-1)?.at as number;
    assert.ok(secondReclaim > firstReclaim);
    await advanceTo(s, firstReclaim + MIN);
    await s.app.policies.pass();
    assert.equal(await s.state(id), "Stopped");

    const taken = await walk(s, id);
    assert.deepEqual(taken.map((x) => x.step), ["stopped-day-6-warning", "reclaim"].filter((x) => taken.some((t) => t.step === x)));
    assert.equal(taken.at(-1)?.step, "reclaim");
    assert.equal(taken.at(-1)?.at, Math.floor(secondReclaim / 1000) * 1000);
    assert.equal(localMinute(secondReclaim), 12 * 60);
    assert.ok(secondReclaim - second.TimelineStart * 1000 > 6 * DAY);
    assert.equal(await s.state(id), undefined);
  });

  it("a running pay-as-you-go instance, or one with a balance and nothing unpaid, is not on any timeline", async () => {
    const id = await runningInstance(s, POSTPAY);
    await s.clock.advance(3 * HOUR);
    await s.app.policies.pass();
    const p = await policyOf(s, id);
    assert.equal(p.Timeline, "");
    assert.equal(p.NextStep, "");
    assert.equal(p.UnpaidAmount, 0);
  });
});

describe("the reclaim policy and the instance lock", () => {
  let s: TestServer;
  before(async () => {
    // A reboot that takes 4 minutes: long enough to hold the lock across the stop's due time.
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "0", OCS_SIM_BOOT_MS: "240000" } });
  });
  after(() => s.close());

  it("a step due while the lock is held waits, never breaks the lock, and runs once the lock ends", async () => {
    const res = await s.call("CreateCompShareInstance", { ...REGION, CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204", ...POSTPAY });
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running", 5000, 200);
    await s.clock.advance(HOUR);
    await s.app.policies.pass();
    const t0 = (await policyOf(s, id)).ArrearsSince * 1000;
    await advanceTo(s, t0 + HOUR - 2 * MIN);
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    // The clock stands still until the reboot reaches the driver: its first look (a status call
    // bounded by 10 s of the clock) must not run out on a busy machine while the test moves time.
    await s.until(async () => (await historyOf(s, id)).at(-1)?.Phase === "rebooting", 0);
    const lockBefore = await s.app.store.db.selectFrom("instance_locks").selectAll().where("instance_id", "=", id).executeTakeFirstOrThrow();
    await advanceTo(s, t0 + HOUR + 1000, 1000);
    await s.app.policies.pass();
    assert.equal(await s.state(id), "Rebooting");
    assert.equal((await policyOf(s, id)).NextStep, "stop", "the stop waits for the lock");
    const lockAfter = await s.app.store.db.selectFrom("instance_locks").selectAll().where("instance_id", "=", id).executeTakeFirstOrThrow();
    assert.deepEqual(lockAfter, lockBefore, "the lock is untouched: same holder, token and expiry");

    await s.until(async () => (await s.state(id)) === "Running", 5000, 200);
    await s.app.policies.pass();
    await s.until(async () => (await s.state(id)) === "Stopped", 5000, 200);
    const history = await historyOf(s, id);
    assert.deepEqual(history.map((o) => o.Action).filter((a) => a !== "ReclaimPolicyNotice"), ["CreateCompShareInstance", "RebootCompShareInstance", "StopCompShareInstance"]);
    assert.ok(history.every((o) => o.Status === "Succeeded"));
  });
});

describe("the ledger: hourly billing", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "100" } });
  });
  after(() => s.close());

  it("bills each full hour at the instance's price, the part before a stop pro rata, and nothing while stopped", async () => {
    const id = await runningInstance(s, POSTPAY);
    // The price the API quotes for this configuration is what each hour costs.
    const price = await s.call("GetCompShareInstancePrice", { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: "Postpay", CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(price.body.RetCode, 0, JSON.stringify(price.body));
    const q = (price.body.PriceDetail as Array<{ Instance: number; Disks: number; SystemDisks: number; CompShareImage: number }>)[0]!;
    const hourly = Math.round((q.Instance + q.Disks + q.SystemDisks + q.CompShareImage) * 100) / 100;
    assert.ok(hourly > 0);
    await s.clock.advance(3 * HOUR + 30 * MIN);
    await s.app.policies.pass();
    let b = await balance(s);
    const hours = b.Ledger.filter((e) => e.Kind === "hour" && e.UHostId === id);
    assert.equal(hours.length, 3);
    for (const e of hours) assert.equal(e.Amount, -hourly);
    assert.equal(b.Balance, Math.round((100 - 3 * hourly) * 100) / 100);
    // A second pass bills nothing more.
    await s.app.policies.pass();
    assert.equal((await balance(s)).Ledger.filter((e) => e.Kind === "hour").length, 3);

    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    await s.clock.advance(5 * HOUR);
    await s.app.policies.pass();
    b = await balance(s);
    const all = b.Ledger.filter((e) => e.Kind === "hour" && e.UHostId === id);
    assert.equal(all.length, 4, "the half hour before the stop, and nothing while stopped");
    const part = all.find((e) => e.PeriodEnd - e.PeriodStart < 3600) as (typeof all)[number];
    const expected = Math.round(hourly * 100 * ((part.PeriodEnd - part.PeriodStart) / 3600)) / 100;
    assert.ok(Math.abs(part.Amount + expected) <= 0.01, `pro rata: ${part.Amount} for ${part.PeriodEnd - part.PeriodStart} s`);
  });

  it("a new account starts with OCS_INITIAL_BALANCE, and the admin sets and tops it up", async () => {
    await s.account("payer");
    assert.equal((await balance(s, "payer")).Balance, 100);
    assert.equal((await topUp(s, 12.34, "payer")).Balance, 112.34);
    assert.equal((await setBalance(s, 1.5, "payer")).Balance, 1.5);
    const kinds = (await balance(s, "payer")).Ledger.map((e) => e.Kind);
    // The opening balance is the account's first entry: the balance is always the sum of its entries.
    assert.deepEqual(kinds.sort(), ["opening", "set", "topup"]);
  });

});
