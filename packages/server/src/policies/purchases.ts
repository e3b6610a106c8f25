/**
 * Money that moves at once, inside the transaction of the request that moves it: a prepaid
 * purchase (an instance's or a data disk's first period) is taken from the balance before anything
 * is made, a deletion credits the refund GetCompShareRefundPrice quoted, and a Create is refused
 * while the account has unpaid orders. Each is one ledger entry with a deterministic id, so a
 * retried transaction or a second replica never charges or credits twice.
 *
 * What is billed over time (hours, renewals, storage) is in policies/ledger.ts and
 * policies/resource-billing.ts.
 */
import { ApiError } from "@opencompshare/protocol";
import { refund, cents as roundCny } from "../catalog/pricing.js";
import type { Prices } from "../catalog/schema.js";
import * as repo from "../store/repositories/ledger.js";
import type { Executor } from "../store/schema.js";
import { toCents } from "./ledger.js";

const cny = (fen: number): string => (fen / 100).toFixed(2);

/** 226601 while the account has unpaid orders: the create page's rule. */
export async function refuseWhileUnpaid(tx: Executor, accountId: string): Promise<void> {
  const owed = await repo.unpaidCents(tx, { accountId });
  if (owed > 0) {
    throw new ApiError(
      "InArrears",
      `the account has unpaid orders of ${cny(owed)} CNY; pay them in Order Management (top up the balance) before creating an instance`,
    );
  }
}

export interface Purchase {
  accountId: string;
  /** The instance or disk bought. */
  resourceId: string;
  /** What is bought, for the ledger's note and the refusal: `Month ×1 of instance uhost-…`. */
  what: string;
  /** The discounted price, CNY. */
  amount: number;
  periodStart: number;
  periodEnd: number;
  now: number;
}

/**
 * Takes a prepaid purchase from the balance, as a `buy` entry; 226622 when the balance does not
 * cover it (the caller's transaction then rolls back: nothing is made or reserved).
 */
export async function chargePurchase(tx: Executor, p: Purchase): Promise<void> {
  const fen = toCents(p.amount);
  if (fen <= 0) return;
  const after = await repo.debit(tx, p.accountId, fen);
  if (after === undefined) {
    const balance = await repo.balanceCents(tx, p.accountId);
    throw new ApiError("BalanceNotEnough", `${p.what} costs ${cny(fen)} CNY and the balance is ${cny(balance)} CNY; top up, or choose ChargeType Postpay`);
  }
  await repo.insertEntry(tx, {
    id: `buy:${p.resourceId}:${p.periodStart}`,
    accountId: p.accountId,
    instanceId: p.resourceId,
    kind: "buy",
    amountCents: -fen,
    status: "paid",
    periodStart: p.periodStart,
    periodEnd: p.periodEnd,
    balanceAfterCents: after,
    note: p.what,
    createdAt: p.now,
    paidAt: p.now,
  });
}

/** What a prepaid resource's deletion refunds now, CNY: the rest of its period after the penalty. */
export interface Refundable {
  chargeType: string;
  paidAmount: number;
  periodStart: number;
  expireTime: number;
}

export const refundOf = (prices: Prices, r: Refundable, now: number): number => refund(prices, r.chargeType, r.paidAmount, r.periodStart, r.expireTime, now);

/** A refund fixed when a deletion is accepted, credited when it succeeds. */
export interface Refund {
  resourceId: string;
  /** CNY. */
  amount: number;
  periodStart: number;
  periodEnd: number;
}

/** The refund a deletion of this prepaid resource owes now, or undefined when there is none. */
export function refundDue(prices: Prices, r: Refundable & { id: string }, now: number): Refund | undefined {
  const amount = refundOf(prices, r, now);
  return amount > 0 ? { resourceId: r.id, amount, periodStart: r.periodStart, periodEnd: r.expireTime } : undefined;
}

/** Credits a refund (CNY) to the balance, once per resource and period; it pays unpaid orders no sooner than a top-up would. */
export async function creditRefund(tx: Executor, r: { accountId: string; resourceId: string; amount: number; periodStart: number; periodEnd: number; now: number; what: string }): Promise<void> {
  const fen = toCents(roundCny(r.amount));
  if (fen <= 0) return;
  const id = `refund:${r.resourceId}:${r.periodStart}`;
  if (await repo.hasEntry(tx, id)) return;
  // A credit is a debit of a negative amount: one atomic update of the balance.
  const after = (await repo.debit(tx, r.accountId, -fen)) ?? 0;
  await repo.insertEntry(tx, {
    id,
    accountId: r.accountId,
    instanceId: r.resourceId,
    kind: "refund",
    amountCents: fen,
    status: "paid",
    periodStart: r.periodStart,
    periodEnd: r.periodEnd,
    balanceAfterCents: after,
    note: r.what,
    createdAt: r.now,
    paidAt: r.now,
  });
}
