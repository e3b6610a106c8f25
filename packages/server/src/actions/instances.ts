/** Handlers of the instance lifecycle actions. Rules live in domain/, execution in operations/. */
import { ApiError, commonErrors } from "@opencompshare/protocol";
import { checkSize } from "../catalog/sizes.js";
import type { MachineSpec } from "../drivers/driver.js";
import type { ReinstallParams, ResetPasswordParams, ResizeParams, TerminateParams, DiskParams } from "../operations/procedures/index.js";
import { disksOf, findOwnedDisk, machineDisks, type StoredDisk } from "../store/repositories/disks.js";
import { casInstance, findOwnedInstance, listInstances } from "../store/repositories/instances.js";
import type { Executor, InstanceRow } from "../store/schema.js";
import { checkImageSupports, checkName, createInstances } from "./create.js";
import { imagesById, requireUsableImage } from "./image-lookup.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { toInstanceModel } from "./views.js";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
export const pageOf = (offset: number | undefined, limit: number | undefined) => ({
  offset: offset ?? 0,
  limit: !limit ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT),
});

/** A scheduled stop must be at least this far ahead (UpdateCompShareStopScheduler's rule). */
const SCHEDULE_LEAD_MS = 300_000;

export async function ownedOrNotFound(ctx: RequestContext, id: string): Promise<InstanceRow> {
  const row = await findOwnedInstance(ctx.services.db, id, ctx.caller.accountId, ctx.caller.projectId);
  if (!row) throw new ApiError("InstanceNotFound", `instance ${id} does not exist`);
  return row;
}

const refuseRecycling = (row: InstanceRow): void => {
  if (Number(row.recycling) === 1) throw new ApiError("InstanceRecycling", `instance ${row.id} is being reclaimed`);
};

/** The machine an instance should be: its size, image, boot disk, GPUs and data disks. */
export async function specOf(db: Executor, row: InstanceRow, devices: string[]): Promise<MachineSpec> {
  const boot = (JSON.parse(row.disks) as StoredDisk[]).find((d) => d.IsBoot);
  return {
    cpu: Number(row.cpu),
    memory: Number(row.memory),
    gpu: Number(row.gpu),
    gpuType: row.gpu_type,
    imageId: row.image_id,
    diskGb: boot?.Size ?? 0,
    gpuDevices: devices,
    dataDisks: machineDisks(await disksOf(db, row.id)),
  };
}

/** A simple action: guard, lock, launch. Answers with the UHostId. */
const lifecycle =
  (action: "StartCompShareInstance" | "StopCompShareInstance" | "RebootCompShareInstance") =>
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
    const inRegion = req.Region !== undefined && req.Zone === undefined ? rows.filter((r) => catalog.regionOf(r.zone) === req.Region) : rows;
    const images = await imagesById(db, inRegion.map((r) => r.image_id));
    const now = clock.now();
    return {
      TotalCount: inRegion.length === rows.length ? total : inRegion.length,
      UHostSet: inRegion.map((r) => toInstanceModel(r, images.get(r.image_id), catalog, sealer, now)),
    };
  },

  StartCompShareInstance: lifecycle("StartCompShareInstance"),
  StopCompShareInstance: lifecycle("StopCompShareInstance"),
  RebootCompShareInstance: lifecycle("RebootCompShareInstance"),

  async TerminateCompShareInstance(ctx, req) {
    const params: TerminateParams = { releaseDisks: req.ReleaseUDisk === true };
    await ctx.services.engine.accept({ action: "TerminateCompShareInstance", caller: ctx.caller, instanceId: req.UHostId, params });
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
        checkImageSupports(image, inst.gpu_type);
        const params: ReinstallParams = { imageId: image.id, spec: await specOf(tx, inst, await fleet.devicesOf(tx, inst.id)) };
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
    if (compute && disk) throw commonErrors.invalidParam("DiskSpace", "a compute resize and a disk resize are separate requests");
    if (!compute && !disk) throw commonErrors.missingParams(["Cpu", "Memory", "Gpu"]);
    if (compute) {
      const missing = (["Cpu", "Memory", "Gpu"] as const).filter((k) => req[k] === undefined);
      if (missing.length > 0) throw commonErrors.missingParams(missing);
    } else if (req.DiskSpace === undefined) {
      throw commonErrors.missingParams(["DiskSpace"]);
    }
    // A data disk given to this action is resized as ResizeCompShareDisk would.
    if (disk && req.DiskId) {
      const dataDisk = await findOwnedDisk(db, req.DiskId, ctx.caller.accountId, ctx.caller.projectId);
      if (dataDisk && dataDisk.instance_id === req.UHostId) {
        await acceptDiskResize(ctx, req.UHostId, dataDisk.id, req.DiskSpace as number);
        return { UHostId: req.UHostId };
      }
    }
    await engine.accept({
      action: "ResizeCompShareInstance",
      caller: ctx.caller,
      instanceId: req.UHostId,
      prepare: async (tx, inst) => {
        const stored = JSON.parse(inst.disks) as StoredDisk[];
        const type = catalog.gpuType(inst.gpu_type);
        const before = { cpu: Number(inst.cpu), memory: Number(inst.memory), gpu: Number(inst.gpu), disks: inst.disks };
        let after: typeof before;
        if (disk) {
          const target = req.DiskId ? stored.find((d) => d.DiskId === req.DiskId) : stored.find((d) => d.IsBoot);
          if (!target) throw commonErrors.invalidParam("DiskId", `instance ${inst.id} has no disk ${req.DiskId}`);
          if ((req.DiskSpace as number) < target.Size) throw commonErrors.invalidParam("DiskSpace", `disks only grow: ${target.DiskId} has ${target.Size} GB`);
          target.Size = req.DiskSpace as number;
          after = { ...before, disks: JSON.stringify(stored) };
        } else {
          after = { ...before, cpu: req.Cpu as number, memory: req.Memory as number, gpu: req.Gpu as number };
          const wrong = type ? checkSize(type, after.gpu, after.cpu, after.memory) : "GpuType";
          if (wrong) throw commonErrors.invalidParam(wrong === "GpuType" ? "Gpu" : wrong === "GPU" ? "Gpu" : wrong === "CPU" ? "Cpu" : "Memory", `not a size of ${inst.gpu_type}`);
        }
        const devicesBefore = await fleet.devicesOf(tx, inst.id);
        let devices = devicesBefore.slice(0, after.gpu);
        const grow = { gpu: Math.max(0, after.gpu - before.gpu), cpu: Math.max(0, after.cpu - before.cpu), memoryMb: Math.max(0, after.memory - before.memory) };
        if (grow.gpu + grow.cpu + grow.memoryMb > 0) {
          // Growing reserves on the instance's own host now; shrinking gives back when the resize succeeds.
          const added = inst.host_id ? await fleet.grow(tx, inst.host_id, inst.id, grow) : null;
          if (!added) throw new ApiError("ResourceNotEnough", `the host of instance ${inst.id} has not ${grow.gpu} more ${inst.gpu_type} GPUs, ${grow.cpu} CPUs and ${grow.memoryMb} MB free`);
          devices = [...devicesBefore, ...added];
        }
        const spec = await specOf(tx, { ...inst, ...after }, devices);
        const params: ResizeParams = { before, after, devicesBefore, devices, spec };
        return { params };
      },
    });
    return { UHostId: req.UHostId };
  },

  async ModifyCompShareInstanceName(ctx, req) {
    checkName(req.Name);
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
    if (row.charge_type === "Spot") throw commonErrors.invalidParam("UHostId", "Spot instances have no scheduled stop");
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
    if (row.instance_type !== "Container") throw commonErrors.invalidParam("UHostId", `instance ${row.id} is a virtual machine: port mappings are for container instances`);
    const ports = JSON.parse(row.ports || "{}") as { HttpPorts?: number[]; TcpPorts?: number[] };
    const next = {
      HttpPorts: [...new Set(req.HttpPorts ?? ports.HttpPorts ?? [])],
      TcpPorts: [...new Set(req.TcpPorts ?? ports.TcpPorts ?? [])],
    };
    await casInstance(ctx.services.db, row.id, undefined, { ports: JSON.stringify(next), updated_at: ctx.services.clock.now() });
    return { UHostId: row.id };
  },
};

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
      if (!disk || disk.instance_id !== instanceId) throw new ApiError("DiskNotFound", `disk ${diskId} is not attached to instance ${instanceId}`);
      if (sizeGb <= Number(disk.size_gb)) throw commonErrors.invalidParam("Size", `disks only grow: ${disk.id} has ${Number(disk.size_gb)} GB`);
      if (disk.status !== "InUse") throw new ApiError("DiskNotAvailable", `disk ${disk.id} is ${disk.status}`);
      await tx.updateTable("disks").set({ status: "Resizing", op_id: opId, updated_at: now }).where("id", "=", disk.id).where("status", "=", "InUse").execute();
    },
  });
}
