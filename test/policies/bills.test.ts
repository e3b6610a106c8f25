/**
 * DescribeCompShareBills against a real server on the ManualClock: the hourly orders of a
 * pay-as-you-go instance, paid and unpaid, and the top-up that pays them, as the account reads
 * them; its filters (time, resource, kind, payment status) and paging; what each kind of entry
 * is said to bill; and another account, which sees none of them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { actions, parseWith, type Bill } from "@opencompshare/protocol";
import type { Keys } from "../helpers/client.js";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { resourceTypeOf } from "../../packages/server/src/handlers/bills.js";
import { insertEntry } from "../../packages/server/src/store/repositories/ledger.js";
import { balance, HOUR, MIN, runningInstance, setBalance, topUp } from "./helpers.js";

interface Bills {
  TotalCount: number;
  BillSet: Bill[];
  Balance: number;
  Unpaid: number;
}

const cny = (n: number) => Math.round(n * 100) / 100;

describe("DescribeCompShareBills", () => {
  let s: TestServer;
  let other: Keys;
  let id = "";
  /** What one hour of the instance costs, CNY. */
  let hourly = 0;
  /** The server's clock when the instance was Running (ms). */
  let started = 0;

  const bills = async (params: Record<string, string | number> = {}, keys?: Keys): Promise<Bills> => {
    const res = await s.call("DescribeCompShareBills", params, keys);
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const fields = Object.fromEntries(Object.entries(res.body).filter(([k]) => k !== "Action" && k !== "RetCode"));
    assert.deepEqual(parseWith(actions.DescribeCompShareBills.response, fields, "strict").issues, [], "the answer decodes strictly against the contract");
    return res.body as unknown as Bills;
  };

  before(async () => {
    s = await startServer({ env: { OCS_INITIAL_BALANCE: "0" } });
    const creds = await s.account("someone-else");
    other = { PublicKey: creds.PublicKey, PrivateKey: creds.PrivateKey };
    const price = await s.call("GetCompShareInstancePrice", { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: "Postpay", CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(price.body.RetCode, 0, JSON.stringify(price.body));
    const q = (price.body.PriceDetail as Array<{ Instance: number; Disks: number; SystemDisks: number; CompShareImage: number }>)[0]!;
    hourly = cny(q.Instance + q.Disks + q.SystemDisks + q.CompShareImage);
    assert.ok(hourly > 0);
  });
  after(() => s.close());

  it("lists each hour billed: two paid from the balance, the third unpaid; the balance and what is unpaid", async () => {
    // Enough for two and a half hours: the third hour goes unpaid.
    await setBalance(s, cny(2.5 * hourly));
    id = await runningInstance(s, { ChargeType: "Postpay" });
    started = s.clock.now();
    await s.clock.advance(3 * HOUR + 30 * MIN);
    await s.app.policies.pass();

    const all = await bills({ Kind: "hour" });
    assert.equal(all.TotalCount, 3);
    assert.equal(all.Balance, cny(0.5 * hourly));
    assert.equal(all.Unpaid, hourly);
    // Newest first: the hours billed in one pass share their time, and go by their period.
    const [third, second, first] = all.BillSet as [Bill, Bill, Bill];
    for (const [b, n] of [[first, 0], [second, 1], [third, 2]] as const) {
      assert.equal(b.ResourceId, id);
      assert.equal(b.ResourceType, "Instance");
      assert.equal(b.Kind, "hour");
      assert.equal(b.Amount, -hourly, "a charge is negative");
      assert.equal(b.CreateTime, Math.floor(s.clock.now() / 1000));
      assert.equal(b.EndTime - b.BeginTime, 3600);
      assert.ok(Math.abs(b.BeginTime - (Math.floor(started / 1000) + n * 3600)) <= 1, `hour ${n} starts ${n} h after the start`);
      assert.ok(b.BillId.length > 0);
      assert.match(b.Remark, /Postpay/);
    }
    assert.deepEqual([first.PayStatus, second.PayStatus, third.PayStatus], ["Paid", "Paid", "Unpaid"]);
    assert.equal(first.PayTime, first.CreateTime);
    assert.equal(third.PayTime, 0, "no pay time while unpaid");
    assert.equal(first.BalanceAfter, cny(1.5 * hourly));
    assert.equal(second.BalanceAfter, cny(0.5 * hourly));

    // Everything: the balance set by the administrator is an entry of the account, of no resource.
    const everything = await bills();
    const set = everything.BillSet.find((b) => b.Kind === "set");
    assert.ok(set, JSON.stringify(everything.BillSet));
    assert.equal(set.ResourceId, "");
    assert.equal(set.ResourceType, "Account");
    assert.equal(set.PayStatus, "Paid");
    assert.equal(set.BalanceAfter, cny(2.5 * hourly));
    assert.ok(set.Amount > 0, "a credit is positive");
  });

  it("filters by payment status, resource, kind and time, and pages", async () => {
    const unpaid = await bills({ PayStatus: "Unpaid" });
    assert.equal(unpaid.TotalCount, 1);
    assert.equal(unpaid.BillSet[0]?.ResourceId, id);
    assert.equal(unpaid.BillSet[0]?.PayStatus, "Unpaid");
    const paid = await bills({ PayStatus: "Paid" });
    assert.ok(paid.BillSet.every((b) => b.PayStatus === "Paid"));
    const total = (await bills()).TotalCount;
    assert.equal(paid.TotalCount + unpaid.TotalCount, total);

    assert.equal((await bills({ ResourceId: id })).TotalCount, 3);
    assert.equal((await bills({ ResourceId: "uhost-doesnotexist" })).TotalCount, 0, "a resource with no bills matches nothing");
    assert.equal((await bills({ Kind: "no-such-kind" })).TotalCount, 0);

    // The time range is of CreateTime, [BeginTime, EndTime): the hours were written at the pass.
    const pass = Math.floor(s.clock.now() / 1000);
    assert.equal((await bills({ BeginTime: pass, EndTime: pass + 1, Kind: "hour" })).TotalCount, 3);
    assert.equal((await bills({ BeginTime: pass + 1, Kind: "hour" })).TotalCount, 0);
    assert.equal((await bills({ EndTime: pass, Kind: "hour" })).TotalCount, 0);
    assert.equal((await bills({ BeginTime: Math.floor(started / 1000), EndTime: pass + 1 })).TotalCount, 3, "the hours only: the balance was set on another day");

    // Pages: Limit and Offset cut one list, in the same order.
    const whole = await bills({ Limit: 100 });
    const pages: Bill[] = [];
    for (let offset = 0; offset < whole.TotalCount; offset += 2) {
      const page = await bills({ Limit: 2, Offset: offset });
      assert.equal(page.TotalCount, whole.TotalCount);
      assert.ok(page.BillSet.length <= 2);
      pages.push(...page.BillSet);
    }
    assert.deepEqual(pages.map((b) => b.BillId), whole.BillSet.map((b) => b.BillId));
    assert.equal((await bills({ Offset: whole.TotalCount })).BillSet.length, 0);
    // Limit 0 (or none) is 20, as in the other Describe actions.
    assert.equal((await bills({ Limit: 0 })).BillSet.length, Math.min(20, whole.TotalCount));
  });

  it("a top-up is a credit, and pays the unpaid hour: it is then Paid, with its pay time", async () => {
    const before = await bills({ PayStatus: "Unpaid" });
    const owed = before.BillSet[0] as Bill;
    await topUp(s, 10);
    const after = await bills();
    assert.equal(after.Unpaid, 0);
    assert.equal(after.Balance, cny(0.5 * hourly + 10 - hourly));
    assert.equal((await bills({ PayStatus: "Unpaid" })).TotalCount, 0);
    const paid = after.BillSet.find((b) => b.BillId === owed.BillId) as Bill;
    assert.equal(paid.PayStatus, "Paid");
    assert.ok(paid.PayTime > 0);
    assert.equal(paid.BalanceAfter, after.Balance, "paid from the top-up: the balance after it");
    const topup = (await bills({ Kind: "topup" })).BillSet;
    assert.equal(topup.length, 1);
    assert.equal(topup[0]?.Amount, 10);
    assert.equal(topup[0]?.ResourceType, "Account");
  });

  it("says what each kind of entry bills, an unknown kind too", async () => {
    const accountId = (await balance(s)).AccountId;
    const at = s.clock.now();
    const entry = (kind: string, resource: string | null, n: number) =>
      insertEntry(s.app.store.db, {
        id: `${kind}:test:${n}`,
        accountId,
        instanceId: resource,
        kind,
        amountCents: -n,
        status: "paid",
        periodStart: at - HOUR,
        periodEnd: at,
        balanceAfterCents: 0,
        note: `a ${kind} entry`,
        createdAt: at,
        paidAt: at,
      });
    await entry("disk", "bsi-0123456789ab", 1);
    await entry("storage", accountId, 2);
    await entry("refund", id, 3);
    await entry("something-new", null, 4);
    const kinds = Object.fromEntries((await bills({ BeginTime: Math.floor(at / 1000), EndTime: Math.floor(at / 1000) + 1, Limit: 100 })).BillSet.map((b) => [b.Kind, b]));
    assert.equal(kinds.disk?.ResourceType, "Disk");
    assert.equal(kinds.disk?.ResourceId, "bsi-0123456789ab");
    assert.equal(kinds.storage?.ResourceType, "Image");
    assert.equal(kinds.storage?.ResourceId, "", "image storage is billed to the account as a whole: no resource id");
    assert.equal(kinds.refund?.ResourceType, "Instance");
    assert.equal(kinds["something-new"]?.ResourceType, "Account");
    assert.equal(kinds["something-new"]?.Amount, -0.04);
    assert.equal((await bills({ Kind: "disk" })).TotalCount, 1);
    assert.equal((await bills({ ResourceId: "bsi-0123456789ab" })).BillSet[0]?.Kind, "disk");
    // By prefix first, then by kind; an unknown resource of an unknown kind is Other.
    assert.equal(resourceTypeOf("hour", "compshareImage-x"), "Image");
    assert.equal(resourceTypeOf("image", ""), "Instance");
    assert.equal(resourceTypeOf("idle", ""), "Instance");
    assert.equal(resourceTypeOf("system-disk", ""), "Instance");
    assert.equal(resourceTypeOf("later", "thing-1"), "Other");
    assert.equal(resourceTypeOf("toString", ""), "Account", "no inherited property is a kind");
  });

  it("refuses a bad PayStatus and a time range that ends before it begins", async () => {
    const bad = await s.call("DescribeCompShareBills", { PayStatus: "Overdue" });
    assert.equal(bad.body.RetCode, 230, JSON.stringify(bad.body));
    assert.match(String(bad.body.Message), /PayStatus/);
    const backwards = await s.call("DescribeCompShareBills", { BeginTime: 2000, EndTime: 1000 });
    assert.equal(backwards.body.RetCode, 230, JSON.stringify(backwards.body));
    assert.match(String(backwards.body.Message), /EndTime/);
    const zone = await s.call("DescribeCompShareBills", { Region: "cn-nowhere" });
    assert.equal(zone.body.RetCode, 230, JSON.stringify(zone.body));
    assert.equal((await bills({ ...REGION })).TotalCount, (await bills()).TotalCount, "Region and Zone do not narrow an account's bills");
  });

  it("another account sees none of these bills, and its own only", async () => {
    const theirs = await bills({ Limit: 100 }, other);
    assert.ok(theirs.BillSet.every((b) => b.ResourceId !== id), JSON.stringify(theirs.BillSet));
    assert.equal((await bills({ ResourceId: id }, other)).TotalCount, 0);
    assert.equal((await bills({ Kind: "hour" }, other)).TotalCount, 0);
    assert.equal(theirs.Unpaid, 0);
    // Its own instance's hours, after its own top-up.
    await topUp(s, 50, "someone-else");
    const own = await runningInstance(s, { ChargeType: "Postpay" }, other);
    await s.clock.advance(HOUR + MIN);
    await s.app.policies.pass();
    const now = await bills({ Kind: "hour", Limit: 100 }, other);
    assert.ok(now.TotalCount >= 1);
    assert.ok(now.BillSet.every((b) => b.ResourceId === own), JSON.stringify(now.BillSet));
    assert.equal(now.Balance, (await balance(s, "someone-else")).Balance);
    const mine = await bills({ Kind: "hour", Limit: 100 });
    assert.ok(mine.BillSet.every((b) => b.ResourceId === id), "the first account's list has none of the other's");
  });
});
