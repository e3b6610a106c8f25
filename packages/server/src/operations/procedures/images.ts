/**
 * Custom images. Making one: a point-in-time snapshot under the lock, then the build under the
 * imaging condition. Deleting one: an operation of the image's own (no instance, no lock), from
 * the `Deleting` status that acceptance set; resumed by recovery it asks the driver again, whose
 * delete is idempotent (an image already gone is gone).
 */
import type { Procedure } from "./common.js";
import { addHostImage, removeImageFromHosts } from "../../store/repositories/hosts.js";

export interface ImageParams {
  imageId: string;
}

/** What a deletion puts back if the driver fails: the image's status and operation before it. */
export interface DeleteImageParams extends ImageParams {
  status: string;
  opId: string | null;
}

/** How long the driver may take to delete an image (what the handler allowed before it was an operation). */
export const DELETE_IMAGE_DRIVER_MS = 30_000;

export const makeImage: Procedure = {
  async run(ctx) {
    const { imageId } = ctx.params<ImageParams>();
    if (ctx.op.phase !== "building") {
      await ctx.phase("snapshot");
      await ctx.drive("snapshot", (c) => ctx.driver.snapshot(ctx.instanceId, imageId, c));
      await ctx.releaseLock();
      await ctx.phase("building");
    }
    await ctx.drive("buildImage", (c) =>
      ctx.driver.buildImage(imageId, c, async (p) => {
        await ctx.write(async (tx) => {
          await tx.updateTable("images").set({ progress: p.percent }).where("id", "=", imageId).where("status", "=", "Making").execute();
        });
      }),
    );
    await ctx.succeed(async (tx, now) => {
      await tx.updateTable("images").set({ status: "Available", progress: 100, ready_at: now, updated_at: now }).where("id", "=", imageId).execute();
      // The image's files are on the host that made it: instances of it are placed there.
      const host = await tx.selectFrom("instances").select("host_id").where("id", "=", ctx.instanceId).executeTakeFirst();
      if (host?.host_id) {
        await tx.updateTable("images").set({ host_id: host.host_id }).where("id", "=", imageId).execute();
        await addHostImage(tx, host.host_id, imageId);
      }
    });
  },
  async fail(ctx, error) {
    const { imageId } = ctx.params<ImageParams>();
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.fail(error, async (tx) => {
      await tx.updateTable("images").set({ status: "UnAvailable", failed_reason: reason }).where("id", "=", imageId).execute();
    });
  },
};

export const deleteImage: Procedure = {
  async run(ctx) {
    const { imageId } = ctx.params<DeleteImageParams>();
    await ctx.phase("deleting-image");
    await ctx.drive("deleteImage", (c) => ctx.driver.deleteImage(imageId, c), DELETE_IMAGE_DRIVER_MS);
    await ctx.succeed(async (tx) => {
      const gone = await tx.deleteFrom("images").where("id", "=", imageId).where("status", "=", "Deleting").where("op_id", "=", ctx.op.id).executeTakeFirst();
      if (Number(gone.numDeletedRows) !== 1) return;
      await tx.deleteFrom("image_shares").where("image_id", "=", imageId).execute();
      await removeImageFromHosts(tx, imageId);
    });
  },
  async fail(ctx, error) {
    const { imageId, status, opId } = ctx.params<DeleteImageParams>();
    await ctx.fail(error, async (tx, now) => {
      await tx.updateTable("images").set({ status, op_id: opId, updated_at: now }).where("id", "=", imageId).where("status", "=", "Deleting").where("op_id", "=", ctx.op.id).execute();
    });
  },
};
