/** Making a custom image: a point-in-time snapshot under the lock, then the build under the imaging condition. */
import type { Procedure } from "./common.js";

export interface ImageParams {
  imageId: string;
}

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
        await tx.insertInto("host_images").values({ host_id: host.host_id, image_id: imageId }).onConflict((oc) => oc.doNothing()).execute();
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
