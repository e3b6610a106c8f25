/**
 * Money as the charge guides move it: a prepaid create pays its first period at once (or is
 * refused, taking nothing), a deletion credits the quoted refund, data disks bill from creation,
 * a stopped pay-as-you-go instance pays for its paid system disk, custom images above the free
 * quota pay per day, and no create while orders are unpaid. After each, the balance is the sum of
 * the account's paid ledger entries.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { auditLedger } from "@opencompshare/server";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { balance, DAY, HOUR, runningInstance, setBalance, topUp } from "./helpers.js";

type Entry = { Id: string; Kind: string; UHostId: string; Amount: number; Status: string };

async function ledger(s: TestServer): Promise<Entry[]> {
  return (await balance(s)).Ledger as Entry[];
}

/** The invariants: every balance is the sum of its paid entries, and every prepaid instance was bought. */
async function assertBalanced(s: TestServer): Promise<void> {
  const audit = await auditLedger(s.app.store.db);
  assert.deepEqual(audit.unbalanced, [], "balances that are not the sum of their paid entries");
  assert.deepEqual(audit.unbought, [], "prepaid instances made without their charge");
}

async function quoted(s: TestServer, chargeType: string, extra: Record<string, string | number | boolean> = {}): Promise<number> {
  const res = await s.call("GetCompShareInstancePrice", { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: chargeType, "Disks.0.IsBoot": true, "Disks.0.Size": 100, "Disks.0.Type": "CLOUD_SSD", ...extra });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  const d = (res.body.PriceDetail as Array<Record<string, number>>)[0]!;
  return Math.round((d.Instance! + d.Disks! + d.SystemDisks! + d.CompShareImage!) * 100) / 100;
}

const diskStatus = async (s: TestServer, id: string) => ((await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: id })).body.DiskSet as Array<{ Status: string }>)[0]?.Status;

const count = async (s: TestServer) => (await s.call("DescribeCompShareInstance", { ...REGION, Limit: 100 })).body.TotalCount as number;

describe("money: prepaid creates, refunds, disks, storage, arrears", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "5000" } });
  });
  after(async () => s?.close());

  it("a prepaid create (the default Month) pays its first period at the quoted price, as a buy entry", async () => {
    const price = await quoted(s, "Month");
    const b0 = (await balance(s)).Balance;
    const res = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0]!;
    const b1 = await balance(s);
    assert.equal(Math.round((b0 - b1.Balance) * 100) / 100, price);
    const buy = b1.Ledger.find((e) => e.Kind === "buy" && e.UHostId === id);
    assert.ok(buy, JSON.stringify(b1.Ledger));
    assert.equal(buy.Amount, -price);
    await assertBalanced(s);
  });

  it("a prepaid create the balance does not cover is refused with 226622, and nothing is made or taken", async () => {
    await setBalance(s, 100);
    const n0 = await count(s);
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Month", "Disks.0.IsBoot": true, "Disks.0.Size": 100, "Disks.0.Type": "CLOUD_SSD", "Disks.1.IsBoot": false, "Disks.1.Size": 50, "Disks.1.Type": "CLOUD_SSD" });
    assert.equal(res.body.RetCode, 226622, JSON.stringify(res.body));
    assert.match(res.body.Message as string, /BalanceNotEnough: Month ×1 of instance uhost-\w+ .* costs [\d.]+ CNY and the balance is 100\.00 CNY/);
    assert.equal(await count(s), n0);
    assert.equal((await balance(s)).Balance, 100);
    const disks = await s.call("DescribeCompshareDisk", { ...REGION });
    assert.equal(disks.body.TotalCount, 0, "no data disk was made");
    // A Postpay create needs no balance up front.
    const postpay = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    assert.equal(postpay.body.RetCode, 0, JSON.stringify(postpay.body));
    await setBalance(s, 5000);
    await assertBalanced(s);
  });

  it("Terminate refuses a Running instance, naming the rule; a stopped one is deleted and credited the quoted refund", async () => {
    const id = await runningInstance(s, { ChargeType: "Day" });
    const refused = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(refused.body.RetCode, 8010, JSON.stringify(refused.body));
    assert.match(refused.body.Message as string, /is Running; TerminateCompShareInstance needs it to be Stopped/);
    assert.equal(await s.state(id), "Running");
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    await s.clock.advance(6 * HOUR);
    const q = await s.call("GetCompShareRefundPrice", { ...REGION, "UHostIds.0": id });
    const refund = (q.body.RefundPriceSet as Array<{ RefundPrice: number }>)[0]!.RefundPrice;
    assert.ok(refund > 0, `a Day instance stopped after 6 hours has a refund: ${refund}`);
    const b0 = (await balance(s)).Balance;
    assert.equal((await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === undefined);
    const b1 = await balance(s);
    assert.equal(Math.round((b1.Balance - b0) * 100) / 100, refund);
    assert.equal(b1.Ledger.find((e) => e.Kind === "refund" && e.UHostId === id)?.Amount, refund);
    await assertBalanced(s);
  });

  it("ReleaseUDisk: data disks are kept by default and deleted with true", async () => {
    const withDisk = { ChargeType: "Postpay", "Disks.0.IsBoot": true, "Disks.0.Size": 100, "Disks.0.Type": "CLOUD_SSD", "Disks.1.IsBoot": false, "Disks.1.Size": 20, "Disks.1.Type": "CLOUD_SSD" };
    const stopAndTerminate = async (id: string, release?: boolean) => {
      await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
      await s.until(async () => (await s.state(id)) === "Stopped");
      const res = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id, ...(release === undefined ? {} : { ReleaseUDisk: release }) });
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
      await s.until(async () => (await s.state(id)) === undefined);
    };
    const disksOf = async (id: string) => {
      const res = await s.call("DescribeCompshareDisk", { ...REGION, Limit: 100 });
      return (res.body.DiskSet as Array<{ UDiskId: string; Status: string; UHostId?: string; Name: string }>).filter((d) => d.Name.startsWith("data-")).map((d) => ({ ...d, of: id }));
    };
    const kept = await runningInstance(s, withDisk);
    const before = (await disksOf(kept)).length;
    await stopAndTerminate(kept);
    const after = await disksOf(kept);
    assert.equal(after.length, before, "the data disk is kept");
    const released = await runningInstance(s, withDisk);
    await stopAndTerminate(released, true);
    assert.equal((await disksOf(released)).length, before, "the released disk is gone");
  });

  it("a prepaid data disk pays its period at creation, or is refused taking nothing; deleted, it is refunded the rest", async () => {
    const id = await runningInstance(s, { ChargeType: "Postpay" });
    const b0 = (await balance(s)).Balance;
    const made = await s.call("CreateAndAttachCompshareDisk", { ...REGION, UHostId: id, Size: 100, DiskType: "SSDDataDisk", Name: "paid", ChargeType: "Month" });
    assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
    const diskId = made.body.UDiskId as string;
    // 100 GB × 0.3 CNY per GB-month.
    assert.equal(Math.round((b0 - (await balance(s)).Balance) * 100) / 100, 30);
    assert.equal((await ledger(s)).find((e) => e.Kind === "buy" && e.UHostId === diskId)?.Amount, -30);
    await s.until(async () => (await diskStatus(s, diskId)) === "InUse");
    await setBalance(s, 10);
    const poor = await s.call("CreateAndAttachCompshareDisk", { ...REGION, UHostId: id, Size: 100, DiskType: "SSDDataDisk", Name: "poor", ChargeType: "Month" });
    await setBalance(s, 5000);
    assert.equal(poor.body.RetCode, 226622, JSON.stringify(poor.body));
    const listed = await s.call("DescribeCompshareDisk", { ...REGION, HostId: id });
    assert.deepEqual((listed.body.DiskSet as Array<{ UDiskId: string }>).map((d) => d.UDiskId), [diskId], "the refused disk was not made");
    await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    await s.until(async () => (await s.state(id)) === "Stopped");
    assert.equal((await s.call("DetachCompshareDisk", { ...REGION, UHostId: id, UDiskId: diskId })).body.RetCode, 0);
    await s.until(async () => (await diskStatus(s, diskId)) === "Available");
    await s.clock.advance(DAY);
    const b1 = (await balance(s)).Balance;
    assert.equal((await s.call("DeleteCompshareDisk", { ...REGION, UDiskId: diskId })).body.RetCode, 0);
    await s.until(async () => (await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: diskId })).body.TotalCount === 0);
    const refund = (await ledger(s)).find((e) => e.Kind === "refund" && e.UHostId === diskId);
    assert.ok(refund && refund.Amount > 0 && refund.Amount < 30, JSON.stringify(refund));
    assert.equal(Math.round(((await balance(s)).Balance - b1) * 100) / 100, refund.Amount);
    await assertBalanced(s);
  });

  it("a pay-as-you-go data disk bills each hour from its creation, attached or not", async () => {
    const res = await s.call("DescribeCompshareDisk", { ...REGION, Limit: 100 });
    const kept = (res.body.DiskSet as Array<{ UDiskId: string; Status: string }>).find((d) => d.Status === "Available");
    assert.ok(kept, "the disk kept by the last test is detached");
    await s.clock.advance(2 * HOUR);
    await s.app.policies.pass();
    const orders = (await ledger(s)).filter((e) => e.Kind === "disk" && e.UHostId === kept.UDiskId);
    assert.ok(orders.length >= 2, `hourly orders of the detached disk: ${orders.length}`);
    // 20 GB × 0.0005 CNY per GB-hour.
    assert.equal(orders[0]!.Amount, -0.01);
    await assertBalanced(s);
  });

  it("a stopped pay-as-you-go instance pays each hour for its system disk above the free 100 GB", async () => {
    const id = await runningInstance(s, { ChargeType: "Postpay", "Disks.0.IsBoot": true, "Disks.0.Size": 300, "Disks.0.Type": "CLOUD_SSD" });
    await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    await s.until(async () => (await s.state(id)) === "Stopped");
    await s.app.policies.pass();
    await s.clock.advance(3 * HOUR);
    await s.app.policies.pass();
    const idle = (await ledger(s)).filter((e) => e.Kind === "idle" && e.UHostId === id);
    assert.ok(idle.length >= 2, `idle hours: ${idle.length}`);
    // 200 GB above the free 100 GB × 0.0005 CNY per GB-hour.
    assert.equal(idle[0]!.Amount, -0.1);
    const free = await runningInstance(s, { ChargeType: "Postpay" });
    await s.call("StopCompShareInstance", { ...REGION, UHostId: free });
    await s.until(async () => (await s.state(free)) === "Stopped");
    await s.clock.advance(3 * HOUR);
    await s.app.policies.pass();
    assert.equal((await ledger(s)).filter((e) => e.Kind === "idle" && e.UHostId === free).length, 0, "a free-size system disk costs nothing while stopped");
    await assertBalanced(s);
  });

  it("custom images above the free 30 GB bill per GB per day, once a day", async () => {
    const id = await runningInstance(s, { ChargeType: "Postpay" });
    const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: id, Name: "stored" });
    assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
    const imageId = made.body.CompShareImageId as string;
    await s.until(async () => {
      const r = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
      return (r.body.ImageSet as Array<{ Status: string }> | undefined)?.[0]?.Status === "Available";
    });
    await s.clock.advance(DAY);
    // Two passes at once (as on two replicas), then a third: one order for the day.
    await Promise.all([s.app.policies.pass(), s.app.policies.pass()]);
    await s.app.policies.pass();
    const storage = (await ledger(s)).filter((e) => e.Kind === "storage");
    assert.equal(storage.length, 1, "one order for the day, however many passes");
    // A 50 GB image: 20 GB above the free 30 × 0.008 CNY per GB-day.
    assert.equal(storage[0]!.Amount, -0.16);
    await assertBalanced(s);
  });

  it("no create while the account has unpaid orders (226601); a top-up that pays them lets it create again", async () => {
    await setBalance(s, 0);
    await s.clock.advance(2 * HOUR);
    await s.app.policies.pass();
    const owed = (await balance(s)).Unpaid;
    assert.ok(owed > 0, "hourly orders went unpaid");
    const refused = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    assert.equal(refused.body.RetCode, 226601, JSON.stringify(refused.body));
    assert.match(refused.body.Message as string, /unpaid orders of [\d.]+ CNY/);
    await topUp(s, owed + 5000);
    assert.equal((await balance(s)).Unpaid, 0);
    const ok = await s.call("CreateCompShareInstance", { ...CREATE, ChargeType: "Postpay" });
    assert.equal(ok.body.RetCode, 0, JSON.stringify(ok.body));
    await assertBalanced(s);
  });
});
