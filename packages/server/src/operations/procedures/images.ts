/**
 * Custom images. Making one: a point-in-time snapshot under the lock, then the build under the
 * imaging condition. Deleting one: an operation of the image's own (no instance, no lock), from
 * the `Deleting` status that acceptance set; resumed by recovery it asks the driver again, whose
 * delete is idempotent (an image already gone is gone). Publishing one: an operation of the new
 * community version, which the driver copies to the registry's community namespace (idempotent
 * too); if that fails, the version (and a group made for it) is taken back.
 */
import type { Procedure } from "./common.js";
import { addHostImage, offerToContainerHosts, removeImageFromHosts } from "../../store/repositories/hosts.js";
import { removeFailedVersion } from "../../store/repositories/community.js";
import { imagesById, markImageAvailable, markImageFailed, removeDeletedImage, restoreDeleting, setImageHost, setImageProgress } from "../../store/repositories/images.js";
import { hostOfInstance } from "../../store/repositories/instances.js";

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
/** How long a copy to the community namespace may take (blobs are mounted, not copied, where the registry can). */
export const PUBLISH_IMAGE_DRIVER_MS = 120_000;

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
          await setImageProgress(tx, imageId, p.percent);
        });
      }),
    );
    await ctx.succeed(async (tx, now) => {
      await markImageAvailable(tx, imageId, now);
      // The image's files are on the host that made it: instances of it are placed there.
      const hostId = await hostOfInstance(tx, ctx.instanceId);
      if (hostId) {
        await setImageHost(tx, imageId, hostId);
        await addHostImage(tx, hostId, imageId);
      }
      // A container's image is in the registry: every host that runs containers can pull it.
      if ((await imagesById(tx, [imageId])).get(imageId)?.container) await offerToContainerHosts(tx, imageId);
    });
  },
  async fail(ctx, error) {
    const { imageId } = ctx.params<ImageParams>();
    const reason = error instanceof Error ? error.message : String(error);
    await ctx.fail(error, async (tx) => {
      await markImageFailed(tx, imageId, reason);
    });
  },
};

export const deleteImage: Procedure = {
  async run(ctx) {
    const { imageId } = ctx.params<DeleteImageParams>();
    await ctx.phase("deleting-image");
    await ctx.drive("deleteImage", (c) => ctx.driver.deleteImage(imageId, c), DELETE_IMAGE_DRIVER_MS);
    await ctx.succeed(async (tx) => {
      if (!(await removeDeletedImage(tx, imageId, ctx.op.id))) return;
      await removeImageFromHosts(tx, imageId);
    });
  },
  async fail(ctx, error) {
    const { imageId, status, opId } = ctx.params<DeleteImageParams>();
    await ctx.fail(error, async (tx, now) => {
      await restoreDeleting(tx, imageId, ctx.op.id, status, opId, now);
    });
  },
};

/** A publish: the custom image, the community version made of it, and its group (made by this publish or not). */
export interface PublishImageParams {
  imageId: string;
  versionId: string;
  groupId: string;
  groupMade: boolean;
}

export const publishImage: Procedure = {
  async run(ctx) {
    const { imageId, versionId } = ctx.params<PublishImageParams>();
    await ctx.phase("publishing");
    await ctx.drive("publishImage", (c) => ctx.driver.publishImage(imageId, versionId, c), PUBLISH_IMAGE_DRIVER_MS);
    // The version runs where its source runs: every host of containers pulls it by its own id.
    await ctx.succeed(async (tx) => {
      if ((await imagesById(tx, [versionId])).get(versionId)?.container) await offerToContainerHosts(tx, versionId);
    });
  },
  async fail(ctx, error) {
    const { versionId, groupId, groupMade } = ctx.params<PublishImageParams>();
    await ctx.fail(error, async (tx) => {
      await removeFailedVersion(tx, versionId, groupId, groupMade);
    });
  },
};
