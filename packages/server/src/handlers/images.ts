/** Handlers of the image actions: platform images, custom images made from instances, and sharing them. */
import { randomBytes } from "node:crypto";
import { ApiError, commonErrors } from "@opencompshare/protocol";
import type { DeleteImageParams, ImageParams } from "../operations/procedures/index.js";
import { runOnResource } from "../operations/resources.js";
import { accountName, accountNames, accountsByNumber } from "../store/repositories/accounts.js";
import { shareAccounts, shareImage, sharedImagesPage, unshareImage } from "../store/repositories/community.js";
import {
  PLATFORM_IMAGE_TYPES,
  customImagesPage,
  enterDeleting,
  findEditableImage,
  insertCustomImage,
  platformImagesPage,
  publishedVersionOf,
  updateImage,
  type ImageChanges,
  type ImageRecord,
} from "../store/repositories/images.js";
import { ownCustomImage } from "./image-lookup.js";
import { pageOf } from "./instances.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { toImageModel } from "./views.js";

export const newImageId = (): string => `compshareImage-${randomBytes(6).toString("hex")}`;

/**
 * A community version's status once its Visibility is set: taken down (0), an Available or
 * Reviewing version goes Offline; put up again (1), an Offline one is Available if it was
 * approved once, else back in review. A Rejected version stays Rejected.
 */
function visibilityStatus(row: ImageRecord, visibility: number): string | undefined {
  if (visibility === 0) return row.status === "Available" || row.status === "Reviewing" ? "Offline" : undefined;
  if (row.status !== "Offline") return undefined;
  return row.approvedAt > 0 ? "Available" : "Reviewing";
}

export const imageHandlers: HandlerMap<ActionsOf<"images">> = {
  async DescribeCompShareImages(ctx, req) {
    const { db, fleet, clock } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    if (req.ImageType !== undefined && !PLATFORM_IMAGE_TYPES.has(req.ImageType)) return { ImageSet: [], TotalCount: 0 };
    const { images, total } = await platformImagesPage(
      db,
      {
        type: req.ImageType,
        id: req.CompShareImageId,
        name: req.Name,
        author: req.Author,
        tag: req.Tag,
        // Only images a live host can boot.
        liveSince: fleet.opts.kind === "agent" ? clock.now() - fleet.opts.hostLeaseMs : undefined,
      },
      { offset, limit },
    );
    return { ImageSet: images.map((r) => toImageModel(r)), TotalCount: total };
  },

  async CreateCompShareCustomImage(ctx, req) {
    const imageId = newImageId();
    await ctx.services.engine.accept({
      action: "CreateCompShareCustomImage",
      caller: ctx.caller,
      instanceId: req.UHostId,
      params: { imageId } satisfies ImageParams,
      prepare: async (tx, inst, opId, now) => {
        const sw = req.Softwares ?? {};
        await insertCustomImage(tx, {
          id: imageId,
          accountId: ctx.caller.accountId,
          projectId: ctx.caller.projectId,
          name: req.Name,
          description: req.Description ?? "",
          sourceInstanceId: inst.id,
          opId,
          gpuType: inst.gpuType,
          sourceImageId: inst.imageId,
          softwares: { Applications: sw.Application ?? [], CUDAVersion: sw.CUDAVersion ?? "", Framework: sw.Framework ?? "", FrameworkVersion: sw.FrameworkVersion ?? "" },
          // What the instance is (fixed at create), not what its current image was made for.
          container: inst.instanceType === "Container",
          now,
        });
      },
    });
    return { CompShareImageId: imageId };
  },

  async DescribeCompShareCustomImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const [{ images, total }, owner] = await Promise.all([
      customImagesPage(db, ctx.caller, req.CompShareImageId, { offset, limit }),
      accountName(db, ctx.caller.accountId),
    ]);
    return { ImageSet: images.map((r) => toImageModel(r, owner)), TotalCount: total };
  },

  async GetCompShareImageCreateProgress(ctx, req) {
    const row = await ownCustomImage(ctx.services.db, req.CompShareImageId, ctx.caller);
    if (row.status !== "Making") {
      const done = row.status === "Available" ? 100 : row.progress;
      return { Process: done, RemainingDuration: "0", TotalDuration: "0", Status: row.status, Progress: done };
    }
    const p = await ctx.services.machines.imageProgress(row.id, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (!p) return { Process: row.progress, RemainingDuration: "", TotalDuration: "", Status: row.status, Progress: row.progress };
    return {
      Process: p.percent,
      RemainingDuration: String(Math.ceil(p.remainingMs / 1000)),
      TotalDuration: String(Math.ceil(p.totalMs / 1000)),
      Status: row.status,
      // The CLI takes 100 for done; the copy is complete only when the image is Available.
      Progress: Math.min(p.percent, 99.9),
    };
  },

  async TerminateCompShareCustomImage(ctx, req) {
    const { db, engine } = ctx.services;
    const row = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    if (row.status === "Making") throw new ApiError("ImageNotReady", `image ${row.id} is still being made; delete it once it is Available or UnAvailable`);
    const params: DeleteImageParams = { imageId: row.id, status: row.status, opId: row.opId };
    await runOnResource(engine, {
      action: "TerminateCompShareCustomImage",
      caller: ctx.caller,
      resourceId: row.id,
      params,
      enter: async (tx, opId, now) => {
        const published = await publishedVersionOf(tx, row.id);
        if (published) throw new ApiError("ImagePublished", `image ${row.id} is published as community version ${published}: take it down (UpdateCompShareImage Visibility 0) first`);
        // From here until the operation ends the image reads as deleted (ownCustomImage and the lists skip it).
        if (!(await enterDeleting(tx, row.id, row.status, opId, now))) throw new ApiError("ImageNotFound", `image ${row.id} does not exist`);
      },
    });
    return {};
  },

  async UpdateCompShareImage(ctx, req) {
    const { db, clock } = ctx.services;
    const row = await findEditableImage(db, req.CompShareImageId, ctx.caller.accountId);
    if (!row || (row.type === "Custom" && row.projectId !== ctx.caller.projectId)) throw new ApiError("ImageNotFound", `image ${req.CompShareImageId} does not exist`);
    if (req.GroupId !== undefined && row.groupId !== req.GroupId) throw commonErrors.invalidParam("GroupId", `image ${row.id} is not in group ${req.GroupId}`);
    const changes: ImageChanges = {
      updatedAt: clock.now(),
      name: req.Name,
      description: req.Description,
      price: req.Price,
      cover: req.Cover,
      readme: req.Readme,
      tags: req.Tags,
      versionName: req.VersionName,
      versionDesc: req.VersionDesc,
      supportedGpuTypes: req.SupportedGpuTypes,
      autoStart: req.AutoStart,
      visibility: req.Visibility,
      status: req.Visibility !== undefined && row.type === "Community" ? visibilityStatus(row, req.Visibility) : undefined,
    };
    await updateImage(db, row.id, changes);
    return {};
  },

  async DescribeCompShareImageTags(ctx) {
    const map = ctx.services.catalog.data.imageTags;
    const index = Object.keys(map);
    return { Tags: [...new Set(index.flatMap((k) => map[k] ?? []))], TagsMap: map, TagIndex: index };
  },

  async ModifyCompShareImageShareAccount(ctx, req) {
    const { db, clock } = ctx.services;
    const image = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    const numbers = [...new Set([...(req.AddAccounts ?? []), ...(req.RemoveAccounts ?? [])])];
    const accounts = await accountsByNumber(db, numbers);
    const byNumber = new Map(accounts.filter((a) => a.id !== ctx.caller.accountId).map((a) => [a.number, a.id]));
    const invalid = numbers.filter((n) => !byNumber.has(n));
    await db.transaction().execute(async (tx) => {
      for (const n of req.AddAccounts ?? []) {
        const account = byNumber.get(n);
        if (account) await shareImage(tx, image.id, account, clock.now());
      }
      for (const n of req.RemoveAccounts ?? []) {
        const account = byNumber.get(n);
        if (account) await unshareImage(tx, image.id, account);
      }
    });
    return { InvalidAccounts: invalid };
  },

  async DescribeCompShareImageShareAccounts(ctx, req) {
    const { db } = ctx.services;
    const image = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    const accounts = await shareAccounts(db, image.id);
    return { AccountSet: accounts.map((a) => ({ AccountId: String(a.number), AccountName: a.name })) };
  },

  async DescribeCompShareSharingImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    const { images, total } = await sharedImagesPage(db, ctx.caller.accountId, req.CompShareImageId, { offset, limit });
    const owners = await accountNames(db, images.map((r) => r.accountId));
    return { ImageSet: images.map((r) => ({ ...toImageModel(r, owners.get(r.accountId ?? "") ?? ""), ImageOwnerAlias: "Shared" })), TotalCount: total };
  },
};
