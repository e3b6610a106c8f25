/**
 * A small ledger, not an order system: each account's balance, the hourly orders of its
 * pay-as-you-go instances, the renewals of its prepaid ones, and top-ups. An order the balance
 * cannot cover is unpaid, and its time is t0 of the instance's arrears timeline; a top-up pays
 * unpaid orders oldest first, and an instance with nothing left unpaid is out of arrears.
 *
 * Every write is safe on several replicas: an order's id names its instance and period, and the
 * period is claimed by a compare-and-set on the instance, so an hour is billed once. The rows are
 * read and written in store/repositories/ledger.ts; each transaction's bounds are here.
 */
import { randomUUID } from "node:crypto";
import type { Catalog } from "../catalog/catalog.js";
import { discounted, expiryOf, quote, total } from "../catalog/pricing.js";
import { HOURLY_BILLED } from "../domain/reclaim-timeline.js";
import { State } from "@opencompshare/protocol";
import * as repo from "../store/repositories/ledger.js";
import type { BillableInstance } from "../store/repositories/ledger.js";
import type { Db, Executor, Tx } from "../store/schema.js";

export { balanceCents, unpaidCents } from "../store/repositories/ledger.js";

export const HOUR_MS = 3_600_000;
/** At most this many hours of one instance are billed in one pass; the rest in the next. */
const HOURS_PER_PASS = 48;

export const toCents = (cny: number): number => Math.round(cny * 100);
export const toCny = (cents: number): number => Math.round(cents) / 100;

/** States in which a pay-as-you-go instance runs, and so is billed. */
const UNBILLED: ReadonlySet<string> = new Set([State.Stopped, State.InstallFail, State.Initializing]);

/** The instance's quote for one period (or hour) of its charge type, after the discount. */
async function discountedQuote(db: Executor, catalog: Catalog, inst: BillableInstance) {
  const prices = catalog.data.prices;
  const q = quote(prices, {
    gpuType: inst.gpuType,
    gpu: inst.gpu,
    chargeType: inst.chargeType,
    quantity: 1,
    systemDiskGb: inst.bootDiskGb,
    dataDiskGb: 0,
    imagePerHour: await repo.imagePricePerHour(db, inst.imageId),
  });
  return q ? discounted(prices, q) : undefined;
}

/** What one period of the instance costs, after the discount, in fen: an hour for hourly types, else its period. */
export async function periodPriceCents(db: Executor, catalog: Catalog, inst: BillableInstance, noGpu: boolean): Promise<number> {
  const prices = catalog.data.prices;
  if (noGpu) return toCents(prices.withoutGpuPerHour * prices.discount);
  const q = await discountedQuote(db, catalog, inst);
  return q ? toCents(total(q)) : 0;
}

/** What an hour of a stopped pay-as-you-go instance costs, in fen: its system disk above the free size and its paid image (the disk guide). */
async function idlePriceCents(db: Executor, catalog: Catalog, inst: BillableInstance): Promise<number> {
  const q = await discountedQuote(db, catalog, inst);
  return q ? toCents(q.SystemDisks + q.CompShareImage) : 0;
}

/** An order for one period [start, end) of a resource billed after use. */
export interface Order {
  accountId: string;
  resourceId: string;
  /** `hour` (an instance running), `idle` (a stopped one's disk and image), `disk` (a data disk). */
  kind: string;
  start: number;
  end: number;
  cents: number;
  note: string;
}

/**
 * Makes one order, once: `claim` moves the resource's billing mark in the same transaction
 * (false when another pass billed the period first). Paid from the balance when it covers the
 * order, else unpaid (arrears). Returns whether the period was claimed, and whether it was paid.
 */
export async function placeOrder(db: Db, o: Order, now: number, claim: (tx: Tx) => Promise<boolean>): Promise<{ claimed: boolean; paid: boolean }> {
  return db
    .transaction()
    .execute(async (tx) => {
      if (!(await claim(tx))) return { claimed: false, paid: true };
      if (o.cents <= 0) return { claimed: true, paid: true };
      const after = await repo.debit(tx, o.accountId, o.cents);
      const paid = after !== undefined;
      // The order's id names its resource and period: if another pass wrote it first, nothing moves.
      const inserted = await repo.insertEntryIfNew(tx, {
        id: `${o.kind}:${o.resourceId}:${o.start}`,
        accountId: o.accountId,
        instanceId: o.resourceId,
        kind: o.kind,
        amountCents: -o.cents,
        status: paid ? "paid" : "unpaid",
        periodStart: o.start,
        periodEnd: o.end,
        balanceAfterCents: after ?? (await repo.balanceCents(tx, o.accountId)),
        note: o.note,
        createdAt: now,
        paidAt: paid ? now : null,
      });
      if (!inserted) throw new AlreadyBilled();
      // The first unpaid order of an instance starts its arrears timeline: the end of the hour it bills.
      if (!paid && (o.kind === "hour" || o.kind === "idle")) await repo.markArrears(tx, o.resourceId, o.end);
      return { claimed: true, paid };
    })
    .catch((error: unknown) => {
      if (error instanceof AlreadyBilled) return { claimed: false, paid: true };
      throw error;
    });
}

/** Another pass wrote the same order first: the transaction (and its debit) is rolled back. */
class AlreadyBilled extends Error {}

/** Bills one period [start, end) of a pay-as-you-go instance, once: false when another pass billed it first. */
async function billPeriod(db: Db, inst: BillableInstance, claimedFrom: number, start: number, end: number, cents: number, now: number, kind = "hour"): Promise<boolean> {
  const note = kind === "idle" ? `${inst.chargeType}, stopped: system disk above the free size and image` : `${inst.chargeType} ${inst.gpuType}×${inst.gpu}${inst.inNoGpuSlot ? " (no-GPU mode)" : ""}`;
  const order: Order = { accountId: inst.accountId, resourceId: inst.id, kind, start, end, cents, note };
  const { claimed } = await placeOrder(db, order, now, (tx) => repo.claimBilledUntil(tx, inst.id, claimedFrom, end));
  return claimed;
}

/**
 * Bills the hours pay-as-you-go instances have run: each full hour while running, and the part
 * of an hour before a stop. Returns how many orders were made.
 */
export async function billHours(db: Db, catalog: Catalog, now: number): Promise<number> {
  const rows = await repo.hourlyBilled(db, [...HOURLY_BILLED], 1000);
  let orders = 0;
  for (const inst of rows) {
    let claimedFrom = inst.billedUntil;
    const startTime = inst.startTime;
    let from = Math.max(claimedFrom, startTime);
    const running = !UNBILLED.has(inst.state);
    const cents = await periodPriceCents(db, catalog, inst, inst.inNoGpuSlot);
    for (let i = 0; running && i < HOURS_PER_PASS && from + HOUR_MS <= now; i++) {
      if (!(await billPeriod(db, inst, claimedFrom, from, from + HOUR_MS, cents, now))) break;
      orders++;
      claimedFrom = from + HOUR_MS;
      from = claimedFrom;
    }
    // Stopped within an hour: the part it ran is billed pro rata.
    const stopTime = inst.stopTime;
    if (inst.state === State.Stopped && stopTime > from && startTime < stopTime) {
      const part = Math.round((cents * (stopTime - from)) / HOUR_MS);
      if (!(await billPeriod(db, inst, claimedFrom, from, stopTime, part, now))) continue;
      orders++;
      claimedFrom = stopTime;
    }
    // Stopped, it still pays each full hour for its system disk above the free size and its paid image.
    if (inst.state === State.Stopped && stopTime > 0) {
      const idle = await idlePriceCents(db, catalog, inst);
      let at = Math.max(claimedFrom, stopTime);
      for (let i = 0; idle > 0 && i < HOURS_PER_PASS && at + HOUR_MS <= now; i++) {
        if (!(await billPeriod(db, inst, claimedFrom, at, at + HOUR_MS, idle, now, "idle"))) break;
        orders++;
        claimedFrom = at + HOUR_MS;
        at = claimedFrom;
      }
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
  const rows = await repo.dueRenewals(db, now, 500);
  let renewed = 0;
  for (const inst of rows) {
    const old = inst.expireTime;
    const cents = await periodPriceCents(db, catalog, inst, false);
    // Renewed while it still runs, the new period follows the old one; renewed after its service
    // was stopped (a top-up), it starts now: the stopped time is not sold again.
    const serviceStopped = inst.policyKey === `expiry:${old}` && AFTER_STOP.has(inst.policyStep);
    const from = serviceStopped ? Math.max(old, now) : old;
    const next = expiryOf(inst.chargeType, 1, from);
    const renewal = { accountId: inst.accountId, resourceId: inst.id, oldExpiry: old, from, next, cents, note: `${inst.chargeType} renewal` };
    const done = await payRenewal(db, renewal, now, (tx) => repo.claimRenewal(tx, inst.id, old, { expireTime: next, periodStart: from, paidAmount: cents / 100 }));
    if (done) renewed++;
  }
  return renewed;
}

/** The next prepaid period [from, next) of a resource whose period ended at `oldExpiry`. */
export interface Renewal {
  accountId: string;
  resourceId: string;
  oldExpiry: number;
  from: number;
  next: number;
  cents: number;
  note: string;
}

/** Pays a renewal from the balance, once (`claim` moves the period in the same transaction); false when the balance does not cover it or another pass renewed first. */
export async function payRenewal(db: Db, r: Renewal, now: number, claim: (tx: Tx) => Promise<boolean>): Promise<boolean> {
  return db
    .transaction()
    .execute(async (tx) => {
      if (!(await claim(tx))) return false;
      const after = await repo.debit(tx, r.accountId, r.cents);
      if (after === undefined) throw new NotCovered();
      await repo.insertEntry(tx, {
        id: `renew:${r.resourceId}:${r.oldExpiry}`,
        accountId: r.accountId,
        instanceId: r.resourceId,
        kind: "renew",
        amountCents: -r.cents,
        status: "paid",
        periodStart: r.from,
        periodEnd: r.next,
        balanceAfterCents: after,
        note: r.note,
        createdAt: now,
        paidAt: now,
      });
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof NotCovered) return false;
      throw error;
    });
}

export interface TopUpResult {
  balanceCents: number;
  paidOrders: number;
  /** Instances that have nothing unpaid any more: their arrears timeline has stopped. */
  cleared: string[];
}

/** Pays the account's unpaid orders, oldest first, while the balance covers them; clears instances with nothing left unpaid. */
async function payUnpaid(tx: Tx, accountId: string, now: number): Promise<{ paid: number; cleared: string[] }> {
  const unpaid = await repo.unpaidOrdersOf(tx, accountId);
  let paid = 0;
  for (const order of unpaid) {
    const after = await repo.debit(tx, accountId, -order.amountCents);
    if (after === undefined) break;
    await repo.markPaid(tx, order.id, now, after);
    paid++;
  }
  const cleared: string[] = [];
  for (const id of await repo.instancesInArrears(tx, accountId)) {
    if (await repo.hasUnpaid(tx, id)) continue;
    await repo.clearArrears(tx, id);
    cleared.push(id);
  }
  return { paid, cleared };
}

/** Adds `cents` to the balance (a top-up), or sets it (`set`), then pays what is unpaid. */
export async function changeBalance(db: Db, accountId: string, cents: number, mode: "topup" | "set", now: number): Promise<TopUpResult> {
  return db.transaction().execute(async (tx) => {
    const before = await repo.balanceCents(tx, accountId);
    const target = mode === "set" ? cents : before + cents;
    await repo.setBalance(tx, accountId, target);
    await repo.insertEntry(tx, {
      id: `${mode}:${accountId}:${randomUUID()}`,
      accountId,
      instanceId: null,
      kind: mode,
      amountCents: target - before,
      status: "paid",
      periodStart: now,
      periodEnd: now,
      balanceAfterCents: target,
      note: mode === "set" ? "balance set by an administrator" : "top-up",
      createdAt: now,
      paidAt: now,
    });
    const { paid, cleared } = await payUnpaid(tx, accountId, now);
    return { balanceCents: await repo.balanceCents(tx, accountId), paidOrders: paid, cleared };
  });
}

/** The account's latest ledger entries, newest first. */
export async function ledgerEntries(db: Executor, accountId: string, limit = 50): Promise<repo.LedgerEntry[]> {
  return repo.ledgerEntries(db, accountId, limit);
}
