/**
 * What is billed over time beyond an instance's own hours (the disk and billing guides):
 * - a pay-as-you-go data disk pays each full hour from its creation, attached or not;
 * - a prepaid data disk renews its period from the balance when it ends;
 * - custom images above the free quota pay per GB per day, once a day is over, for the size the
 *   account held when the day is billed.
 *
 * Each order has a deterministic id and claims its period by a compare-and-set, so two passes or
 * two replicas never bill a period twice (policies/ledger.ts holds the shared order and renewal).
 */
import type { Catalog } from "../catalog/catalog.js";
import { diskUnitPrice, expiryOf } from "../catalog/pricing.js";
import { HOURLY_BILLED } from "../domain/reclaim-timeline.js";
import * as repo from "../store/repositories/ledger.js";
import type { Db } from "../store/schema.js";
import { HOUR_MS, payRenewal, placeOrder, toCents } from "./ledger.js";

const HOURS_PER_PASS = 48;
const DAY_MS = 24 * HOUR_MS;
/** The billing guide's image storage terms, when the catalog names none. */
const IMAGE_STORAGE = { freeGb: 30, perGbDay: 0.008 };

/** Bills the full hours of pay-as-you-go data disks since their creation. Returns how many orders were made. */
export async function billDiskHours(db: Db, catalog: Catalog, now: number): Promise<number> {
  const prices = catalog.data.prices;
  let orders = 0;
  for (const disk of await repo.hourlyDisks(db, [...HOURLY_BILLED], 1000)) {
    const cents = toCents(disk.sizeGb * diskUnitPrice(prices, disk.chargeType) * prices.discount);
    let claimedFrom = disk.billedUntil;
    let at = Math.max(claimedFrom, disk.createdAt);
    for (let i = 0; i < HOURS_PER_PASS && at + HOUR_MS <= now; i++) {
      const order = { accountId: disk.accountId, resourceId: disk.id, kind: "disk", start: at, end: at + HOUR_MS, cents, note: `${disk.chargeType} data disk, ${disk.sizeGb} GB` };
      const from = claimedFrom;
      const { claimed } = await placeOrder(db, order, now, (tx) => repo.claimDiskBilledUntil(tx, disk.id, from, order.end));
      if (!claimed) break;
      orders++;
      claimedFrom = order.end;
      at = claimedFrom;
    }
  }
  return orders;
}

/** Renews prepaid data disks whose period has ended, when the balance covers the next one. Returns the count. */
export async function renewDisks(db: Db, catalog: Catalog, now: number): Promise<number> {
  const prices = catalog.data.prices;
  let renewed = 0;
  for (const disk of await repo.dueDiskRenewals(db, now, 500)) {
    const cents = toCents(disk.sizeGb * diskUnitPrice(prices, disk.chargeType) * prices.discount);
    const old = disk.expireTime;
    const next = expiryOf(disk.chargeType, 1, old);
    const renewal = { accountId: disk.accountId, resourceId: disk.id, oldExpiry: old, from: old, next, cents, note: `${disk.chargeType} data disk renewal, ${disk.sizeGb} GB` };
    if (await payRenewal(db, renewal, now, (tx) => repo.claimDiskRenewal(tx, disk.id, old, { expireTime: next, periodStart: old, paidAmount: cents / 100 }))) renewed++;
  }
  return renewed;
}

/** The start of the local day (`utcOffsetMin` east of UTC) that contains `at`. */
export const dayStart = (at: number, utcOffsetMin: number): number => {
  const shift = utcOffsetMin * 60_000;
  return Math.floor((at + shift) / DAY_MS) * DAY_MS - shift;
};

/** Bills the custom image storage of the last full local day, once per account and day. Returns how many orders were made. */
export async function billImageStorage(db: Db, catalog: Catalog, now: number, utcOffsetMin: number): Promise<number> {
  const terms = catalog.data.prices.imageStorage ?? IMAGE_STORAGE;
  const end = dayStart(now, utcOffsetMin);
  const start = end - DAY_MS;
  let orders = 0;
  for (const { accountId, gb } of await repo.customImageGbByAccount(db)) {
    const over = gb - terms.freeGb;
    if (over <= 0) continue;
    const cents = toCents(over * terms.perGbDay * catalog.data.prices.discount);
    const order = { accountId, resourceId: accountId, kind: "storage", start, end, cents, note: `custom image storage: ${gb} GB, ${over} GB above the free ${terms.freeGb} GB` };
    const id = `storage:${accountId}:${start}`;
    const { claimed } = await placeOrder(db, order, now, async (tx) => !(await repo.hasEntry(tx, id)));
    if (claimed) orders++;
  }
  return orders;
}
