/**
 * Prices from the catalog's price table: what an instance, its disks and its image cost per
 * charge type, what an upgrade costs for the rest of a prepaid period, and what a deletion
 * refunds. Pure: every figure is derived from the table and the arguments, in CNY, rounded to
 * the cent as CompShare shows them.
 *
 * The billing guide's rules it follows: the first `freeSystemDiskGb` of a system disk are free;
 * hourly types (Postpay, Dynamic, Spot) are quoted per hour, prepaid types (Day, Month, Year) per
 * purchased period times Quantity; a refund keeps back the used share of the period multiplied
 * by a penalty (1.25 for Day, 1.5 for Month and Year).
 */
import type { Prices } from "./schema.js";

export const CHARGE_TYPES = ["Month", "Day", "Dynamic", "Postpay", "Spot", "Year"] as const;
export type ChargeType = (typeof CHARGE_TYPES)[number];

/** Charge types paid in advance for a period; the others are billed by the hour. */
export const PREPAID: ReadonlySet<string> = new Set(["Day", "Month", "Year"]);

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const cents = (v: number): number => Math.round(v * 100) / 100;

/** Hours in one period of a charge type (30-day months), for per-hour prices such as a paid image's. */
export function hoursPerPeriod(chargeType: string, prices: Prices): number {
  if (chargeType === "Day") return 24;
  if (chargeType === "Month") return 720;
  if (chargeType === "Year") return 720 * prices.monthsPerYear;
  return 1;
}

/** The list price of one GPU for one period (or hour) of `chargeType`. */
export function gpuUnitPrice(prices: Prices, gpuType: string, chargeType: string): number | undefined {
  const row = prices.gpu[gpuType];
  if (!row) return undefined;
  switch (chargeType) {
    case "Postpay":
    case "Dynamic":
      return row.Postpay;
    case "Spot":
      return row.Postpay * prices.spotFactor;
    case "Day":
      return row.Day;
    case "Month":
      return row.Month;
    case "Year":
      return row.Month * prices.monthsPerYear;
    default:
      return undefined;
  }
}

/** Price of one GB of disk for one period (or hour) of `chargeType`. */
export function diskUnitPrice(prices: Prices, chargeType: string): number {
  const d = prices.diskPerGb;
  if (chargeType === "Day") return d.Day;
  if (chargeType === "Month") return d.Month;
  if (chargeType === "Year") return d.Month * prices.monthsPerYear;
  if (chargeType === "Dynamic") return d.Dynamic;
  return d.Postpay;
}

export interface Quote {
  ChargeType: string;
  Instance: number;
  Disks: number;
  SystemDisks: number;
  CompShareImage: number;
}

export interface QuoteInput {
  gpuType: string;
  gpu: number;
  chargeType: string;
  /** Periods bought (prepaid types); hourly types are quoted per hour. */
  quantity: number;
  systemDiskGb: number;
  dataDiskGb: number;
  /** A paid community image's price per hour (0 when free). */
  imagePerHour: number;
}

/** The list price (before discount) of an instance: its GPUs, disks beyond the free part, and its image. */
export function quote(prices: Prices, q: QuoteInput): Quote | undefined {
  const unit = gpuUnitPrice(prices, q.gpuType, q.chargeType);
  if (unit === undefined) return undefined;
  const periods = PREPAID.has(q.chargeType) ? Math.max(1, q.quantity) : 1;
  const disk = diskUnitPrice(prices, q.chargeType);
  return {
    ChargeType: q.chargeType,
    Instance: cents(unit * q.gpu * periods),
    Disks: cents(q.dataDiskGb * disk * periods),
    SystemDisks: cents(Math.max(0, q.systemDiskGb - prices.freeSystemDiskGb) * disk * periods),
    CompShareImage: cents(q.imagePerHour * hoursPerPeriod(q.chargeType, prices) * periods),
  };
}

/** The same quote after the account discount. */
export function discounted(prices: Prices, q: Quote): Quote {
  const f = prices.discount;
  return { ...q, Instance: cents(q.Instance * f), Disks: cents(q.Disks * f), SystemDisks: cents(q.SystemDisks * f), CompShareImage: cents(q.CompShareImage * f) };
}

export const total = (q: Quote): number => cents(q.Instance + q.Disks + q.SystemDisks + q.CompShareImage);

/** The share of a prepaid period that is left at `now` (0 to 1); 1 for hourly types. */
export function remainingShare(chargeType: string, periodStart: number, expireTime: number, now: number): number {
  if (!PREPAID.has(chargeType) || expireTime <= periodStart) return 1;
  return Math.min(1, Math.max(0, (expireTime - now) / (expireTime - periodStart)));
}

/** What deleting a prepaid instance refunds of `paid`: the rest after the used share times the penalty. */
export function refund(prices: Prices, chargeType: string, paid: number, periodStart: number, expireTime: number, now: number): number {
  if (!PREPAID.has(chargeType) || paid <= 0 || expireTime <= periodStart) return 0;
  const used = Math.min(1, Math.max(0, (now - periodStart) / (expireTime - periodStart)));
  const penalty = chargeType === "Day" ? prices.refundPenalty.Day : prices.refundPenalty.Month;
  return cents(Math.max(0, paid - paid * used * penalty));
}

/**
 * When a prepaid period bought now ends: Quantity units of the charge type (Dynamic is bought by
 * the hour). Pay-as-you-go types never expire (0).
 */
export function expiryOf(chargeType: string, quantity: number, now: number): number {
  const d = new Date(now);
  const n = Math.max(1, quantity);
  const at = (years: number, months: number) =>
    Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth() + months, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
  switch (chargeType) {
    case "Year":
      return at(n, 0);
    case "Month":
      return at(0, n);
    case "Day":
      return now + n * DAY_MS;
    case "Dynamic":
      return now + n * HOUR_MS;
    default:
      return 0;
  }
}
