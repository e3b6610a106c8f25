/**
 * Handlers of prices and billing: the price of a new instance per charge type, of an upgrade for
 * the rest of the period, the refund of a deletion, and the switch of a prepaid instance to a
 * longer period. Every figure comes from the catalog's price table (catalog/pricing.ts).
 */
import { ApiError, commonErrors, ERRORS } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import { discounted, expiryOf, PREPAID, quote, remainingShare, total, cents, type Quote } from "../catalog/pricing.js";
import { chargePurchase, creditRefund, refundOf } from "../policies/purchases.js";
import { imagePricePerHour } from "../store/repositories/ledger.js";
import { checkSize } from "../catalog/sizes.js";
import { checkDiskSize } from "../catalog/disk-sizes.js";
import { findOwnedInstance, casInstance } from "../store/repositories/instances.js";
import { findUsableImage } from "../store/repositories/images.js";
import { offeredType } from "./create.js";
import { ownedOrNotFound, refuseRecycling } from "./instances.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";

/** The charge types quoted when a price request names none. */
const ALL_FOR_CREATE = ["Month", "Day", "Dynamic", "Postpay", "Spot"];
const ALL_FOR_USER = ["Month", "Day", "Postpay", "Spot"];

/**
 * Switches CompShare allows (the billing guide): a day instance to a month or a year, a month
 * instance to a year. Pay-as-you-go instances never become prepaid.
 */
const SWITCHES: Readonly<Record<string, readonly string[]>> = { Day: ["Month", "Year"], Month: ["Year"] };

interface PriceQuery {
  Zone: string;
  GpuType: string;
  Gpu: number;
  Cpu: number;
  Memory: number;
  ChargeType?: string | undefined;
  Disks?: Array<{ IsBoot?: boolean | undefined; Size?: number | undefined; Type?: string | undefined }> | undefined;
  CompShareImageId?: string | undefined;
  Quantity?: number | undefined;
}

/** A price detail as both SDK models (PriceDetail…) and the docs (PriceDetails…) name it. */
function detail(q: Quote, original: Quote) {
  return { ...q, InstanceDiscountType: 0, OriginalPrice: total(original), ListPrice: String(total(original)) };
}

async function quotes(ctx: RequestContext, req: PriceQuery, all: readonly string[]) {
  const { catalog, db } = ctx.services;
  const type = offeredType(catalog, req.Zone, req.GpuType);
  const wrong = checkSize(type, req.Gpu, req.Cpu, req.Memory);
  if (wrong) throw commonErrors.invalidParam(wrong === "GPU" ? "Gpu" : wrong === "CPU" ? "Cpu" : "Memory", `not a size of ${type.name}`);
  const types = req.ChargeType ? [req.ChargeType] : all.filter((c) => c !== "Spot" || type.spot);
  if (req.ChargeType === "Spot" && !type.spot) throw commonErrors.invalidParam("ChargeType", `Spot instances cannot use ${type.name}`);
  const disks = req.Disks ?? [];
  // A quote takes the sizes a Create would (catalog/disk-sizes.ts).
  disks.forEach((d, i) => {
    if (d.Size !== undefined) checkDiskSize(`Disks.${i}.Size`, d.Size, d.IsBoot === true);
  });
  const systemDiskGb = disks.find((d) => d.IsBoot)?.Size ?? catalog.data.prices.freeSystemDiskGb;
  const dataDiskGb = disks.filter((d) => !d.IsBoot).reduce((s, d) => s + (d.Size ?? 0), 0);
  let imagePerHour = 0;
  if (req.CompShareImageId) {
    const image = await findUsableImage(db, req.CompShareImageId, ctx.caller);
    if (!image) throw new ApiError("ImageNotFound", `image ${req.CompShareImageId} does not exist or is not available`);
    imagePerHour = image.price;
  }
  const prices = catalog.data.prices;
  const list = types.map((chargeType) => {
    const q = quote(prices, { gpuType: type.name, gpu: req.Gpu, chargeType, quantity: req.Quantity ?? 1, systemDiskGb, dataDiskGb, imagePerHour });
    if (!q) throw commonErrors.invalidParam("GpuType", `no price for ${type.name}`);
    return q;
  });
  const price = list.map((q) => detail(discounted(prices, q), q));
  const original = list.map((q) => detail(q, q));
  return {
    PriceDetail: price,
    OriginalPriceDetail: original,
    ListPriceDetail: original,
    PriceDetails: price,
    OriginalPriceDetails: original,
    ListPriceDetails: original,
  };
}

/** The list price of an instance's configuration for one period (or hour) of its charge type. */
function instanceQuote(catalog: Catalog, gpuType: string, gpu: number, chargeType: string): number {
  const q = quote(catalog.data.prices, { gpuType, gpu, chargeType, quantity: 1, systemDiskGb: 0, dataDiskGb: 0, imagePerHour: 0 });
  return q ? q.Instance : 0;
}

export const pricingHandlers: HandlerMap<ActionsOf<"pricing">> = {
  GetCompShareInstancePrice: (ctx, req) => quotes(ctx, req, ALL_FOR_CREATE),

  GetCompShareInstanceUserPrice: (ctx, req) => quotes(ctx, { ...req, Gpu: req.GPU, Cpu: req.CPU }, ALL_FOR_USER),

  async GetCompShareInstanceUpgradePrice(ctx, req) {
    const { catalog, clock } = ctx.services;
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    const type = catalog.gpuType(inst.gpuType);
    const gpu = req.GPU ?? inst.gpu;
    const cpu = req.CPU ?? inst.cpu;
    const memory = req.Memory ?? inst.memory;
    const wrong = type ? checkSize(type, gpu, cpu, memory) : "GPU";
    if (wrong) throw commonErrors.invalidParam(wrong, `not a size of ${inst.gpuType}`);
    const share = remainingShare(inst.chargeType, inst.periodStart, inst.expireTime, clock.now());
    const diff = (instanceQuote(catalog, inst.gpuType, gpu, inst.chargeType) - instanceQuote(catalog, inst.gpuType, inst.gpu, inst.chargeType)) * share;
    const list = cents(diff);
    return { Price: cents(list * catalog.data.prices.discount), OriginalPrice: list, ListPrice: list };
  },

  async GetCompShareRefundPrice(ctx, req) {
    const { db, catalog, clock } = ctx.services;
    const now = clock.now();
    const set = [];
    for (const id of req.UHostIds) {
      const inst = await findOwnedInstance(db, id, ctx.caller.accountId, ctx.caller.projectId);
      if (!inst) {
        set.push({ UHostId: id, Code: ERRORS.InstanceNotFound.retCode, Message: `instance ${id} does not exist`, ErrMessage: `instance ${id} does not exist`, RefundPrice: 0 });
        continue;
      }
      if (!PREPAID.has(inst.chargeType)) {
        const message = `${inst.chargeType} instances are billed by the hour: nothing to refund`;
        set.push({ UHostId: id, Code: 1, Message: message, ErrMessage: message, RefundPrice: 0 });
        continue;
      }
      // What TerminateCompShareInstance credits: the instance's own rest of period. Its data disks
      // are kept by default with their own paid periods (ReleaseUDisk refunds theirs as well).
      set.push({ UHostId: id, Code: 0, Message: "", ErrMessage: "", RefundPrice: refundOf(catalog.data.prices, inst, now) });
    }
    return { RefundPriceSet: set };
  },

  async SwitchChargeType(ctx, req) {
    const { catalog, clock, db } = ctx.services;
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    refuseRecycling(inst);
    const from = inst.chargeType;
    if (from === req.DestChargeType) throw commonErrors.invalidParam("DestChargeType", `instance ${inst.id} is already ${from}`);
    if (!(SWITCHES[from] ?? []).includes(req.DestChargeType)) {
      const allowed = SWITCHES[from];
      throw commonErrors.invalidParam(
        "DestChargeType",
        allowed ? `a ${from} instance can switch to ${allowed.join(" or ")}` : `${from} instances cannot switch to prepaid billing`,
      );
    }
    const now = clock.now();
    const prices = catalog.data.prices;
    const boot = inst.disks.find((d) => d.IsBoot);
    const q = quote(prices, { gpuType: inst.gpuType, gpu: inst.gpu, chargeType: req.DestChargeType, quantity: 1, systemDiskGb: boot?.Size ?? 0, dataDiskGb: 0, imagePerHour: await imagePricePerHour(db, inst.imageId) });
    const price = q ? total(discounted(prices, q)) : 0;
    const next = expiryOf(req.DestChargeType, 1, now);
    // The new period starts now and is paid now; the rest of the old one is refunded, as
    // GetCompShareRefundPrice quotes it. One transaction: both or neither.
    await db.transaction().execute(async (tx) => {
      const done = await casInstance(tx, inst.id, inst.state, {
        charge_type: req.DestChargeType,
        period_start: now,
        expire_time: next,
        paid_amount: price,
        auto_renew: "Yes",
        updated_at: now,
      });
      if (!done) throw new ApiError("InstanceOperationInProgress", `instance ${inst.id} changed while the request was checked; retry`);
      const back = refundOf(prices, inst, now);
      await creditRefund(tx, { accountId: inst.accountId, resourceId: inst.id, amount: back, periodStart: inst.periodStart, periodEnd: inst.expireTime, now, what: `refund of the rest of ${inst.chargeType} on switching to ${req.DestChargeType}` });
      await chargePurchase(tx, { accountId: inst.accountId, resourceId: inst.id, what: `${req.DestChargeType} ×1 of instance ${inst.id} (switched from ${inst.chargeType})`, amount: price, periodStart: now, periodEnd: next, now });
    });
    return { UHostId: inst.id };
  },
};
