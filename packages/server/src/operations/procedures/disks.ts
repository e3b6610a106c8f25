/**
 * Disk work on an instance: attach (of a new or an existing disk), detach and resize. Each is a
 * background task: the lock is released at once, the task flag keeps other operations out until
 * it ends, and the disk's status moves by compare-and-set.
 */
import { casDisk, syncInstanceDisks } from "../../store/repositories/disks.js";
import { casInstance } from "../../store/repositories/instances.js";
import type { Tx } from "../../store/schema.js";
import type { OperationContext } from "../context.js";
import type { Procedure } from "./common.js";

export interface DiskParams {
  diskId: string;
  sizeGb: number;
}

/** Ends the task: the instance's DiskSet shows what is attached now, and the task flag is cleared. */
async function endTask(ctx: OperationContext, now: number, tx: Tx): Promise<void> {
  await syncInstanceDisks(tx, ctx.instanceId);
  await casInstance(tx, ctx.instanceId, undefined, { task: null, task_op_id: null, updated_at: now });
}

export const attachDisk: Procedure = {
  async run(ctx) {
    const { diskId, sizeGb } = ctx.params<DiskParams>();
    await ctx.releaseLock();
    await ctx.phase("attaching");
    await ctx.drive("attachDisk", (c) => ctx.driver.attachDisk(ctx.instanceId, { id: diskId, sizeGb }, c));
    await ctx.succeed(async (tx, now) => {
      await casDisk(tx, diskId, "Attaching", { status: "InUse", op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
  async fail(ctx, error) {
    const { diskId } = ctx.params<DiskParams>();
    await ctx.fail(error, async (tx, now) => {
      await casDisk(tx, diskId, "Attaching", { status: "Available", instance_id: null, device: "", op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
};

export const detachDisk: Procedure = {
  async run(ctx) {
    const { diskId } = ctx.params<DiskParams>();
    await ctx.releaseLock();
    await ctx.phase("detaching");
    await ctx.drive("detachDisk", (c) => ctx.driver.detachDisk(ctx.instanceId, diskId, c));
    await ctx.succeed(async (tx, now) => {
      await casDisk(tx, diskId, "Detaching", { status: "Available", instance_id: null, device: "", op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
  async fail(ctx, error) {
    const { diskId } = ctx.params<DiskParams>();
    await ctx.fail(error, async (tx, now) => {
      await casDisk(tx, diskId, "Detaching", { status: "InUse", op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
};

export const resizeDisk: Procedure = {
  async run(ctx) {
    const { diskId, sizeGb } = ctx.params<DiskParams>();
    await ctx.releaseLock();
    await ctx.phase("resizing-disk");
    await ctx.drive("resizeDisk", (c) => ctx.driver.resizeDisk(diskId, sizeGb, c));
    await ctx.succeed(async (tx, now) => {
      await casDisk(tx, diskId, "Resizing", { status: "InUse", size_gb: sizeGb, op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
  async fail(ctx, error) {
    const { diskId } = ctx.params<DiskParams>();
    await ctx.fail(error, async (tx, now) => {
      await casDisk(tx, diskId, "Resizing", { status: "InUse", op_id: null, updated_at: now });
      await endTask(ctx, now, tx);
    });
  },
};
