/**
 * Handlers of the community: publishing custom images of container instances as versions of a
 * group, the public, own and per-account listings (grouped, filtered, sorted, paged by group),
 * and favorites. Publishing is approved at once: this server has no reviewers.
 */
import { randomBytes } from "node:crypto";
import { ApiError, commonErrors, type RequestOf, type Actions } from "@opencompshare/protocol";
import type { Executor, ImageRow } from "../store/schema.js";
import { ownCustomImage } from "./image-lookup.js";
import { newImageId, ownerNames } from "./images.js";
import { pageOf } from "./instances.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { toImageModel } from "./views.js";

type Filters = RequestOf<Actions["DescribeCommunityImages"]>;
/** Versions look like v1, v1.0, 2.1.3. */
const VERSION = /^v?\d+(\.\d+){0,3}$/;
const MAX_VERSIONS = 5000;

const like = (s: string): string => `%${s.replace(/[%_\\]/g, "")}%`;

/** The next version of a group: v1.0 for a new one, else the last one with its last number + 1. */
function nextVersion(versions: string[]): string {
  const last = versions.filter((v) => VERSION.test(v)).sort((a, b) => a.localeCompare(b, "en", { numeric: true })).pop();
  if (!last) return "v1.0";
  const parts = last.replace(/^v/, "").split(".").map(Number);
  parts[parts.length - 1] = (parts[parts.length - 1] ?? 0) + 1;
  return `v${parts.join(".")}`;
}

type Scope = { kind: "public" } | { kind: "self"; accountId: string } | { kind: "user"; accountId: string | null };

async function listing(ctx: RequestContext, req: Filters, scope: Scope) {
  const { db } = ctx.services;
  const empty = { TotalCount: 0, AvailableTotalCount: 0, CompshareImageGroup: [], ImageSetGroup: [], ImageSet: [] };
  if (scope.kind === "user" && !scope.accountId) return empty;
  let q = db.selectFrom("images").selectAll().where("type", "=", "Community");
  if (scope.kind === "self") q = q.where("account_id", "=", scope.accountId);
  else {
    q = q.where("visibility", "=", 1).where("status", "=", "Available");
    if (scope.kind === "user") q = q.where("account_id", "=", scope.accountId);
  }
  if (req.CompShareImageId) q = q.where("id", "=", req.CompShareImageId);
  if (req.GroupId) q = q.where("group_id", "=", req.GroupId);
  if (req.Name) q = q.where("name", "like", like(req.Name));
  if (req.Author) q = q.where("author", "=", req.Author);
  if (req.FuzzySearch) {
    const text = like(req.FuzzySearch);
    q = q.where((eb) => eb.or([eb("name", "like", text), eb("author", "like", text)]));
  }
  for (const tag of req.Tag ?? []) q = q.where("tags", "like", `%${JSON.stringify(tag)}%`);
  if (req.IsFree !== undefined) q = req.IsFree ? q.where("price", "=", 0) : q.where("price", ">", 0);
  if (req.IsOfficial !== undefined) q = q.where("is_official", "=", req.IsOfficial ? 1 : 0);
  if (req.IfAutoStart !== undefined) q = q.where("auto_start", "=", req.IfAutoStart ? 1 : 0);
  const versions = await q.orderBy("published_at", "desc").orderBy("id").limit(MAX_VERSIONS).execute();
  const groupIds = [...new Set(versions.map((v) => v.group_id))];
  if (groupIds.length === 0) return empty;
  const [groups, favorites, mine, owners] = await Promise.all([
    db.selectFrom("community_groups").selectAll().where("id", "in", groupIds).execute(),
    db.selectFrom("image_favorites").select(["group_id", (eb) => eb.fn.countAll<number>().as("n")]).where("group_id", "in", groupIds).groupBy("group_id").execute(),
    db.selectFrom("image_favorites").select("group_id").where("account_id", "=", ctx.caller.accountId).where("group_id", "in", groupIds).execute(),
    ownerNames(db, versions),
  ]);
  const favoriteCount = new Map(favorites.map((f) => [f.group_id, Number(f.n)]));
  const isFavorite = new Set(mine.map((m) => m.group_id));
  const byGroup = new Map<string, ImageRow[]>();
  for (const v of versions) byGroup.set(v.group_id, [...(byGroup.get(v.group_id) ?? []), v]);
  const built = groups.map((g) => {
    const data = byGroup.get(g.id) ?? [];
    const counts = { createdCount: Number(g.created_count), favoritesCount: favoriteCount.get(g.id) ?? 0, useSeconds: Number(g.use_seconds) };
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
        Data: data.map((d) => toImageModel(d, owners.get(d.account_id ?? "") ?? "", counts)),
      },
      pubTime: Math.max(...data.map((d) => Number(d.published_at))),
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
  const found = await db
    .selectFrom("images")
    .select("id")
    .where("group_id", "=", groupId)
    .where("type", "=", "Community")
    .where("visibility", "=", 1)
    .where("status", "=", "Available")
    .executeTakeFirst();
  if (!found) throw new ApiError("ImageNotFound", `community image group ${groupId} does not exist`);
}

export const communityHandlers: HandlerMap<ActionsOf<"community">> = {
  async PublishCompShareImage(ctx, req) {
    const { db, clock } = ctx.services;
    const source = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    if (source.status !== "Available") throw new ApiError("ImageNotPublishable", `image ${source.id} is ${source.status}; it must be Available`);
    if (Number(source.container) !== 1) throw new ApiError("ImageNotPublishable", `image ${source.id} was made from a virtual machine; only images of container instances can be published`);
    if (req.VersionName !== undefined && !VERSION.test(req.VersionName)) throw commonErrors.invalidParam("VersionName", "a version such as v1.0");
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      let groupId = req.GroupId;
      if (groupId) {
        const group = await tx.selectFrom("community_groups").select("id").where("id", "=", groupId).where("account_id", "=", ctx.caller.accountId).executeTakeFirst();
        if (!group) throw new ApiError("ImageNotFound", `community image group ${groupId} is not the caller's`);
      } else {
        groupId = `group-${randomBytes(6).toString("hex")}`;
        await tx
          .insertInto("community_groups")
          .values({ id: groupId, account_id: ctx.caller.accountId, name: req.CommunityImageName ?? source.name, description: req.Description ?? source.description, created_count: 0, use_seconds: 0, created_at: now })
          .execute();
      }
      const versions = await tx.selectFrom("images").select("version_name").where("group_id", "=", groupId).execute();
      const version = req.VersionName ?? nextVersion(versions.map((v) => v.version_name));
      if (versions.some((v) => v.version_name === version)) throw commonErrors.invalidParam("VersionName", `group ${groupId} has ${version} already`);
      const author = await tx.selectFrom("accounts").select("name").where("id", "=", ctx.caller.accountId).executeTakeFirstOrThrow();
      const sw = req.Softwares;
      await tx
        .insertInto("images")
        .values({
          ...source,
          id: newImageId(),
          type: "Community",
          status: "Available",
          name: req.CommunityImageName ?? source.name,
          description: req.Description ?? source.description,
          source_instance_id: null,
          op_id: null,
          group_id: groupId,
          source_image_id: source.id,
          version_name: version,
          version_desc: req.VersionDesc ?? "",
          author: author.name,
          price: req.Price ?? 0,
          visibility: 1,
          cover: req.Cover ?? "",
          readme: req.Readme ?? "",
          auto_start: req.AutoStart ? 1 : 0,
          supported_gpu_types: req.SupportedGpuTypes ? JSON.stringify(req.SupportedGpuTypes) : source.supported_gpu_types,
          tags: JSON.stringify(req.Tags ?? []),
          softwares: sw
            ? JSON.stringify({ Applications: sw.Applications ?? [], CUDAVersion: sw.CUDAVersion ?? "", Framework: sw.Framework ?? "", FrameworkVersion: sw.FrameworkVersion ?? "" })
            : source.softwares,
          is_official: 0,
          created_at: now,
          published_at: now,
          updated_at: now,
        })
        .execute();
    });
    return {};
  },

  DescribeCommunityImages: (ctx, req) => listing(ctx, req, { kind: "public" }),

  DescribeSelfCommunityImages: (ctx, req) => listing(ctx, req, { kind: "self", accountId: ctx.caller.accountId }),

  async DescribeUserCommunityImages(ctx, req) {
    const target =
      req.TargetTopOrganizationId === undefined
        ? ctx.caller.accountId
        : ((await ctx.services.db.selectFrom("accounts").select("id").where("org_id", "=", req.TargetTopOrganizationId).executeTakeFirst())?.id ?? null);
    return listing(ctx, req, { kind: "user", accountId: target });
  },

  async CreateCompShareImageFavorite(ctx, req) {
    const { db, clock } = ctx.services;
    await publicGroup(db, req.GroupId);
    await db.insertInto("image_favorites").values({ account_id: ctx.caller.accountId, group_id: req.GroupId, created_at: clock.now() }).onConflict((oc) => oc.doNothing()).execute();
    return {};
  },

  async DeleteCompShareImageFavorite(ctx, req) {
    await ctx.services.db.deleteFrom("image_favorites").where("account_id", "=", ctx.caller.accountId).where("group_id", "=", req.GroupId).execute();
    return {};
  },
};
