/** Handlers of the image actions: platform images, and custom images made from instances. */
import { randomBytes } from "node:crypto";
import { ApiError } from "@opencompshare/protocol";
import type { ImageParams } from "../operations/procedures.js";
import type { ImageRow } from "../store/schema.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";
import { pageOf } from "./instances.js";
import { toImageModel } from "./views.js";


const newImageId = (): string => `compshareImage-${randomBytes(6).toString("hex")}`;

async function ownImage(ctx: RequestContext, id: string): Promise<ImageRow> {
  const row = await ctx.services.db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", ctx.caller.accountId)
    .where("project_id", "=", ctx.caller.projectId)
    .executeTakeFirst();
  if (!row) throw new ApiError("ImageNotFound", `image ${id} does not exist`);
  return row;
}

async function accountName(ctx: RequestContext): Promise<string> {
  const row = await ctx.services.db.selectFrom("accounts").select("name").where("id", "=", ctx.caller.accountId).executeTakeFirst();
  return row?.name ?? "";
}

export const imageHandlers: HandlerMap<ActionsOf<"images">> = {
  async DescribeCompShareImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    let q = db.selectFrom("images").where("account_id", "is", null);
    if (req.ImageType) q = q.where("type", "=", req.ImageType);
    if (req.CompShareImageId) q = q.where("id", "=", req.CompShareImageId);
    if (req.Name) q = q.where("name", "like", `%${req.Name.replace(/[%_\\]/g, "")}%`);
    if (req.Tag) q = q.where("tags", "like", `%${JSON.stringify(req.Tag)}%`);
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy("created_at", "asc").orderBy("id").offset(offset).limit(limit).execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { ImageSet: rows.map((r) => toImageModel(r)), TotalCount: Number(count.n) };
  },

  async CreateCompShareCustomImage(ctx, req) {
    const action = "CreateCompShareCustomImage";
    const imageId = newImageId();
    await ctx.services.engine.accept({
      action,
      caller: ctx.caller,
      instanceId: req.UHostId,
      params: { imageId } satisfies ImageParams,
      prepare: async (tx, inst, opId, now) => {
        const source = await tx.selectFrom("images").select(["os_name", "size"]).where("id", "=", inst.image_id).executeTakeFirst();
        const sw = req.Softwares ?? {};
        await tx
          .insertInto("images")
          .values({
            id: imageId,
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
            softwares: JSON.stringify({
              Applications: sw.Application ?? [],
              CUDAVersion: sw.CUDAVersion ?? "",
              Framework: sw.Framework ?? "",
              FrameworkVersion: sw.FrameworkVersion ?? "",
            }),
            tags: "[]",
            progress: 0,
            created_at: now,
            ready_at: 0,
            failed_reason: "",
          })
          .execute();
      },
    });
    return { CompShareImageId: imageId };
  },

  async DescribeCompShareCustomImages(ctx, req) {
    const { db } = ctx.services;
    const { offset, limit } = pageOf(req.Offset, req.Limit);
    let q = db.selectFrom("images").where("account_id", "=", ctx.caller.accountId).where("project_id", "=", ctx.caller.projectId);
    if (req.CompShareImageId) q = q.where("id", "=", req.CompShareImageId);
    const [rows, count, owner] = await Promise.all([
      q.selectAll().orderBy("created_at", "desc").orderBy("id").offset(offset).limit(limit).execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      accountName(ctx),
    ]);
    return { ImageSet: rows.map((r) => toImageModel(r, owner)), TotalCount: Number(count.n) };
  },

  async GetCompShareImageCreateProgress(ctx, req) {
    const row = await ownImage(ctx, req.CompShareImageId);
    if (row.status !== "Making") {
      return { Process: row.status === "Available" ? 100 : Number(row.progress), RemainingDuration: "0", TotalDuration: "0" };
    }
    const { driver } = ctx.services;
    const p = await driver.imageProgress(row.id, AbortSignal.timeout(5000)).catch(() => null);
    if (!p) return { Process: Number(row.progress), RemainingDuration: "", TotalDuration: "" };
    return {
      Process: p.percent,
      RemainingDuration: String(Math.ceil(p.remainingMs / 1000)),
      TotalDuration: String(Math.ceil(p.totalMs / 1000)),
    };
  },

  async TerminateCompShareCustomImage(ctx, req) {
    const row = await ownImage(ctx, req.CompShareImageId);
    if (row.status === "Making") throw new ApiError("ImageTaskExists", `image ${row.id} is still being made`);
    const { db, driver } = ctx.services;
    await driver.deleteImage(row.id, AbortSignal.timeout(30_000));
    await db.deleteFrom("images").where("id", "=", row.id).where("status", "!=", "Making").execute();
    return {};
  },
};
