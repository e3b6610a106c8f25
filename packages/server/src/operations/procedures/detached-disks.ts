/**
 * Work on a detached disk, an operation of its own (no instance, no lock): resize and delete.
 * Acceptance set the disk's status (`Resizing`, `Deleting`) and its `op_id`; each end is a
 * compare-and-set on both, in the operation's fenced transaction. Resumed by recovery, a
 * procedure asks the driver again: both calls are idempotent (a disk grown to the size stays so,
 * a disk already gone is gone), so what the dead runner had done is finished, not repeated; a
 * call that fails puts the disk back to `Available` as it was.
 */
import { endDiskOperation } from "../../store/repositories/disks.js";
import type { DiskRow, Tx } from "../../store/schema.js";
import type { OperationContext } from "../context.js";
import type { Procedure } from "./common.js";
import { resizeDisk, type DiskParams } from "./disks.js";
import { creditRefund, type Refund } from "../../policies/purchases.js";

/** How long the driver may take over a detached disk (what the handlers allowed before these were operations). */
export const DETACHED_DISK_DRIVER_MS = 30_000;

/** A resize of a detached disk says so; one of an attached disk is the instance's background task. */
export interface DetachedDiskParams extends DiskParams {
  detached: true;
}

/** Ends the operation's hold on the disk: `set` only if the disk is still `from` under this operation. */
async function release(ctx: OperationContext, tx: Tx, diskId: string, from: string, set: Partial<DiskRow>): Promise<void> {
  await endDiskOperation(tx, diskId, from, ctx.op.id, set);
}

export const resizeDetachedDisk: Procedure = {
  async run(ctx) {
    const { diskId, sizeGb } = ctx.params<DetachedDiskParams>();
    await ctx.phase("resizing-disk");
    await ctx.drive("resizeDisk", (c) => ctx.driver.resizeDisk(diskId, sizeGb, c), DETACHED_DISK_DRIVER_MS);
    await ctx.succeed(async (tx, now) => release(ctx, tx, diskId, "Resizing", { status: "Available", size_gb: sizeGb, updated_at: now }));
  },
  async fail(ctx, error) {
    const { diskId } = ctx.params<DetachedDiskParams>();
    // The size stays the recorded one: the disk is never smaller than that.
    await ctx.fail(error, async (tx, now) => release(ctx, tx, diskId, "Resizing", { status: "Available", updated_at: now }));
  },
};

/** A deletion, and the refund of a prepaid disk's rest of period (fixed at acceptance). */
export interface DeleteDiskParams extends DiskParams {
  refund?: Refund;
}

export const deleteDetachedDisk: Procedure = {
  async run(ctx) {
    const { diskId, refund } = ctx.params<DeleteDiskParams>();
    await ctx.phase("deleting-disk");
    await ctx.drive("deleteDisk", (c) => ctx.driver.deleteDisk(diskId, c), DETACHED_DISK_DRIVER_MS);
    await ctx.succeed(async (tx, now) => {
      await release(ctx, tx, diskId, "Deleting", { status: "Deleted", host_id: null, updated_at: now });
      if (refund) await creditRefund(tx, { ...refund, accountId: ctx.op.accountId, now, what: `refund of the rest of ${diskId}'s paid period` });
    });
  },
  async fail(ctx, error) {
    const { diskId } = ctx.params<DiskParams>();
    await ctx.fail(error, async (tx, now) => release(ctx, tx, diskId, "Deleting", { status: "Available", updated_at: now }));
  },
};

const detached = (ctx: OperationContext): boolean => ctx.params<Partial<DetachedDiskParams>>().detached === true;

/** ResizeCompShareDisk: on a detached disk, an operation of its own; on an attached one, the instance's task. */
export const resizeAnyDisk: Procedure = {
  run: (ctx) => (detached(ctx) ? resizeDetachedDisk : resizeDisk).run(ctx),
  fail: (ctx, error) => (detached(ctx) ? resizeDetachedDisk : resizeDisk).fail(ctx, error),
};
