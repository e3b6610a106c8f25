/**
 * Quotas by account level (CreateCompShareInstance's 配额说明) and verification (226606), through
 * the API on a server that leaves OCS_INSTANCE_QUOTA unset, so the levels apply:
 * - Level 0 (never topped up) 1 instance, Level 1 5, Level 2 20, Level 3 50, Level 4 100;
 * - left to its payments, an account's top-ups raise its level (1,000 / 10,000 / 50,000 CNY paid
 *   in for Levels 2-4, our thresholds); a balance set by an operator is not paid in;
 * - an operator's level, an account's own quota (whitelisted) and OCS_INSTANCE_QUOTA, in that order;
 * - a refusal names the level and the limit, and creates nothing; a terminate frees a place;
 * - an unverified account's create is AccountNotVerified (226606).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig, withAdmin, type Admin, type Credentials } from "@opencompshare/server";
import { CREATE, DEFAULT_KEYS, REGION, startServer, type TestServer } from "../helpers/server.js";
import type { Keys } from "../helpers/client.js";

const POSTPAY = { ...CREATE, ChargeType: "Postpay" };
const keysOf = (c: Credentials): Keys => ({ PublicKey: c.PublicKey, PrivateKey: c.PrivateKey });

describe("quotas by account level", () => {
  let s: TestServer;
  const admin = <T>(work: (a: Admin) => Promise<T>) => withAdmin(s.config, work);
  before(async () => {
    // Unset: the levels apply (the test helper sets a large server-wide cap for the other tests).
    s = await startServer({ env: { OCS_INSTANCE_QUOTA: "" } });
    assert.equal(s.config.instanceQuota, undefined);
  });
  after(() => s.close());

  const create = (keys: Keys, count: number) => s.call("CreateCompShareInstance", { ...POSTPAY, MaxCount: count }, keys);
  const count = async (keys: Keys) => (await s.call("DescribeCompShareInstance", { ...REGION, Limit: 100 }, keys)).body.TotalCount as number;

  /** The refusal of `count` more, which must be QuotaExceeded; its message. */
  async function refused(keys: Keys, more: number): Promise<string> {
    const before = await count(keys);
    const res = await create(keys, more);
    assert.equal(res.body.RetCode, 226615, JSON.stringify(res.body));
    assert.equal(await count(keys), before, "a refused create makes nothing");
    return res.body.Message as string;
  }

  it("the default account (the operator's) is verified and at Level 4: 100 instances", async () => {
    // MaxCount is at most 100: with one instance, 100 more are one too many.
    assert.equal((await create(DEFAULT_KEYS, 1)).body.RetCode, 0);
    assert.equal(await refused(DEFAULT_KEYS, 100), "QuotaExceeded: the account is at Level 4, which allows 100 instances; it has 1, and 100 more do not fit");
    const [view] = (await admin((a) => a.listAccounts())).filter((a) => a.Name === "default");
    assert.deepEqual([view?.Level, view?.LevelFrom, view?.Verified, view?.InstanceLimit, view?.LimitFrom], [4, "operator", true, 100, "level"]);
  });

  it("an account made by the operator starts verified at Level 1: 5 instances, the 6th refused naming its level", async () => {
    const bob = keysOf(await s.account("lvl-bob"));
    assert.equal((await create(bob, 5)).body.RetCode, 0);
    assert.equal(await refused(bob, 1), "QuotaExceeded: the account is at Level 1, which allows 5 instances; it has 5, and 1 more do not fit");
    // MaxCount is all or none: 2 more do not fit either, and none of them is made.
    assert.equal(await refused(bob, 2), "QuotaExceeded: the account is at Level 1, which allows 5 instances; it has 5, and 2 more do not fit");
  });

  it("a terminate frees its place", async () => {
    const ann = keysOf(await admin((a) => a.createAccount("lvl-ann", { level: 0 })));
    const [id] = (await create(ann, 1)).body.UHostIds as string[];
    assert.equal(await refused(ann, 1), "QuotaExceeded: the account is at Level 0, which allows 1 instance; it has 1, and 1 more do not fit");
    await s.until(async () => (await s.state(id as string, ann)) === "Running");
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id as string }, ann)).body.RetCode, 0);
    await s.until(async () => (await s.state(id as string, ann)) === "Stopped");
    assert.equal((await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id as string }, ann)).body.RetCode, 0);
    await s.until(async () => (await s.state(id as string, ann)) === undefined);
    assert.equal((await create(ann, 1)).body.RetCode, 0);
  });

  it("left to its payments, the level follows what the account has paid in; a balance set is not paid in", async () => {
    const carol = keysOf(await admin((a) => a.createAccount("lvl-carol", { level: "auto" })));
    const level = async () => (await admin((a) => a.listAccounts())).find((a) => a.Name === "lvl-carol");
    assert.deepEqual([(await level())?.Level, (await level())?.LevelFrom, (await level())?.PaidIn], [0, "payments", 0]);
    assert.equal((await create(carol, 1)).body.RetCode, 0);
    assert.equal(await refused(carol, 1), "QuotaExceeded: the account is at Level 0, which allows 1 instance; it has 1, and 1 more do not fit");
    // Setting the balance is not a top-up: still Level 0.
    await admin((a) => a.changeBalance("lvl-carol", 100_000_00, "set"));
    assert.match(await refused(carol, 1), /at Level 0, which allows 1 instance;/);
    const steps: Array<[number, number, number]> = [
      // [top-up in fen, the level it reaches, its quota]
      [1, 1, 5],
      [999_99, 2, 20], // 1,000.00 CNY paid in
      [9_000_00, 3, 50], // 10,000.00
      [40_000_00, 4, 100], // 50,000.00
    ];
    for (const [cents, lvl, quota] of steps) {
      await admin((a) => a.changeBalance("lvl-carol", cents, "topup"));
      assert.equal(await refused(carol, quota), `QuotaExceeded: the account is at Level ${lvl}, which allows ${quota} instances; it has 1, and ${quota} more do not fit`);
      assert.equal((await level())?.Level, lvl);
    }
    assert.equal((await level())?.PaidIn, 50_000);
  });

  it("an operator's level wins over the payments until `auto`; an account's own quota over both", async () => {
    const dan = keysOf(await s.account("lvl-dan"));
    const set = await admin((a) => a.changeStanding("lvl-dan", { level: 2 }));
    assert.deepEqual([set.Level, set.LevelFrom, set.InstanceLimit], [2, "operator", 20]);
    assert.match(await refused(dan, 21), /at Level 2, which allows 20 instances; it has 0, and 21 more/);
    const auto = await admin((a) => a.changeStanding("lvl-dan", { level: "auto" }));
    assert.deepEqual([auto.Level, auto.LevelFrom, auto.InstanceLimit], [0, "payments", 1]);
    assert.match(await refused(dan, 2), /at Level 0, which allows 1 instance;/);
    // Whitelisted: a quota of its own, whatever its level.
    const own = await admin((a) => a.changeStanding("lvl-dan", { instanceQuota: 3 }));
    assert.deepEqual([own.InstanceLimit, own.LimitFrom], [3, "account"]);
    assert.equal((await create(dan, 3)).body.RetCode, 0);
    assert.equal(await refused(dan, 1), "QuotaExceeded: the account has a quota of its own, 3 instances; it has 3, and 1 more do not fit");
    const none = await admin((a) => a.changeStanding("lvl-dan", { instanceQuota: 0 }));
    assert.deepEqual([none.InstanceLimit, none.LimitFrom], [1, "level"]);
  });

  it("an unverified account's create is AccountNotVerified (226606) and makes nothing; verified, it creates", async () => {
    const eve = keysOf(await admin((a) => a.createAccount("lvl-eve", { verified: false })));
    const res = await create(eve, 1);
    assert.equal(res.body.RetCode, 226606, JSON.stringify(res.body));
    assert.equal(res.body.Message, "AccountNotVerified: The account has not been verified. Only a verified account creates instances.");
    assert.equal(await count(eve), 0);
    // Everything else answers as for any account.
    assert.equal((await s.call("DescribeCompShareInstance", REGION, eve)).body.RetCode, 0);
    const verified = await admin((a) => a.changeStanding("lvl-eve", { verified: true }));
    assert.equal(verified.Verified, true);
    const [id] = (await create(eve, 1)).body.UHostIds as string[];
    assert.ok(id);
    // Taken back: no more creates; its instance is still its own to run.
    await admin((a) => a.changeStanding("lvl-eve", { verified: false }));
    assert.equal((await create(eve, 1)).body.RetCode, 226606);
    await s.until(async () => (await s.state(id, eve)) === "Running");
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id }, eve)).body.RetCode, 0);
  });

  it("two creates of one account at once: only what fits is made", async () => {
    const fay = keysOf(await s.account("lvl-fay"));
    const answers = await Promise.all([create(fay, 3), create(fay, 3)]);
    assert.deepEqual(answers.map((a) => a.body.RetCode).sort(), [0, 226615]);
    assert.equal(await count(fay), 3);
  });
});

describe("OCS_INSTANCE_QUOTA, when set", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { OCS_INSTANCE_QUOTA: "2" } });
  });
  after(() => s.close());

  it("is every account's limit instead of its level's; an account's own quota still comes first", async () => {
    const res = await s.call("CreateCompShareInstance", { ...POSTPAY, MaxCount: 3 });
    assert.equal(res.body.RetCode, 226615);
    assert.equal(res.body.Message, "QuotaExceeded: this server allows each account 2 instances; it has 0, and 3 more do not fit");
    const gus = keysOf(await withAdmin(s.config, (a) => a.createAccount("cap-gus", { level: 0 })));
    assert.equal((await s.call("CreateCompShareInstance", { ...POSTPAY, MaxCount: 2 }, gus)).body.RetCode, 0);
    const own = await withAdmin(s.config, (a) => a.changeStanding("cap-gus", { instanceQuota: 4 }));
    assert.deepEqual([own.InstanceLimit, own.LimitFrom], [4, "account"]);
    assert.equal((await s.call("CreateCompShareInstance", { ...POSTPAY, MaxCount: 2 }, gus)).body.RetCode, 0);
    const listed = (await withAdmin(s.config, (a) => a.listAccounts())).find((a) => a.Name === "default");
    assert.deepEqual([listed?.InstanceLimit, listed?.LimitFrom], [2, "server"]);
  });

  it("must be at least 1", async () => {
    assert.throws(() => loadConfig({}, { OCS_INSTANCE_QUOTA: "0" }), /OCS_INSTANCE_QUOTA must be at least 1/);
    assert.equal(loadConfig({}, {}).instanceQuota, undefined);
  });
});
