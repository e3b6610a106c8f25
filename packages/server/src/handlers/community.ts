/**
 * Handlers of the community: publishing custom images of container instances as versions of a
 * group, the public, own and per-account listings (grouped, filtered, sorted, paged by group),
 * and favorites. A published version is Reviewing until an operator approves it (Available) or
 * rejects it (Rejected, with the reason as its FailedReason): `ocs image review`. Only the
 * owner's own listing shows versions that are not Available.
 */
import { ApiError, commonErrors, type RequestOf, type Actions } from "@opencompshare/protocol";
import { accountIdByNumber, accountNameOrThrow, accountNames } from "../store/repositories/accounts.js";
import {
  addFavorite,
  communityVersions,
  favoredBy,
  favoriteCounts,
  groupsByIds,
  hasPublicVersion,
  insertGroup,
  insertVersion,
  isOwnGroup,
  newGroupId,
  removeFavorite,
  versionNamesOf,
  type VersionScope,
} from "../store/repositories/community.js";
import type { ImageRecord } from "../store/repositories/images.js";
import type { PublishImageParams } from "../operations/procedures/index.js";
import { runOnResource } from "../operations/resources.js";
import type { Executor } from "../store/schema.js";
import { ownCustomImage } from "./image-lookup.js";
import { newImageId } from "./images.js";
import { pageOf } from "./instances.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { toImageModel } from "./views.js";

type Filters = RequestOf<Actions["DescribeCommunityImages"]>;
const MAX_VERSIONS = 5000;

type Scope = { kind: "public" } | { kind: "self"; accountId: string } | { kind: "user"; accountId: string | null };

async function listing(ctx: RequestContext, req: Filters, scope: Scope) {
  const { db } = ctx.services;
  const empty = { TotalCount: 0, AvailableTotalCount: 0, CompshareImageGroup: [], ImageSetGroup: [], ImageSet: [] };
  let whose: VersionScope;
  if (scope.kind === "user") {
    if (!scope.accountId) return empty;
    whose = { kind: "user", accountId: scope.accountId };
  } else whose = scope;
  const versions = await communityVersions(
    db,
    whose,
    {
      id: req.CompShareImageId,
      groupId: req.GroupId,
      name: req.Name,
      author: req.Author,
      text: req.FuzzySearch,
      tags: req.Tag,
      isFree: req.IsFree,
      isOfficial: req.IsOfficial,
      autoStart: req.IfAutoStart,
    },
    MAX_VERSIONS,
  );
  const groupIds = [...new Set(versions.map((v) => v.groupId))];
  if (groupIds.length === 0) return empty;
  const [groups, favoriteCount, isFavorite, owners] = await Promise.all([
    groupsByIds(db, groupIds),
    favoriteCounts(db, groupIds),
    favoredBy(db, ctx.caller.accountId, groupIds),
    accountNames(db, versions.map((v) => v.accountId)),
  ]);
  const byGroup = new Map<string, ImageRecord[]>();
  for (const v of versions) byGroup.set(v.groupId, [...(byGroup.get(v.groupId) ?? []), v]);
  const built = groups.map((g) => {
    const data = byGroup.get(g.id) ?? [];
    const counts = { createdCount: g.createdCount, favoritesCount: favoriteCount.get(g.id) ?? 0, useSeconds: g.useSeconds };
    return {
      group: {
        GroupId: g.id,
        ImageName: g.name,
        ImageDesc: g.description,
        CreatedCount: counts.createdCount,
        FavoritesCount: counts.favoritesCount,
        RecommendCount: 0,
        ImageUseTime: counts.useSeconds,
        IsFavorite: isFavorite.has(g.id),
        Status: data.some((d) => d.status === "Available") ? "Available" : "UnAvailable",
        Data: data.map((d) => toImageModel(d, owners.get(d.accountId ?? "") ?? "", counts)),
      },
      pubTime: Math.max(...data.map((d) => d.publishedAt)),
    };
  });
  const field = req.SortCondition?.Field ?? "PubTime";
  const key = (b: (typeof built)[number]): number =>
    field === "Favor" || field === "FavoritesCount" ? b.group.FavoritesCount : field === "ImageUseTime" ? b.group.ImageUseTime : b.pubTime;
  const asc = req.SortCondition?.ASC === true;
  built.sort((a, b) => (asc ? key(a) - key(b) : key(b) - key(a)) || (a.group.GroupId < b.group.GroupId ? -1 : 1));
  const { offset, limit } = pageOf(req.Offset, req.Limit);
  const page = built.slice(offset, offset + limit).map((b) => b.group);
  return {
    TotalCount: built.length,
    AvailableTotalCount: built.filter((b) => b.group.Status === "Available").length,
    CompshareImageGroup: page,
    ImageSetGroup: page,
    ImageSet: page.flatMap((g) => g.Data),
  };
}

async function publicGroup(db: Executor, groupId: string): Promise<void> {
  if (!(await hasPublicVersion(db, groupId))) throw new ApiError("ImageNotFound", `community image group ${groupId} does not exist`);
}

export const communityHandlers: HandlerMap<ActionsOf<"community">> = {
  async PublishCompShareImage(ctx, req) {
    const { db, engine } = ctx.services;
    const source = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    if (source.status !== "Available") throw new ApiError("ImageNotPublishable", `image ${source.id} is ${source.status}; it must be Available`);
    if (!source.container) throw new ApiError("ImageNotPublishable", `image ${source.id} was made from a virtual machine; only images of container instances can be published`);
    if (source.derivedFrom) {
      throw new ApiError("ImageNotPublishable", `image ${source.id} is derived from community image ${source.derivedFrom}, which is not the caller's; it cannot be published again`);
    }
    // The version is recorded in review, then its image is copied to the registry's community
    // namespace by an operation of its own, which takes the version back if the copy fails.
    const params: PublishImageParams = { imageId: source.id, versionId: newImageId(), groupId: req.GroupId ?? newGroupId(), groupMade: !req.GroupId };
    await runOnResource(engine, {
      action: "PublishCompShareImage",
      caller: ctx.caller,
      resourceId: params.versionId,
      params,
      enter: async (tx, _opId, now) => {
        const groupId = params.groupId;
        if (!params.groupMade) {
          if (!(await isOwnGroup(tx, groupId, ctx.caller.accountId))) throw new ApiError("ImageNotFound", `community image group ${groupId} is not the caller's`);
        } else {
          await insertGroup(tx, { id: groupId, accountId: ctx.caller.accountId, name: req.CommunityImageName ?? source.name, description: req.Description ?? source.description, now });
        }
        const versions = await versionNamesOf(tx, groupId);
        const version = req.VersionName;
        if (versions.some((v) => v === version)) throw commonErrors.invalidParam("VersionName", `group ${groupId} has ${version} already`);
        const author = await accountNameOrThrow(tx, ctx.caller.accountId);
        await insertVersion(tx, source, {
          id: params.versionId,
          groupId,
          name: req.CommunityImageName ?? source.name,
          description: req.Description ?? source.description,
          versionName: version,
          versionDesc: req.VersionDesc ?? "",
          author,
          price: req.Price ?? 0,
          cover: req.Cover ?? "",
          readme: req.Readme ?? "",
          autoStart: Boolean(req.AutoStart),
          tags: req.Tags ?? [],
          supportedGpuTypes: req.SupportedGpuTypes ? req.SupportedGpuTypes : undefined,
          softwares: req.Softwares ? req.Softwares : undefined,
          now,
        });
      },
    });
    return {};
  },

  DescribeCommunityImages: (ctx, req) => listing(ctx, req, { kind: "public" }),

  DescribeSelfCommunityImages: (ctx, req) => listing(ctx, req, { kind: "self", accountId: ctx.caller.accountId }),

  async DescribeUserCommunityImages(ctx, req) {
    const target =
      req.TargetTopOrganizationId === undefined
        ? ctx.caller.accountId
        : await accountIdByNumber(ctx.services.db, req.TargetTopOrganizationId);
    return listing(ctx, req, { kind: "user", accountId: target });
  },

  async CreateCompShareImageFavorite(ctx, req) {
    const { db, clock } = ctx.services;
    await publicGroup(db, req.GroupId);
    await addFavorite(db, ctx.caller.accountId, req.GroupId, clock.now());
    return {};
  },

  async DeleteCompShareImageFavorite(ctx, req) {
    await removeFavorite(ctx.services.db, ctx.caller.accountId, req.GroupId);
    return {};
  },
};
