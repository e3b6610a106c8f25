/** Handlers of the instance lifecycle actions. Rules live in domain/, execution in operations/. */
import { randomBytes } from "node:crypto";
import { ApiError, commonErrors } from "@opencompshare/protocol";
import { State } from "../domain/states.js";
import type { MachineSpec } from "../drivers/driver.js";
import type { CreateParams, ResetPasswordParams, ReinstallParams, ResizeParams } from "../operations/procedures.js";
import { takeGpus } from "../store/repositories/capacity.js";
import { casInstance, findOwnedInstance, listInstances } from "../store/repositories/instances.js";
import type { InstanceRow } from "../store/schema.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { imagesById, requireUsableImage } from "./image-lookup.js";
import { toInstanceModel, type StoredDisk } from "./views.js";


const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
export const pageOf = (offset: number | undefined, limit: number | undefined) => ({
  offset: offset ?? 0,
  limit: !limit ? DEFAULT_LIMIT : Math.min(limit, MAX_LIMIT),
});

/**
 * When a prepaid instance expires: Quantity units of its ChargeType from now (Month with 0: the
 * end of this month). Pay-as-you-go types never expire (0).
 */
export function expiryOf(chargeType: string, quantity: number, now: number): number {
  const d = new Date(now);
  switch (chargeType) {
    case "Year":
      return Date.UTC(d.getUTCFullYear() + Math.max(1, quantity), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
    case "Month":
      return quantity === 0
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + quantity, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
    case "Day":
      return now + Math.max(1, quantity) * 86_400_000;
    default:
      return 0;
  }
}

const newInstanceId = (): string => `uhost-${randomBytes(6).toString("hex")}`;
const newDiskId = (): string => `bsi-${randomBytes(6).toString("hex")}`;

async function ownedOrNotFound(ctx: RequestContext, id: string): Promise<InstanceRow> {
  const { db } = ctx.services;
  const row = await findOwnedInstance(db, id, ctx.caller.accountId, ctx.caller.projectId);
  if (!row) throw new ApiError("InstanceNotFound", `instance ${id} does not exist`);
  return row;
}

function specOf(row: Pick<InstanceRow, "cpu" | "memory" | "gpu" | "gpu_type" | "image_id" | "disks">): MachineSpec {
  const disks = JSON.parse(row.disks) as StoredDisk[];
  return {
    cpu: Number(row.cpu),
    memory: Number(row.memory),
    gpu: Number(row.gpu),
    gpuType: row.gpu_type,
    imageId: row.image_id,
    diskGb: disks.reduce((s, d) => s + d.Size, 0),
  };
}

/** A simple action: guard, lock, launch. Answers with the UHostId. */
const lifecycle =
  (action: "StartCompShareInstance" | "StopCompShareInstance" | "RebootCompShareInstance" | "TerminateCompShareInstance") =>
  async (ctx: RequestContext, req: { UHostId: string }) => {
    await ctx.services.engine.accept({ action, caller: ctx.caller, instanceId: req.UHostId });
    return { UHostId: req.UHostId };
  };

export const instanceHandlers: HandlerMap<ActionsOf<"instances">> = {
  async CreateCompShareInstance(ctx, req) {
    const { catalog, sealer, engine } = ctx.services;
    const offer = catalog.gpus.find((g) => g.zone === req.Zone && g.gpuType === req.GpuType);
    if (!offer) throw commonErrors.paramsNotAvailable(["GpuType"]);
    if (offer.machineType !== req.MachineType) throw commonErrors.paramsNotAvailable(["MachineType"]);
    const disks = req.Disks ?? [{ IsBoot: true, Size: 50, Type: "CLOUD_SSD" }];
    if (disks.filter((d) => d.IsBoot).length !== 1) throw commonErrors.paramsNotAvailable(["Disks"]);
    const password = req.Password ?? Buffer.from(randomBytes(12).toString("base64url")).toString("base64");
    const chargeType = req.ChargeType ?? "Month";
    const ids = await engine.acceptNew({
      action: "CreateCompShareInstance",
      caller: ctx.caller,
      build: async (tx, now) => {
        const image = await requireUsableImage(tx, req.CompShareImageId, ctx.caller);
        if (!(await takeGpus(tx, req.Zone, req.GpuType, req.GPU))) {
          throw new ApiError("ResourceNotEnough", `not enough ${req.GpuType} GPUs left in ${req.Zone} for ${req.GPU}`);
        }
        const stored: StoredDisk[] = disks.map((d) => ({ DiskId: newDiskId(), IsBoot: d.IsBoot, Size: d.Size, Type: d.Type }));
        stored.sort((a, b) => Number(b.IsBoot) - Number(a.IsBoot));
        const row: InstanceRow = {
          id: newInstanceId(),
          account_id: ctx.caller.accountId,
          project_id: ctx.caller.projectId,
          zone: req.Zone,
          name: req.Name ?? "CompShare",
          state: State.Initializing,
          cpu: req.CPU,
          memory: req.Memory,
          gpu: req.GPU,
          gpu_type: req.GpuType,
          machine_type: req.MachineType,
          image_id: image.id,
          charge_type: chargeType,
          login_mode: req.LoginMode ?? "Password",
          disks: JSON.stringify(stored),
          password_sealed: sealer.seal(password),
          recycling: 0,
          task: null,
          task_op_id: null,
          created_at: now,
          updated_at: now,
          start_time: 0,
          stop_time: 0,
          stop_scheduler_time: 0,
          expire_time: expiryOf(chargeType, req.Quantity ?? 1, now),
        };
        const params: CreateParams = { spec: specOf(row) };
        return [{ row, params }];
      },
    });
    return { UHostIds: ids };
  },

  async DescribeCompShareInstance(ctx, req) {
    const { db, catalog, sealer, clock } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { rows, total } = await listInstances(db, {
      projectId: ctx.caller.projectId,
      ids: req.UHostIds,
      zone: req.Zone,
      offset,
      limit,
    });
    const images = await imagesById(db, rows.map((r) => r.image_id));
    return { TotalCount: total, UHostSet: rows.map((r) => toInstanceModel(r, images.get(r.image_id), catalog, sealer, clock.now())) };
  },

  StartCompShareInstance: lifecycle("StartCompShareInstance"),
  StopCompShareInstance: lifecycle("StopCompShareInstance"),
  RebootCompShareInstance: lifecycle("RebootCompShareInstance"),
  TerminateCompShareInstance: lifecycle("TerminateCompShareInstance"),

  async ResetCompShareInstancePassword(ctx, req) {
    const params: ResetPasswordParams = { passwordSealed: ctx.services.sealer.seal(req.Password) };
    const action = "ResetCompShareInstancePassword";
    await ctx.services.engine.accept({ action, caller: ctx.caller, instanceId: req.UHostId, params });
    return { UHostId: req.UHostId };
  },

  async ReinstallCompShareInstance(ctx, req) {
    const action = "ReinstallCompShareInstance";
    await ctx.services.engine.accept({
      action,
      caller: ctx.caller,
      instanceId: req.UHostId,
      prepare: async (tx, inst) => {
        await requireUsableImage(tx, req.CompShareImageId, ctx.caller);
        const params: ReinstallParams = { imageId: req.CompShareImageId, spec: specOf(inst) };
        if (req.Password) params.passwordSealed = ctx.services.sealer.seal(req.Password);
        return { params };
      },
    });
    return { UHostId: req.UHostId };
  },

  async ResizeCompShareInstance(ctx, req) {
    const action = "ResizeCompShareInstance";
    if (req.Cpu === undefined && req.Memory === undefined && req.Gpu === undefined && req.DiskSpace === undefined) {
      throw commonErrors.missingParams(["Cpu"]);
    }
    await ctx.services.engine.accept({
      action,
      caller: ctx.caller,
      instanceId: req.UHostId,
      prepare: async (tx, inst) => {
        const disks = JSON.parse(inst.disks) as StoredDisk[];
        if (req.DiskSpace !== undefined) {
          const target = req.DiskId ? disks.find((d) => d.DiskId === req.DiskId) : disks.find((d) => d.IsBoot);
          if (!target) throw commonErrors.paramsNotAvailable(["DiskId"]);
          if (req.DiskSpace < target.Size) throw commonErrors.paramsNotAvailable(["DiskSpace"]);
          target.Size = req.DiskSpace;
        }
        const before = { cpu: Number(inst.cpu), memory: Number(inst.memory), gpu: Number(inst.gpu), disks: inst.disks };
        const after = { cpu: req.Cpu ?? before.cpu, memory: req.Memory ?? before.memory, gpu: req.Gpu ?? before.gpu, disks: JSON.stringify(disks) };
        // Growing reserves the extra GPUs now; shrinking gives them back when the resize succeeds.
        const grow = after.gpu - before.gpu;
        if (grow > 0 && !(await takeGpus(tx, inst.zone, inst.gpu_type, grow))) {
          throw new ApiError("ResourceNotEnough", `not enough ${inst.gpu_type} GPUs left in ${inst.zone} to grow to ${after.gpu}`);
        }
        const params: ResizeParams = { before, after, spec: specOf({ ...inst, ...after }) };
        return { params, instance: grow > 0 ? { gpu: after.gpu } : {} };
      },
    });
    return { UHostId: req.UHostId };
  },

  async ModifyCompShareInstanceName(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    if (Number(row.recycling) === 1) throw new ApiError("InstanceRecycling", `instance ${row.id} is being reclaimed`);
    await casInstance(ctx.services.db, row.id, undefined, { name: req.Name, updated_at: ctx.services.clock.now() });
    return { UHostId: row.id };
  },

  async UpdateCompShareStopScheduler(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    const now = ctx.services.clock.now();
    if (req.StopTime * 1000 <= now) throw commonErrors.paramsNotAvailable(["StopTime"]);
    if (Number(row.recycling) === 1) throw new ApiError("InstanceRecycling", `instance ${row.id} is being reclaimed`);
    await casInstance(ctx.services.db, row.id, undefined, { stop_scheduler_time: req.StopTime * 1000, updated_at: now });
    return {};
  },

  async DeleteCompShareStopScheduler(ctx, req) {
    const row = await ownedOrNotFound(ctx, req.UHostId);
    await casInstance(ctx.services.db, row.id, undefined, { stop_scheduler_time: 0, updated_at: ctx.services.clock.now() });
    return {};
  },
};

