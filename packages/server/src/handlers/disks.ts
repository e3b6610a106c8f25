/**
 * Handlers of the data disk actions. A disk is a resource of its own with an owner; attaching,
 * detaching and resizing an attached disk are background tasks of the instance (guarded like a
 * reboot: the lock, imaging, reclaiming, other tasks, the state); a detached disk is resized or
 * deleted by an operation of its own, entered by compare-and-set on its status, and the answer
 * waits for that operation's end (operations/resources.ts).
 */
import { chargePurchase, refundDue } from "../policies/purchases.js";
import type { DeleteDiskParams } from "../operations/procedures/detached-disks.js";
import { ApiError, commonErrors } from "@opencompshare/protocol";
import { checkDataDiskSize, checkDiskSize } from "../catalog/disk-sizes.js";
import { diskUnitPrice, expiryOf, PREPAID, cents, remainingShare } from "../catalog/pricing.js";
import type { DetachedDiskParams, DiskParams } from "../operations/procedures/index.js";
import { runOnResource } from "../operations/resources.js";
import { casDisk, disksOf, findOwnedDisk, insertDisk, listDisks, newDiskId, nextDevice, type DiskRecord } from "../store/repositories/disks.js";
import type { InstanceRecord } from "../store/repositories/instances.js";
import type { Executor } from "../store/schema.js";
import { acceptDiskResize, ownedOrNotFound, pageOf } from "./instances.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";

/** CreateAndAttachCompshareDisk's data disk types, and the disk type each shows as. */
export const DATA_DISK_TYPES: Readonly<Record<string, string>> = {
  SSDDataDisk: "CLOUD_SSD",
  RSSDDataDisk: "CLOUD_RSSD",
  DataDisk: "CLOUD_NORMAL",
  EfficiencyDataDisk: "CLOUD_NORMAL",
};

async function ownedDisk(ctx: RequestContext, id: string): Promise<DiskRecord> {
  const disk = await findOwnedDisk(ctx.services.db, id, ctx.caller.accountId, ctx.caller.projectId);
  if (!disk || disk.status === "Deleted") throw new ApiError("DiskNotFound", `disk ${id} does not exist`);
  return disk;
}

/** RSSD disks only on A800 (CompShare's rule). */
function checkDiskTypeFor(inst: InstanceRecord, diskType: string, param: string): void {
  if (diskType === "CLOUD_RSSD" && inst.gpuType !== "A800") throw commonErrors.invalidParam(param, "RSSD disks attach to A800 instances only");
}

/** A disk on another host cannot follow an instance there: its file stays where it is (agent hosts only). */
function checkSameHost(ctx: RequestContext, disk: DiskRecord, inst: InstanceRecord): void {
  if (ctx.services.fleet.opts.kind === "agent" && disk.hostId && inst.hostId && disk.hostId !== inst.hostId) {
    throw commonErrors.invalidParam("UDiskId", `disk ${disk.id} is stored on host ${disk.hostId}; instance ${inst.id} runs on ${inst.hostId}`);
  }
}

/** The instance's disks as CompShare names them for pricing: the boot disk from its DiskSet, or an attached data disk. */
async function diskOfInstance(db: Executor, inst: InstanceRecord, diskId: string): Promise<{ size: number; chargeType: string; boot: boolean; periodStart: number; expire: number } | undefined> {
  const boot = inst.disks.find((d) => d.IsBoot && d.DiskId === diskId);
  if (boot) return { size: boot.Size, chargeType: inst.chargeType, boot: true, periodStart: inst.periodStart, expire: inst.expireTime };
  const data = (await disksOf(db, inst.id)).find((d) => d.id === diskId);
  return data ? { size: data.sizeGb, chargeType: data.chargeType, boot: false, periodStart: data.periodStart, expire: data.expireTime } : undefined;
}

export function toDiskModel(d: DiskRecord, region: string) {
  return {
    ResourceId: d.id,
    UDiskId: d.id,
    Name: d.name,
    Size: d.sizeGb,
    Configuration: `${d.sizeGb}GB`,
    DiskType: d.diskType,
    ChargeType: d.chargeType,
    Status: d.status,
    MountInstance: d.instanceId ?? "",
    Device: d.device,
    Region: region,
    Zone: d.zone,
    CreateTime: Math.floor(d.createdAt / 1000),
    ExpireTime: Math.floor(d.expireTime / 1000),
  };
}

/**
 * Runs a detached disk's resize or delete as an operation: the disk goes from Available to
 * `enter` by compare-and-set in the acceptance transaction, or the call is refused, naming why.
 */
async function onDetachedDisk(
  ctx: RequestContext,
  disk: DiskRecord,
  action: "ResizeCompShareDisk" | "DeleteCompshareDisk",
  params: DiskParams | DetachedDiskParams,
  enter: "Resizing" | "Deleting",
): Promise<void> {
  await runOnResource(ctx.services.engine, {
    action,
    caller: ctx.caller,
    resourceId: disk.id,
    params,
    enter: async (tx, opId, now) => {
      if (!(await casDisk(tx, disk.id, "Available", { status: enter, op_id: opId, updated_at: now }))) {
        // Read before this transaction: an Available disk then was taken by another operation since.
        const state = disk.status === "Available" ? "busy with another operation" : disk.status;
        const why = disk.instanceId ? ` on instance ${disk.instanceId}: detach it first` : ": only an Available disk can change";
        throw new ApiError("DiskNotAvailable", `disk ${disk.id} is ${state}${why}`);
      }
    },
  });
}

export const diskHandlers: HandlerMap<ActionsOf<"disks">> = {
  async CreateAndAttachCompshareDisk(ctx, req) {
    const { catalog, engine } = ctx.services;
    const diskType = DATA_DISK_TYPES[req.DiskType];
    if (!diskType) throw commonErrors.invalidParam("DiskType", Object.keys(DATA_DISK_TYPES).join(", "));
    checkDataDiskSize("Size", req.Size);
    const chargeType = req.ChargeType ?? "Month";
    const quantity = req.Quantity ?? 1;
    const diskId = newDiskId();
    const params: DiskParams = { diskId, sizeGb: req.Size };
    await engine.accept({
      action: "CreateAndAttachCompshareDisk",
      caller: ctx.caller,
      instanceId: req.UHostId,
      params,
      prepare: async (tx, inst, opId, now) => {
        checkDiskTypeFor(inst, diskType, "DiskType");
        if (inst.zone !== req.Zone) throw commonErrors.invalidParam("Zone", `instance ${inst.id} is in ${inst.zone}`);
        const periods = PREPAID.has(chargeType) ? quantity : 0;
        // A prepaid disk pays its first period from the balance now (226622 when it cannot: nothing is made).
        const paid = cents(req.Size * diskUnitPrice(catalog.data.prices, chargeType) * periods * catalog.data.prices.discount);
        if (paid > 0) {
          await chargePurchase(tx, {
            accountId: ctx.caller.accountId,
            resourceId: diskId,
            what: `${chargeType} ×${quantity} of data disk ${diskId} (${req.Size} GB)`,
            amount: paid,
            periodStart: now,
            periodEnd: expiryOf(chargeType, quantity, now),
            now,
          });
        }
        await insertDisk(tx, {
            id: diskId,
            account_id: ctx.caller.accountId,
            project_id: ctx.caller.projectId,
            zone: inst.zone,
            name: req.Name,
            size_gb: req.Size,
            disk_type: diskType,
            charge_type: chargeType,
            status: "Attaching",
            instance_id: inst.id,
            device: nextDevice(await disksOf(tx, inst.id)),
            host_id: inst.hostId,
            op_id: opId,
            paid_amount: paid,
            period_start: now,
            expire_time: expiryOf(chargeType, quantity, now),
            created_at: now,
            updated_at: now,
          });
      },
    });
    return { UDiskId: diskId };
  },

  async AttachCompshareDisk(ctx, req) {
    const disk = await ownedDisk(ctx, req.UDiskId);
    const params: DiskParams = { diskId: disk.id, sizeGb: disk.sizeGb };
    await ctx.services.engine.accept({
      action: "AttachCompshareDisk",
      caller: ctx.caller,
      instanceId: req.UHostId,
      params,
      prepare: async (tx, inst, opId, now) => {
        if (disk.zone !== inst.zone) throw commonErrors.invalidParam("UDiskId", `disk ${disk.id} is in ${disk.zone}, instance ${inst.id} in ${inst.zone}`);
        checkDiskTypeFor(inst, disk.diskType, "UDiskId");
        checkSameHost(ctx, disk, inst);
        const device = nextDevice(await disksOf(tx, inst.id));
        const taken = await casDisk(tx, disk.id, "Available", { status: "Attaching", instance_id: inst.id, device, host_id: inst.hostId, op_id: opId, updated_at: now });
        if (!taken) throw new ApiError("DiskNotAvailable", `disk ${disk.id} is not detached (${disk.status}${disk.instanceId ? ` on ${disk.instanceId}` : ""})`);
      },
    });
    return {};
  },

  async DetachCompshareDisk(ctx, req) {
    const disk = await ownedDisk(ctx, req.UDiskId);
    if (disk.instanceId !== req.UHostId) throw commonErrors.invalidParam("UDiskId", `disk ${disk.id} is not attached to instance ${req.UHostId}`);
    if (req.Device !== undefined && req.Device !== disk.device) throw commonErrors.invalidParam("Device", `disk ${disk.id} is ${disk.device}`);
    const params: DiskParams = { diskId: disk.id, sizeGb: disk.sizeGb };
    await ctx.services.engine.accept({
      action: "DetachCompshareDisk",
      caller: ctx.caller,
      instanceId: req.UHostId,
      params,
      prepare: async (tx, _inst, opId, now) => {
        const taken = await casDisk(tx, disk.id, "InUse", { status: "Detaching", op_id: opId, updated_at: now });
        if (!taken) throw new ApiError("DiskNotAvailable", `disk ${disk.id} is ${disk.status}`);
      },
    });
    return {};
  },

  async ResizeCompShareDisk(ctx, req) {
    const disk = await ownedDisk(ctx, req.UDiskId);
    if (req.Size <= disk.sizeGb) throw commonErrors.invalidParam("Size", `disks only grow: ${disk.id} has ${disk.sizeGb} GB`);
    checkDataDiskSize("Size", req.Size);
    if (disk.instanceId) {
      if (req.UHostId !== undefined && req.UHostId !== disk.instanceId) throw commonErrors.invalidParam("UHostId", `disk ${disk.id} is attached to ${disk.instanceId}`);
      await acceptDiskResize(ctx, disk.instanceId, disk.id, req.Size);
      return { UDiskId: disk.id };
    }
    const params: DetachedDiskParams = { diskId: disk.id, sizeGb: req.Size, detached: true };
    await onDetachedDisk(ctx, disk, "ResizeCompShareDisk", params, "Resizing");
    return { UDiskId: disk.id };
  },

  async DeleteCompshareDisk(ctx, req) {
    const disk = await findOwnedDisk(ctx.services.db, req.UDiskId, ctx.caller.accountId, ctx.caller.projectId);
    if (!disk) throw new ApiError("DiskNotFound", `disk ${req.UDiskId} does not exist`);
    // Deleting a deleted disk again succeeds, as CompShare documents.
    if (disk.status === "Deleted") return { UDiskId: disk.id };
    // A prepaid disk is refunded the rest of its period, fixed when the deletion is accepted.
    const refund = refundDue(ctx.services.catalog.data.prices, disk, ctx.services.clock.now());
    const params: DeleteDiskParams = { diskId: disk.id, sizeGb: disk.sizeGb, ...(refund ? { refund } : {}) };
    await onDetachedDisk(ctx, disk, "DeleteCompshareDisk", params, "Deleting");
    return { UDiskId: disk.id };
  },

  async GetCompShareAttachedDiskUpgradePrice(ctx, req) {
    const { catalog, db, clock } = ctx.services;
    const inst = await ownedOrNotFound(ctx, req.UHostId);
    const disk = await diskOfInstance(db, inst, req.DiskId);
    if (!disk) throw new ApiError("DiskNotFound", `instance ${inst.id} has no disk ${req.DiskId}`);
    if (req.DiskSpace < disk.size) throw commonErrors.invalidParam("DiskSpace", `disks only grow: ${req.DiskId} has ${disk.size} GB`);
    checkDiskSize("DiskSpace", req.DiskSpace, disk.boot);
    const prices = catalog.data.prices;
    const free = disk.boot ? prices.freeSystemDiskGb : 0;
    const billable = (gb: number) => Math.max(0, gb - free);
    const extraGb = billable(req.DiskSpace) - billable(disk.size);
    const share = remainingShare(disk.chargeType, disk.periodStart, disk.expire, clock.now());
    const list = cents(extraGb * diskUnitPrice(prices, disk.chargeType) * share);
    const price = cents(list * prices.discount);
    return {
      Price: price,
      OriginalPrice: list,
      ListPrice: list,
      PriceDetail: { UDisk: price, Snapshot: 0 },
      OriginalPriceDetail: { UDisk: list, Snapshot: 0 },
      ListPriceDetail: { UDisk: list, Snapshot: 0 },
    };
  },

  async DescribeCompshareDisk(ctx, req) {
    const { db, catalog } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit ?? 100);
    const zones = req.Zone ? [req.Zone] : req.Region ? (catalog.regions[req.Region] ?? []) : undefined;
    const { rows, total } = await listDisks(db, {
      projectId: ctx.caller.projectId,
      ...(zones ? { zones } : {}),
      ...(req.HostId ? { instanceId: req.HostId } : {}),
      ...(req.UDiskId ? { diskId: req.UDiskId } : {}),
      offset,
      limit,
    });
    return { TotalCount: total, DiskSet: rows.map((d) => toDiskModel(d, catalog.regionOf(d.zone) ?? "")) };
  },
};
