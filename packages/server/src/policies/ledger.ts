/**
 * A small ledger, not an order system: each account's balance, the hourly orders of its
 * pay-as-you-go instances, the renewals of its prepaid ones, and top-ups. An order the balance
 * cannot cover is unpaid, and its time is t0 of the instance's arrears timeline; a top-up pays
 * unpaid orders oldest first, and an instance with nothing left unpaid is out of arrears.
 *
 * Every write is safe on several replicas: an order's id names its instance and period, and the
 * period is claimed by a compare-and-set on the instance, so an hour is billed once.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Catalog } from "../catalog/catalog.js";
import { discounted, expiryOf, quote, total } from "../catalog/pricing.js";
import { HOURLY_BILLED } from "../domain/reclaim-timeline.js";
import { State } from "@opencompshare/protocol";
import type { StoredDisk } from "../store/repositories/disks.js";
import type { Db, Executor, InstanceRow, Tx } from "../store/schema.js";

export const HOUR_MS = 3_600_000;
/** At most this many hours of one instance are billed in one pass; the rest in the next. */
const HOURS_PER_PASS = 48;

export const toCents = (cny: number): number => Math.round(cny * 100);
export const toCny = (cents: number): number => Math.round(cents) / 100;

/** States in which a pay-as-you-go instance runs, and so is billed. */
const UNBILLED: ReadonlySet<string> = new Set([State.Stopped, State.InstallFail, State.Initializing]);

async function imagePricePerHour(db: Executor, imageId: string): Promise<number> {
  const row = await db.selectFrom("images").select("price").where("id", "=", imageId).executeTakeFirst();
  return Number(row?.price ?? 0);
}

/** What one period of the instance costs, after the discount, in fen: an hour for hourly types, else its period. */
export async function periodPriceCents(db: Executor, catalog: Catalog, inst: InstanceRow, noGpu: boolean): Promise<number> {
  const prices = catalog.data.prices;
  if (noGpu) return toCents(prices.withoutGpuPerHour * prices.discount);
  const boot = (JSON.parse(inst.disks) as StoredDisk[]).find((d) => d.IsBoot);
  const q = quote(prices, {
    gpuType: inst.gpu_type,
    gpu: Number(inst.gpu),
    chargeType: inst.charge_type,
    quantity: 1,
    systemDiskGb: boot?.Size ?? 0,
    dataDiskGb: 0,
    imagePerHour: await imagePricePerHour(db, inst.image_id),
  });
  return q ? toCents(total(discounted(prices, q))) : 0;
}

export async function balanceCents(db: Executor, accountId: string): Promise<number> {
  const row = await db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirst();
  return Number(row?.balance_cents ?? 0);
}

export async function unpaidCents(db: Executor, filter: { accountId?: string; instanceId?: string }): Promise<number> {
  let q = db.selectFrom("ledger").select((eb) => eb.fn.sum<number>("amount_cents").as("n")).where("status", "=", "unpaid");
  if (filter.accountId) q = q.where("account_id", "=", filter.accountId);
  if (filter.instanceId) q = q.where("instance_id", "=", filter.instanceId);
  const row = await q.executeTakeFirst();
  return -Number(row?.n ?? 0) || 0;
}

/** Takes `cents` from the balance if it covers them; returns the balance after, or undefined. */
async function debit(tx: Tx, accountId: string, cents: number): Promise<number | undefined> {
  const done = await tx
    .updateTable("accounts")
    .set({ balance_cents: sql`balance_cents - ${cents}` })
    .where("id", "=", accountId)
    .where("balance_cents", ">=", cents)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) return undefined;
  return balanceCents(tx, accountId);
}

/** Bills one period [start, end) of a pay-as-you-go instance, once: false when another pass billed it first. */
async function billPeriod(db: Db, inst: InstanceRow, claimedFrom: number, start: number, end: number, cents: number, now: number): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const claimed = await tx
      .updateTable("instances")
      .set({ billed_until: end })
      .where("id", "=", inst.id)
      .where("billed_until", "=", claimedFrom)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    if (cents <= 0) return true;
    const after = await debit(tx, inst.account_id, cents);
    const paid = after !== undefined;
    await tx
      .insertInto("ledger")
      .values({
        id: `hour:${inst.id}:${start}`,
        account_id: inst.account_id,
        instance_id: inst.id,
        kind: "hour",
        amount_cents: -cents,
        status: paid ? "paid" : "unpaid",
        period_start: start,
        period_end: end,
        balance_after_cents: after ?? (await balanceCents(tx, inst.account_id)),
        note: `${inst.charge_type} ${inst.gpu_type}×${Number(inst.gpu)}${inst.no_gpu_slot ? " (no-GPU mode)" : ""}`,
        created_at: now,
        paid_at: paid ? now : null,
      })
      .execute();
    // The first unpaid order starts the arrears timeline; its time is the end of the hour it bills.
    if (!paid) await tx.updateTable("instances").set({ arrears_since: end }).where("id", "=", inst.id).where("arrears_since", "=", 0).execute();
    return true;
  });
}

/**
 * Bills the hours pay-as-you-go instances have run: each full hour while running, and the part
 * of an hour before a stop. Returns how many orders were made.
 */
export async function billHours(db: Db, catalog: Catalog, now: number): Promise<number> {
  const rows = await db
    .selectFrom("instances")
    .selectAll()
    .where("charge_type", "in", [...HOURLY_BILLED])
    .where("start_time", ">", 0)
    .where("recycling", "=", 0)
    .limit(1000)
    .execute();
  let orders = 0;
  for (const inst of rows) {
    let claimedFrom = Number(inst.billed_until);
    const startTime = Number(inst.start_time);
    let from = Math.max(claimedFrom, startTime);
    const running = !UNBILLED.has(inst.state);
    const cents = await periodPriceCents(db, catalog, inst, inst.no_gpu_slot !== null);
    for (let i = 0; running && i < HOURS_PER_PASS && from + HOUR_MS <= now; i++) {
      if (!(await billPeriod(db, inst, claimedFrom, from, from + HOUR_MS, cents, now))) break;
      orders++;
      claimedFrom = from + HOUR_MS;
      from = claimedFrom;
    }
    // Stopped within an hour: the part it ran is billed pro rata.
    const stopTime = Number(inst.stop_time);
    if (inst.state === State.Stopped && stopTime > from && startTime < stopTime) {
      const part = Math.round((cents * (stopTime - from)) / HOUR_MS);
      if (await billPeriod(db, inst, claimedFrom, from, stopTime, part, now)) orders++;
    }
  }
  return orders;
}

class NotCovered extends Error {}

/** Steps of an expiry timeline taken once the service was stopped. */
const AFTER_STOP: ReadonlySet<string> = new Set(["stop", "reclaim-warning"]);

/**
 * Renews prepaid instances with AutoRenew "Yes" whose period has ended, when the balance covers
 * the next period. The period is claimed by a compare-and-set on ExpireTime. Returns the count.
 */
export async function renewDue(db: Db, catalog: Catalog, now: number): Promise<number> {
  const rows = await db
    .selectFrom("instances")
    .selectAll()
    .where("expire_time", ">", 0)
    .where("expire_time", "<=", now)
    .where("auto_renew", "=", "Yes")
    .where("recycling", "=", 0)
    .limit(500)
    .execute();
  let renewed = 0;
  for (const inst of rows) {
    const old = Number(inst.expire_time);
    const cents = await periodPriceCents(db, catalog, inst, false);
    // Renewed while it still runs, the new period follows the old one; renewed after its service
    // was stopped (a top-up), it starts now: the stopped time is not sold again.
    const serviceStopped = inst.policy_key === `expiry:${old}` && AFTER_STOP.has(inst.policy_step);
    const from = serviceStopped ? Math.max(old, now) : old;
    const next = expiryOf(inst.charge_type, 1, from);
    const done = await db
      .transaction()
      .execute(async (tx) => {
        const claimed = await tx
          .updateTable("instances")
          .set({ expire_time: next, period_start: from, paid_amount: cents / 100 })
          .where("id", "=", inst.id)
          .where("expire_time", "=", old)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return false;
        const after = await debit(tx, inst.account_id, cents);
        if (after === undefined) throw new NotCovered();
        await tx
          .insertInto("ledger")
          .values({
            id: `renew:${inst.id}:${old}`,
            account_id: inst.account_id,
            instance_id: inst.id,
            kind: "renew",
            amount_cents: -cents,
            status: "paid",
            period_start: from,
            period_end: next,
            balance_after_cents: after,
            note: `${inst.charge_type} renewal`,
            created_at: now,
            paid_at: now,
          })
          .execute();
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof NotCovered) return false;
        throw error;
      });
    if (done) renewed++;
  }
  return renewed;
}

export interface TopUpResult {
  balanceCents: number;
  paidOrders: number;
  /** Instances that have nothing unpaid any more: their arrears timeline has stopped. */
  cleared: string[];
}

/** Pays the account's unpaid orders, oldest first, while the balance covers them; clears instances with nothing left unpaid. */
async function payUnpaid(tx: Tx, accountId: string, now: number): Promise<{ paid: number; cleared: string[] }> {
  const unpaid = await tx
    .selectFrom("ledger")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("status", "=", "unpaid")
    .orderBy("created_at")
    .orderBy("period_start")
    .execute();
  let paid = 0;
  for (const order of unpaid) {
    const after = await debit(tx, accountId, -Number(order.amount_cents));
    if (after === undefined) break;
    await tx.updateTable("ledger").set({ status: "paid", paid_at: now, balance_after_cents: after }).where("id", "=", order.id).execute();
    paid++;
  }
  const inArrears = await tx.selectFrom("instances").select("id").where("account_id", "=", accountId).where("arrears_since", ">", 0).execute();
  const cleared: string[] = [];
  for (const { id } of inArrears) {
    const left = await tx.selectFrom("ledger").select("id").where("instance_id", "=", id).where("status", "=", "unpaid").executeTakeFirst();
    if (left) continue;
    await tx.updateTable("instances").set({ arrears_since: 0 }).where("id", "=", id).execute();
    cleared.push(id);
  }
  return { paid, cleared };
}

/** Adds `cents` to the balance (a top-up), or sets it (`set`), then pays what is unpaid. */
export async function changeBalance(db: Db, accountId: string, cents: number, mode: "topup" | "set", now: number): Promise<TopUpResult> {
  return db.transaction().execute(async (tx) => {
    const before = await balanceCents(tx, accountId);
    const target = mode === "set" ? cents : before + cents;
    await tx.updateTable("accounts").set({ balance_cents: target }).where("id", "=", accountId).execute();
    await tx
      .insertInto("ledger")
      .values({
        id: `${mode}:${accountId}:${randomUUID()}`,
        account_id: accountId,
        instance_id: null,
        kind: mode,
        amount_cents: target - before,
        status: "paid",
        period_start: now,
        period_end: now,
        balance_after_cents: target,
        note: mode === "set" ? "balance set by an administrator" : "top-up",
        created_at: now,
        paid_at: now,
      })
      .execute();
    const { paid, cleared } = await payUnpaid(tx, accountId, now);
    return { balanceCents: await balanceCents(tx, accountId), paidOrders: paid, cleared };
  });
}

export async function ledgerOf(db: Executor, accountId: string, limit = 50) {
  return db.selectFrom("ledger").selectAll().where("account_id", "=", accountId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
}
