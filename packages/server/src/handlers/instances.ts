/** Handlers of the instance lifecycle actions. Rules live in domain/, execution in operations/. */
import { ApiError, commonErrors, State } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import { checkDataDiskSize, checkDiskSize, checkSystemDiskSize } from "../catalog/disk-sizes.js";
import { checkSize } from "../catalog/sizes.js";
import type { MachineSpec } from "../drivers/driver.js";
import { NO_GPU_SPEC, noGpuRefusal, noGpuTaken, requestedNoGpu } from "../domain/no-gpu.js";
import { machinePorts, publishes } from "../domain/software-ports.js";
import type { ReinstallParams, ResetPasswordParams, ResizeParams, StartParams, TerminateParams, DiskParams } from "../operations/procedures/index.js";
import { refundDue, type Refund } from "../policies/purchases.js";
import { beginAttachedResize, disksOf, findOwnedDisk, machineDisks, type StoredDisk } from "../store/repositories/disks.js";
import { lockAccount } from "../store/repositories/accounts.js";
import { imagesById } from "../store/repositories/images.js";
import { casInstance, findOwnedInstance, listInstances, noGpuSlotHolder, type InstanceRecord } from "../store/repositories/instances.js";
import type { Executor, Tx } from "../store/schema.js";
import { checkImageSupports, createInstances } from "./create.js";
import { requireUsableImage } from "./image-lookup.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { inNoGpuMode, toInstanceModel } from "./views.js";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
export const pageOf = (offset: number | undefined, limit: number | undefined) => ({
  offset: offset ?? 0,
  limit: !limit ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT),
});

/** A scheduled stop must be at least this far ahead (UpdateCompShareStopScheduler's rule). */
const SCHEDULE_LEAD_MS = 300_000;

export async function ownedOrNotFound(ctx: RequestContext, id: string): Promise<InstanceRecord> {
  const inst = await findOwnedInstance(ctx.services.db, id, ctx.caller.accountId, ctx.caller.projectId);
  if (!inst) throw new ApiError("InstanceNotFound", `instance ${id} does not exist`);
  return inst;
}

export const refuseRecycling = (inst: InstanceRecord): void => {
  if (inst.recycling) throw new ApiError("InstanceRecycling", `instance ${inst.id} is being reclaimed`);
};

/** The machine an instance should be: its size, image, boot disk, GPUs, data disks and published ports. */
export async function specOf(
  db: Executor,
  catalog: Catalog,
  inst: Pick<InstanceRecord, "id" | "cpu" | "memory" | "gpu" | "gpuType" | "imageId" | "disks" | "ports" | "instanceType">,
  devices: string[],
): Promise<MachineSpec> {
  const boot = inst.disks.find((d) => d.IsBoot);
  const ports = machinePorts(inst, (await imagesById(db, [inst.imageId])).get(inst.imageId), catalog);
  return {
    cpu: inst.cpu,
    memory: inst.memory,
    gpu: inst.gpu,
    gpuType: inst.gpuType,
    imageId: inst.imageId,
    diskGb: boot?.Size ?? 0,
    gpuDevices: devices,
    dataDisks: machineDisks(await disksOf(db, inst.id)),
    ...(ports.length > 0 ? { ports } : {}),
  };
}

/** No start while the instance's account owes for it, or its prepaid period has run out (226601, 226602). */
function refuseUnpaid(inst: InstanceRecord, now: number): void {
  if (inst.arrearsSince > 0) throw new ApiError("InArrears", `instance ${inst.id} has unpaid orders since ${new Date(inst.arrearsSince).toISOString()}: top up the balance first`);
  const expiry = inst.expireTime;
  if (expiry > 0 && expiry <= now) throw new ApiError("InstanceExpired", `instance ${inst.id} expired at ${new Date(expiry).toISOString()}: renew it first`);
}

/** Start, with or without its GPUs. A machine sized for the other mode is resized before it powers on. */
async function startInstance(ctx: RequestContext, req: { UHostId: string; WithoutGpu?: boolean | undefined; WithoutGpuSpec?: string | undefined }) {
  const asked = requestedNoGpu(req);
  const { engine, catalog, fleet } = ctx.services;
  await engine.accept({
    action: "StartCompShareInstance",
    caller: ctx.caller,
    instanceId: req.UHostId,
    prepare: async (tx, inst, _opId, now) => {
      refuseUnpaid(inst, now);
      const noGpu = asked ?? inst.withoutGpu;
      if (noGpu) {
        const param = req.WithoutGpuSpec ? "WithoutGpuSpec" : "WithoutGpu";
        const refusal = noGpuRefusal({ id: inst.id, chargeType: inst.chargeType, gpuType: inst.gpuType, typeSupports: catalog.gpuType(inst.gpuType)?.withoutGpu === true }, param);
        if (refusal) throw refusal;
        await takeNoGpuSlot(tx, inst);
      }
      const full = await specOf(tx, catalog, inst, await fleet.devicesOf(tx, inst.id));
      // Sized for the other mode, or publishing other ports than its instance has now: resized before it powers on.
      const resize = noGpu !== inst.machineWithoutGpu || !publishes(inst.access, full.ports ?? []);
      const params: StartParams = { withoutGpu: noGpu, ...(resize ? { spec: noGpu ? noGpuMachine(full) : full } : {}) };
      return { instance: { no_gpu_slot: noGpu ? inst.accountId : null }, params };
    },
  });
  return { UHostId: req.UHostId };
}

/**
 * Makes this instance the account's one in no-GPU mode, or refuses. The account row is written
 * first, so concurrent starts of one account queue here; the unique index is the backstop.
 */
async function takeNoGpuSlot(tx: Tx, inst: InstanceRecord): Promise<void> {
  await lockAccount(tx, inst.accountId);
  const holder = await noGpuSlotHolder(tx, inst.accountId, inst.id);
  if (holder) throw noGpuTaken(inst.id, holder);
}

/** The machine of an instance in no-GPU mode: its disks and image, 1 CPU, 4 GB, no GPUs. */
const noGpuMachine = (full: MachineSpec): MachineSpec => ({ ...full, cpu: NO_GPU_SPEC.Cpu, memory: NO_GPU_SPEC.Memory, gpu: 0, gpuDevices: [] });

/** A simple action: guard, lock, launch. Answers with the UHostId. */
const lifecycle =
  (action: "StopCompShareInstance" | "RebootCompShareInstance") =>
  async (ctx: RequestContext, req: { UHostId: string }) => {
    await ctx.services.engine.accept({ action, caller: ctx.caller, instanceId: req.UHostId });
    return { UHostId: req.UHostId };
  };

export const instanceHandlers: HandlerMap<ActionsOf<"instances">> = {
  CreateCompShareInstance: createInstances,

  async DescribeCompShareInstance(ctx, req) {
    const { db, catalog, sealer, clock } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    // Lenient filters: a value no instance can have matches nothing (every instance is in the default VPC).
    const nowhere =
      (req.VPCId !== undefined && req.VPCId !== "uvnet-default") ||
      (req.SubnetId !== undefined && req.SubnetId !== "subnet-default") ||
      (req.Region !== undefined && req.Zone === undefined && !(catalog.regions[req.Region] ?? []).length);
    let zone = req.Zone;
    if (req.UDiskIdForAttachment) {
      const disk = await findOwnedDisk(db, req.UDiskIdForAttachment, ctx.caller.accountId, ctx.caller.projectId);
      if (!disk || (zone !== undefined && zone !== disk.zone)) return { TotalCount: 0, UHostSet: [] };
      zone = disk.zone;
    }
    if (nowhere) return { TotalCount: 0, UHostSet: [] };
    const { rows, total } = await listInstances(db, { projectId: ctx.caller.projectId, ids: req.UHostIds, zone, tag: req.Tag, offset, limit });
    let inRegion = req.Region !== undefined && req.Zone === undefined ? rows.filter((r) => catalog.regionOf(r.zone) === req.Region) : rows;
    // WithoutGpu=true lists the instances in no-GPU mode (the CLI's `instance list --without-gpu`).
    if (req.WithoutGpu === true) inRegion = inRegion.filter(inNoGpuMode);
    const images = await imagesById(db, inRegion.map((r) => r.imageId));
    const now = clock.now();
    return {
      TotalCount: inRegion.length === rows.length ? total : inRegion.length,
      UHostSet: inRegion.map((r) => toInstanceModel(r, images.get(r.imageId), catalog, sealer, now)),
    };
  },

  StartCompShareInstance: startInstance,
  StopCompShareInstance: lifecycle("StopCompShareInstance"),
  RebootCompShareInstance: lifecycle("RebootCompShareInstance"),

  async TerminateCompShareInstance(ctx, req) {
    const releaseDisks = req.ReleaseUDisk === true;
    const prices = ctx.services.catalog.data.prices;
    await ctx.services.engine.accept({
      action: "TerminateCompShareInstance",
      caller: ctx.caller,
      instanceId: req.UHostId,
      // The refund is fixed when the deletion is accepted: what GetCompShareRefundPrice quoted then.
      prepare: async (tx, inst, _opId, now) => {
        // Kept data disks keep their paid period; released ones are refunded with the instance.
        const released = releaseDisks ? await disksOf(tx, inst.id) : [];
        const refunds = [inst, ...released].map((r) => refundDue(prices, r, now)).filter((r): r is Refund => r !== undefined);
        const params: TerminateParams = { releaseDisks, refunds };
        return { params };
      },
    });
    return { UHostId: req.UHostId, InRecycle: "Yes" };
  },

  async ResetCompShareInstancePassword(ctx, req) {
    const params: ResetPasswordParams = { passwordSealed: ctx.services.sealer.seal(req.Password) };
    await ctx.services.engine.accept({ action: "ResetCompShareInstancePassword", caller: ctx.caller, instanceId: req.UHostId, params });
    return { UHostId: req.UHostId };
  },

  async ReinstallCompShareInstance(ctx, req) {
    const { fleet } = ctx.services;
    await ctx.services.engine.accept({
      action: "ReinstallCompShareInstance",
      caller: ctx.caller,
      instanceId: req.UHostId,
      prepare: async (tx, inst) => {
        const image = await requireUsableImage(tx, req.CompShareImageId, ctx.caller);
        checkImageSupports(image, inst.gpuType);
        const params: ReinstallParams = { imageId: image.id, spec: await specOf(tx, ctx.services.catalog, inst, await fleet.devicesOf(tx, inst.id)) };
        if (req.Password) params.passwordSealed = ctx.services.sealer.seal(req.Password);
        return { params };
      },
    });
    return { UHostId: req.UHostId };
  },

  async ResizeCompShareInstance(ctx, req) {
    const { catalog, fleet, engine, db } = ctx.services;
    const compute = req.Cpu !== undefined || req.Memory !== undefined || req.Gpu !== undefined;
    const disk = req.DiskId !== undefined || req.DiskSpace !== undefined;
    const noGpu = requestedNoGpu(req);
    if (noGpu !== undefined && (compute || disk)) throw commonErrors.invalidParam("WithoutGpu", "switching to or from no-GPU mode is a resize of its own, without Cpu, Memory, Gpu or a disk");
    if (noGpu !== undefined) return switchNoGpu(ctx, req.UHostId, noGpu, req.WithoutGpuSpec ? "WithoutGpuSpec" : "WithoutGpu");
    if (compute && disk) throw commonErrors.invalidParam("DiskSpace", "a compute resize and a disk resize are separate requests");
    if (!compute && !disk) throw commonErrors.missingParams(["Cpu", "Memory", "Gpu"]);
    if (compute) {
      const missing = (["Cpu", "Memory", "Gpu"] as const).filter((k) => req[k] === undefined);
      if (missing.length > 0) throw commonErrors.missingParams(missing);
    } else if (req.DiskSpace === undefined) {
      throw commonErrors.missingParams(["DiskSpace"]);
    } else if (req.DiskId === undefined) {
      // Without DiskId it is the system disk: its range is known before the instance is read.
      checkSystemDiskSize("DiskSpace", req.DiskSpace);
    }
    // A data disk given to this action is resized as ResizeCompShareDisk would.
    if (disk && req.DiskId) {
      const dataDisk = await findOwnedDisk(db, req.DiskId, ctx.caller.accountId, ctx.caller.projectId);
      if (dataDisk && dataDisk.instanceId === req.UHostId) {
        checkDataDiskSize("DiskSpace", req.DiskSpace as number);
        await acceptDiskResize(ctx, req.UHostId, dataDisk.id, req.DiskSpace as number);
        return { UHostId: req.UHostId };
      }
    }
    await engine.accept({
      action: "ResizeCompShareInstance",
      caller: ctx.caller,
      instanceId: req.UHostId,
      prepare: async (tx, inst) => {
        const type = catalog.gpuType(inst.gpuType);
        // `disks`: the DiskSet as the instance row stores it (the resize writes `after`'s when it succeeds).
        const before = { cpu: inst.cpu, memory: inst.memory, gpu: inst.gpu, disks: JSON.stringify(inst.disks) };
        let after: typeof before;
        let disks: StoredDisk[] = inst.disks;
        if (disk) {
          disks = inst.disks.map((d) => ({ ...d }));
          const target = req.DiskId ? disks.find((d) => d.DiskId === req.DiskId) : disks.find((d) => d.IsBoot);
          if (!target) throw commonErrors.invalidParam("DiskId", `instance ${inst.id} has no disk ${req.DiskId}`);
          if ((req.DiskSpace as number) < target.Size) throw commonErrors.invalidParam("DiskSpace", `disks only grow: ${target.DiskId} has ${target.Size} GB`);
          checkDiskSize("DiskSpace", req.DiskSpace as number, target.IsBoot);
          target.Size = req.DiskSpace as number;
          after = { ...before, disks: JSON.stringify(disks) };
        } else {
          after = { ...before, cpu: req.Cpu as number, memory: req.Memory as number, gpu: req.Gpu as number };
          const wrong = type ? checkSize(type, after.gpu, after.cpu, after.memory) : "GpuType";
          if (wrong) throw commonErrors.invalidParam(wrong === "GpuType" ? "Gpu" : wrong === "GPU" ? "Gpu" : wrong === "CPU" ? "Cpu" : "Memory", `not a size of ${inst.gpuType}`);
        }
        const devicesBefore = await fleet.devicesOf(tx, inst.id);
        let devices = devicesBefore.slice(0, after.gpu);
        const grow = { gpu: Math.max(0, after.gpu - before.gpu), cpu: Math.max(0, after.cpu - before.cpu), memoryMb: Math.max(0, after.memory - before.memory) };
        if (grow.gpu + grow.cpu + grow.memoryMb > 0) {
          // Growing reserves on the instance's own host now; shrinking gives back when the resize succeeds.
          const added = inst.hostId ? await fleet.grow(tx, inst.hostId, inst.id, grow) : null;
          if (!added) throw new ApiError("ResourceNotEnough", `the host of instance ${inst.id} has not ${grow.gpu} more ${inst.gpuType} GPUs, ${grow.cpu} CPUs and ${grow.memoryMb} MB free`);
          devices = [...devicesBefore, ...added];
        }
        const spec = await specOf(tx, catalog, { ...inst, cpu: after.cpu, memory: after.memory, gpu: after.gpu, disks }, devices);
        const params: ResizeParams = { before, after, devicesBefore, devices, spec };
        // A compute resize sizes the instance with its GPUs again.
        return { params, instance: compute ? { without_gpu: 0 } : {} };
      },
    });
    return { UHostId: req.UHostId };
  },

  async ModifyCompShareInstanceName(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    refuseRecycling(row);
    await casInstance(ctx.services.db, row.id, undefined, { name: req.Name, updated_at: ctx.services.clock.now() });
    return { UHostId: row.id };
  },

  async UpdateCompShareStopScheduler(ctx, req) {
    const at = req.SchedulerStopTime ?? req.StopTime;
    if (at === undefined) throw commonErrors.missingParams(["SchedulerStopTime"]);
    const param = req.SchedulerStopTime !== undefined ? "SchedulerStopTime" : "StopTime";
    const row = await ownedOrNotFound(ctx, req.UHostId);
    const now = ctx.services.clock.now();
    if (at * 1000 < now + SCHEDULE_LEAD_MS) throw commonErrors.invalidParam(param, "at least 5 minutes from now");
    if (row.chargeType === "Spot") throw commonErrors.invalidParam("UHostId", "Spot instances have no scheduled stop");
    refuseRecycling(row);
    await casInstance(ctx.services.db, row.id, undefined, { stop_scheduler_time: at * 1000, updated_at: now });
    return { UHostId: row.id };
  },

  async DeleteCompShareStopScheduler(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    await casInstance(ctx.services.db, row.id, undefined, { stop_scheduler_time: 0, updated_at: ctx.services.clock.now() });
    return { UHostId: row.id };
  },

  async UpdateCompShareInstancePorts(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    refuseRecycling(row);
    if (row.instanceType !== "Container") throw commonErrors.invalidParam("UHostId", `instance ${row.id} is a virtual machine: port mappings are for container instances`);
    const ports = row.ports;
    const next = {
      HttpPorts: [...new Set(req.HttpPorts ?? ports.HttpPorts ?? [])],
      TcpPorts: [...new Set(req.TcpPorts ?? ports.TcpPorts ?? [])],
    };
    await casInstance(ctx.services.db, row.id, undefined, { ports: JSON.stringify(next), updated_at: ctx.services.clock.now() });
    return { UHostId: row.id };
  },
};

/**
 * ResizeCompShareInstance with WithoutGpu: the Stopped instance starts without its GPUs from now
 * on (or with them again, for false). Nothing changes on the machine until it starts.
 */
async function switchNoGpu(ctx: RequestContext, id: string, noGpu: boolean, param: string): Promise<{ UHostId: string }> {
  const { db, catalog, clock } = ctx.services;
  const row = await ownedOrNotFound(ctx, id);
  refuseRecycling(row);
  if (row.state !== State.Stopped) throw new ApiError("InstanceMustBeStopped", `instance ${row.id} is ${row.state || "in an unknown state"}; a no-GPU switch needs Stopped`);
  if (noGpu) {
    const refusal = noGpuRefusal({ id: row.id, chargeType: row.chargeType, gpuType: row.gpuType, typeSupports: catalog.gpuType(row.gpuType)?.withoutGpu === true }, param);
    if (refusal) throw refusal;
  }
  const done = await casInstance(db, row.id, State.Stopped, { without_gpu: noGpu ? 1 : 0, updated_at: clock.now() });
  if (!done) throw new ApiError("InstanceOperationInProgress", `instance ${row.id} changed while the request was checked; retry`);
  return { UHostId: row.id };
}

/** Accepts the resize of an attached data disk (ResizeCompShareDisk, or ResizeCompShareInstance with a data DiskId). */
export async function acceptDiskResize(ctx: RequestContext, instanceId: string, diskId: string, sizeGb: number): Promise<void> {
  const params: DiskParams = { diskId, sizeGb };
  await ctx.services.engine.accept({
    action: "ResizeCompShareDisk",
    caller: ctx.caller,
    instanceId,
    params,
    prepare: async (tx, _inst, opId, now) => {
      const disk = await findOwnedDisk(tx, diskId, ctx.caller.accountId, ctx.caller.projectId);
      if (!disk || disk.instanceId !== instanceId) throw new ApiError("DiskNotFound", `disk ${diskId} is not attached to instance ${instanceId}`);
      if (sizeGb <= disk.sizeGb) throw commonErrors.invalidParam("Size", `disks only grow: ${disk.id} has ${disk.sizeGb} GB`);
      if (disk.status !== "InUse") throw new ApiError("DiskNotAvailable", `disk ${disk.id} is ${disk.status}`);
      await beginAttachedResize(tx, disk.id, opId, now);
    },
  });
}
