/** Handlers of the image actions: platform images, custom images made from instances, and sharing them. */
import { randomBytes } from "node:crypto";
import { ApiError, commonErrors } from "@opencompshare/protocol";
import type { DeleteImageParams, ImageParams } from "../operations/procedures/index.js";
import { runOnResource } from "../operations/resources.js";
import type { Executor, ImageRow } from "../store/schema.js";
import { ownCustomImage } from "./image-lookup.js";
import { pageOf } from "./instances.js";
import type { ActionsOf, HandlerMap } from "./registry.js";
import { toImageModel } from "./views.js";
import { imageRow, softwaresJson } from "../store/repositories/images.js";

export const newImageId = (): string => `compshareImage-${randomBytes(6).toString("hex")}`;

/** The platform's image types; another value of the ImageType filter matches nothing. */
const PLATFORM_TYPES = new Set(["System", "App", "Game", "Other"]);

export async function accountName(db: Executor, accountId: string): Promise<string> {
  const row = await db.selectFrom("accounts").select("name").where("id", "=", accountId).executeTakeFirst();
  return row?.name ?? "";
}

/** Names of the accounts owning `rows`, by account id. */
export async function ownerNames(db: Executor, rows: readonly ImageRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.map((r) => r.account_id).filter((a): a is string => a !== null))];
  if (ids.length === 0) return new Map();
  const accounts = await db.selectFrom("accounts").select(["id", "name"]).where("id", "in", ids).execute();
  return new Map(accounts.map((a) => [a.id, a.name]));
}

const like = (s: string): string => `%${s.replace(/[%_\\]/g, "")}%`;

export const imageHandlers: HandlerMap<ActionsOf<"images">> = {
  async DescribeCompShareImages(ctx, req) {
    const { db, fleet, clock } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    if (req.ImageType !== undefined && !PLATFORM_TYPES.has(req.ImageType)) return { ImageSet: [], TotalCount: 0 };
    let q = db.selectFrom("images").where("account_id", "is", null).where("type", "in", [...PLATFORM_TYPES]);
    if (req.ImageType) q = q.where("type", "=", req.ImageType);
    if (req.CompShareImageId) q = q.where("id", "=", req.CompShareImageId);
    if (req.Name) q = q.where("name", "like", like(req.Name));
    if (req.Author) q = q.where("author", "=", req.Author);
    if (req.Tag) q = q.where("tags", "like", `%${JSON.stringify(req.Tag)}%`);
    if (fleet.opts.kind === "agent") {
      // Only images a live host can boot.
      const since = clock.now() - fleet.opts.hostLeaseMs;
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("host_images")
            .innerJoin("hosts", "hosts.id", "host_images.host_id")
            .select("host_images.image_id")
            .whereRef("host_images.image_id", "=", "images.id")
            .where("hosts.last_seen", ">=", since),
        ),
      );
    }
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy("created_at", "asc").orderBy("id").offset(offset).limit(limit).execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { ImageSet: rows.map((r) => toImageModel(r)), TotalCount: Number(count.n) };
  },

  async CreateCompShareCustomImage(ctx, req) {
    const imageId = newImageId();
    await ctx.services.engine.accept({
      action: "CreateCompShareCustomImage",
      caller: ctx.caller,
      instanceId: req.UHostId,
      params: { imageId } satisfies ImageParams,
      prepare: async (tx, inst, opId, now) => {
        const source = await tx.selectFrom("images").select(["os_name", "size", "container", "supported_gpu_types"]).where("id", "=", inst.image_id).executeTakeFirst();
        const sw = req.Softwares ?? {};
        await tx
          .insertInto("images")
          .values(
            imageRow(imageId, now, {
              account_id: ctx.caller.accountId,
              project_id: ctx.caller.projectId,
              name: req.Name,
              description: req.Description ?? "",
              type: "Custom",
              status: "Making",
              source_instance_id: inst.id,
              op_id: opId,
              gpu_type: inst.gpu_type,
              os_name: source?.os_name ?? "",
              size: Number(source?.size ?? 50),
              softwares: softwaresJson({ Applications: sw.Application ?? [], CUDAVersion: sw.CUDAVersion ?? "", Framework: sw.Framework ?? "", FrameworkVersion: sw.FrameworkVersion ?? "" }),
              progress: 0,
              ready_at: 0,
              source_image_id: inst.image_id,
              supported_gpu_types: source?.supported_gpu_types ?? "[]",
              // What the instance is (fixed at create), not what its current image was made for.
              container: inst.instance_type === "Container" ? 1 : 0,
            }),
          )
          .execute();
      },
    });
    return { CompShareImageId: imageId };
  },

  async DescribeCompShareCustomImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    let q = db.selectFrom("images").where("account_id", "=", ctx.caller.accountId).where("project_id", "=", ctx.caller.projectId).where("type", "=", "Custom").where("status", "!=", "Deleting");
    if (req.CompShareImageId) q = q.where("id", "=", req.CompShareImageId);
    const [rows, count, owner] = await Promise.all([
      q.selectAll().orderBy("created_at", "desc").orderBy("id").offset(offset).limit(limit).execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      accountName(db, ctx.caller.accountId),
    ]);
    return { ImageSet: rows.map((r) => toImageModel(r, owner)), TotalCount: Number(count.n) };
  },

  async GetCompShareImageCreateProgress(ctx, req) {
    const row = await ownCustomImage(ctx.services.db, req.CompShareImageId, ctx.caller);
    if (row.status !== "Making") {
      const done = row.status === "Available" ? 100 : Number(row.progress);
      return { Process: done, RemainingDuration: "0", TotalDuration: "0", Status: row.status, Progress: done };
    }
    const p = await ctx.services.machines.imageProgress(row.id, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    if (!p) return { Process: Number(row.progress), RemainingDuration: "", TotalDuration: "", Status: row.status, Progress: Number(row.progress) };
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
    if (row.status === "Making") throw new ApiError("ImageTaskExists", `image ${row.id} is still being made`);
    const params: DeleteImageParams = { imageId: row.id, status: row.status, opId: row.op_id };
    await runOnResource(engine, {
      action: "TerminateCompShareCustomImage",
      caller: ctx.caller,
      resourceId: row.id,
      params,
      enter: async (tx, opId, now) => {
        const published = await tx
          .selectFrom("images")
          .select("id")
          .where("source_image_id", "=", row.id)
          .where("type", "=", "Community")
          .where("status", "in", ["Available", "Reviewing"])
          .executeTakeFirst();
        if (published) throw new ApiError("ImagePublished", `image ${row.id} is published as community version ${published.id}: take it down (UpdateCompShareImage Visibility 0) first`);
        // From here until the operation ends the image reads as deleted (ownCustomImage and the lists skip it).
        const entered = await tx.updateTable("images").set({ status: "Deleting", op_id: opId, updated_at: now }).where("id", "=", row.id).where("status", "=", row.status).executeTakeFirst();
        if (Number(entered.numUpdatedRows) !== 1) throw new ApiError("ImageNotFound", `image ${row.id} does not exist`);
      },
    });
    return {};
  },

  async UpdateCompShareImage(ctx, req) {
    const { db, clock } = ctx.services;
    const row = await db
      .selectFrom("images")
      .selectAll()
      .where("id", "=", req.CompShareImageId)
      .where("account_id", "=", ctx.caller.accountId)
      .where("type", "in", ["Custom", "Community"])
      .where("status", "!=", "Deleting")
      .executeTakeFirst();
    if (!row || (row.type === "Custom" && row.project_id !== ctx.caller.projectId)) throw new ApiError("ImageNotFound", `image ${req.CompShareImageId} does not exist`);
    if (req.GroupId !== undefined && row.group_id !== req.GroupId) throw commonErrors.invalidParam("GroupId", `image ${row.id} is not in group ${req.GroupId}`);
    const set: Partial<ImageRow> = { updated_at: clock.now() };
    if (req.Name !== undefined) set.name = req.Name;
    if (req.Description !== undefined) set.description = req.Description;
    if (req.Price !== undefined) set.price = req.Price;
    if (req.Cover !== undefined) set.cover = req.Cover;
    if (req.Readme !== undefined) set.readme = req.Readme;
    if (req.Tags !== undefined) set.tags = JSON.stringify(req.Tags);
    if (req.VersionName !== undefined) set.version_name = req.VersionName;
    if (req.VersionDesc !== undefined) set.version_desc = req.VersionDesc;
    if (req.SupportedGpuTypes !== undefined) set.supported_gpu_types = JSON.stringify(req.SupportedGpuTypes);
    if (req.AutoStart !== undefined) set.auto_start = req.AutoStart ? 1 : 0;
    if (req.Visibility !== undefined) {
      set.visibility = req.Visibility;
      // A community version taken down goes Offline; made public again, it is Available.
      if (row.type === "Community") set.status = req.Visibility === 1 ? "Available" : "Offline";
    }
    await db.updateTable("images").set(set).where("id", "=", row.id).execute();
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
    const accounts = numbers.length ? await db.selectFrom("accounts").select(["id", "org_id"]).where("org_id", "in", numbers).execute() : [];
    const byNumber = new Map(accounts.filter((a) => a.id !== ctx.caller.accountId).map((a) => [Number(a.org_id), a.id]));
    const invalid = numbers.filter((n) => !byNumber.has(n));
    await db.transaction().execute(async (tx) => {
      for (const n of req.AddAccounts ?? []) {
        const account = byNumber.get(n);
        if (account) await tx.insertInto("image_shares").values({ image_id: image.id, account_id: account, created_at: clock.now() }).onConflict((oc) => oc.doNothing()).execute();
      }
      for (const n of req.RemoveAccounts ?? []) {
        const account = byNumber.get(n);
        if (account) await tx.deleteFrom("image_shares").where("image_id", "=", image.id).where("account_id", "=", account).execute();
      }
    });
    return { InvalidAccounts: invalid };
  },

  async DescribeCompShareImageShareAccounts(ctx, req) {
    const { db } = ctx.services;
    const image = await ownCustomImage(db, req.CompShareImageId, ctx.caller);
    const rows = await db
      .selectFrom("image_shares")
      .innerJoin("accounts", "accounts.id", "image_shares.account_id")
      .select(["accounts.org_id", "accounts.name"])
      .where("image_shares.image_id", "=", image.id)
      .orderBy("accounts.org_id")
      .execute();
    return { AccountSet: rows.map((r) => ({ AccountId: String(r.org_id), AccountName: r.name })) };
  },

  async DescribeCompShareSharingImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    let q = db
      .selectFrom("images")
      .innerJoin("image_shares", "image_shares.image_id", "images.id")
      .where("image_shares.account_id", "=", ctx.caller.accountId)
      .where("images.status", "=", "Available");
    if (req.CompShareImageId) q = q.where("images.id", "=", req.CompShareImageId);
    const [rows, count] = await Promise.all([
      q.selectAll("images").orderBy("images.created_at", "desc").orderBy("images.id").offset(offset).limit(limit).execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    const owners = await ownerNames(db, rows);
    return { ImageSet: rows.map((r) => ({ ...toImageModel(r, owners.get(r.account_id ?? "") ?? ""), ImageOwnerAlias: "Shared" })), TotalCount: Number(count.n) };
  },
};
