/** Prices and billing: new instances, upgrades, refunds, and switching a prepaid instance's period. */
import { t } from "../schema.js";
import { PriceDetailModel } from "../models.js";
import { defineAction, imageId, inZone, onInstance, uhostIdResponse, uhostIds } from "./contract.js";
import { ChargeTypes } from "./instances.js";

const f = () => t.float();
const details = () => t.array(PriceDetailModel, { max: 16 });
const disks = () =>
  t.optional(
    t.array(t.object({ IsBoot: t.optional(t.bool()), Type: t.optional(t.string({ maxLength: 32 })), Size: t.optional(t.int({ min: 1, max: 32_000 })) }), { max: 16 }),
  );

/** The answer of both price queries: the SDK models' names (PriceDetail…) and the docs' (PriceDetails…). */
const priceResponse = t.object({
  PriceDetail: details(),
  OriginalPriceDetail: details(),
  ListPriceDetail: details(),
  PriceDetails: details(),
  OriginalPriceDetails: details(),
  ListPriceDetails: details(),
});

export const GetCompShareInstancePrice = defineAction({
  name: "GetCompShareInstancePrice",
  family: "pricing",
  summary: "The price of a new instance (Memory in MB) per charge type, or for every charge type when ChargeType is left out.",
  idempotent: true,
  request: t.object({
    ...inZone,
    GpuType: t.string({ maxLength: 64 }),
    Gpu: t.int({ min: 1, max: 64 }),
    Cpu: t.int({ min: 1, max: 1024 }),
    Memory: t.int({ min: 1024, max: 4 * 1024 * 1024 }),
    ChargeType: t.optional(t.string({ enum: ChargeTypes })),
    Disks: disks(),
    Volumes: t.optional(t.array(t.object({ Type: t.optional(t.string({ maxLength: 32 })), Size: t.optional(t.int({ min: 1 })) }), { max: 16 })),
    CompShareImageId: t.optional(imageId()),
    Quantity: t.optional(t.int({ min: 1, max: 100 })),
  }),
  response: priceResponse,
});

export const GetCompShareInstanceUserPrice = defineAction({
  name: "GetCompShareInstanceUserPrice",
  family: "pricing",
  summary: "The account's price of an instance configuration (Memory in MB) per charge type.",
  idempotent: true,
  request: t.object({
    ...inZone,
    GpuType: t.string({ maxLength: 64 }),
    GPU: t.int({ min: 1, max: 64 }),
    CPU: t.int({ min: 1, max: 1024 }),
    Memory: t.int({ min: 1024, max: 4 * 1024 * 1024 }),
    ChargeType: t.optional(t.string({ enum: ChargeTypes })),
    Disks: disks(),
    CompShareImageId: t.optional(imageId()),
  }),
  response: priceResponse,
});

export const GetCompShareInstanceUpgradePrice = defineAction({
  name: "GetCompShareInstanceUpgradePrice",
  family: "pricing",
  summary: "What resizing an instance to CPU/Memory/GPU costs for the rest of its period (per hour for hourly types); negative is a refund.",
  idempotent: true,
  request: t.object({
    ...onInstance,
    /** The SDK models spell them Cpu and Gpu; names are matched without regard to case. */
    CPU: t.optional(t.int({ min: 1, max: 1024 })),
    Memory: t.optional(t.int({ min: 1024, max: 4 * 1024 * 1024 })),
    GPU: t.optional(t.int({ min: 1, max: 64 })),
    CompShareImageId: t.optional(imageId()),
  }),
  response: t.object({ Price: f(), OriginalPrice: f(), ListPrice: f() }),
});

export const GetCompShareRefundPrice = defineAction({
  name: "GetCompShareRefundPrice",
  family: "pricing",
  summary: "What deleting each instance now would refund (prepaid instances; Code 0 when refundable).",
  idempotent: true,
  request: t.object({ ...inZone, UHostIds: uhostIds() }),
  response: t.object({
    RefundPriceSet: t.array(t.object({ UHostId: t.string(), Code: t.int(), Message: t.string(), ErrMessage: t.string(), RefundPrice: f() }), { max: 100 }),
  }),
});

export const SwitchChargeType = defineAction({
  name: "SwitchChargeType",
  family: "pricing",
  summary: "Switch a prepaid instance to a longer period (Day to Month or Year, Month to Year); the new period starts now.",
  idempotent: false,
  request: t.object({ ...onInstance, DestChargeType: t.string({ enum: ChargeTypes }) }),
  response: uhostIdResponse,
});
