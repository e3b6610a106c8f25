/** Data disks: resources of their own, created, attached, detached, resized and deleted. */
import { t } from "../schema.js";
import { DiskResourceModel } from "../models.js";
import { defineAction, diskId, emptyResponse, inZone, limit, offset, onInstance, onInstanceAnyZone, optionalScope, uhostId } from "./contract.js";
import { ChargeTypes } from "./instances.js";

const f = () => t.float();
const udiskIdResponse = t.object({ UDiskId: t.string() });
const UpgradeDetail = t.object({ UDisk: f(), Snapshot: f() });

export const CreateAndAttachCompshareDisk = defineAction({
  name: "CreateAndAttachCompshareDisk",
  family: "disks",
  summary: "Create a data disk and attach it to a Running or Stopped instance (a background task).",
  idempotent: false,
  request: t.object({
    ...onInstance,
    Size: t.int({ min: 1, max: 32_000 }),
    /** SSDDataDisk, RSSDDataDisk (A800 only), DataDisk or EfficiencyDataDisk. */
    DiskType: t.string({ maxLength: 32 }),
    Name: t.string({ maxLength: 64 }),
    ChargeType: t.optional(t.string({ enum: ChargeTypes })),
    Quantity: t.optional(t.int({ min: 1, max: 100 })),
    CouponId: t.optional(t.string({ maxLength: 64 })),
  }),
  response: udiskIdResponse,
});

export const AttachCompshareDisk = defineAction({
  name: "AttachCompshareDisk",
  family: "disks",
  summary: "Attach a detached data disk to a Running or Stopped instance of its zone (a background task).",
  idempotent: true,
  request: t.object({
    ...onInstanceAnyZone,
    UDiskId: diskId(),
    DataDiskType: t.optional(t.string({ maxLength: 32 })),
    EnableCrossPodAttach: t.optional(t.string({ maxLength: 16 })),
  }),
  response: emptyResponse,
});

export const DetachCompshareDisk = defineAction({
  name: "DetachCompshareDisk",
  family: "disks",
  summary: "Detach a data disk from its Stopped instance (a background task); the disk is kept.",
  idempotent: true,
  request: t.object({
    ...onInstanceAnyZone,
    UDiskId: diskId(),
    /** The device the disk is, such as /dev/vdb; checked when given (the SDK models cannot send it). */
    Device: t.optional(t.string({ maxLength: 32 })),
  }),
  response: emptyResponse,
});

export const ResizeCompShareDisk = defineAction({
  name: "ResizeCompShareDisk",
  family: "disks",
  summary: "Grow a data disk: a detached one at once, an attached one as a background task of its Stopped instance.",
  idempotent: true,
  request: t.object({ ...inZone, UDiskId: diskId(), UHostId: t.optional(uhostId()), Size: t.int({ min: 1, max: 32_000 }) }),
  response: udiskIdResponse,
});

export const DeleteCompshareDisk = defineAction({
  name: "DeleteCompshareDisk",
  family: "disks",
  summary: "Delete a detached data disk; deleting it again succeeds.",
  idempotent: true,
  request: t.object({
    ...inZone,
    UDiskId: diskId(),
    UHostId: t.optional(uhostId()),
    /** Sent by the SDK models; the account is the caller's. */
    OrganizationID: t.optional(t.int({ min: 0 })),
    TopOrganizationID: t.optional(t.int({ min: 0 })),
  }),
  response: udiskIdResponse,
});

export const GetCompShareAttachedDiskUpgradePrice = defineAction({
  name: "GetCompShareAttachedDiskUpgradePrice",
  family: "disks",
  summary: "What growing an instance's disk (boot or data) to DiskSpace GB costs for the rest of its period.",
  idempotent: true,
  request: t.object({
    ...onInstance,
    DiskId: diskId(),
    DiskSpace: t.int({ min: 1, max: 32_000 }),
    BackupMode: t.optional(t.string({ enum: ["NONE", "DATAARK", "SNAPSHOT"] as const })),
  }),
  response: t.object({
    Price: f(),
    OriginalPrice: f(),
    ListPrice: f(),
    PriceDetail: UpgradeDetail,
    OriginalPriceDetail: UpgradeDetail,
    ListPriceDetail: UpgradeDetail,
  }),
});

export const DescribeCompshareDisk = defineAction({
  name: "DescribeCompshareDisk",
  family: "disks",
  summary: "The caller's data disks, attached or not (the CompShare CLI's disk inventory; not in the docs).",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    HostId: t.optional(uhostId()),
    UDiskId: t.optional(diskId()),
    Offset: offset(),
    Limit: limit(),
  }),
  response: t.object({ TotalCount: t.int(), DiskSet: t.array(DiskResourceModel, { max: 100 }) }),
});

