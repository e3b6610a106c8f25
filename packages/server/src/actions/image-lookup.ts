/** Image lookups shared by the instance and image handlers. */
import { ApiError } from "@opencompshare/protocol";
import type { Caller } from "../operations/engine.js";
import { prepared, rowsOf } from "../store/prepared.js";
import type { Executor, ImageRow } from "../store/schema.js";

type Owner = Pick<Caller, "accountId" | "projectId">;

/**
 * An image the caller may boot, if Available: a platform image, one of the caller's custom images,
 * a custom image another account shared with the caller, or a published community version.
 */
export async function findUsableImage(db: Executor, id: string, caller: Owner): Promise<ImageRow | undefined> {
  return db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("status", "=", "Available")
    .where((eb) =>
      eb.or([
        eb.and([eb("account_id", "is", null), eb("type", "!=", "Community")]),
        eb.and([eb("type", "=", "Community"), eb("visibility", "=", 1)]),
        eb.and([eb("account_id", "=", caller.accountId), eb("project_id", "=", caller.projectId)]),
        eb.exists(eb.selectFrom("image_shares").select("image_shares.image_id").whereRef("image_shares.image_id", "=", "images.id").where("image_shares.account_id", "=", caller.accountId)),
      ]),
    )
    .executeTakeFirst();
}

/** The usable image, or ImageNotFound (226614). */
export async function requireUsableImage(db: Executor, id: string, caller: Owner): Promise<ImageRow> {
  const image = await findUsableImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist or is not available`);
  return image;
}

/** An image being deleted (TerminateCompShareCustomImage's operation) reads as gone. */
const imageById = prepared(1, (db, id: string) => db.selectFrom("images").selectAll().where("id", "=", id).where("status", "!=", "Deleting"));

export async function imagesById(db: Executor, ids: string[]): Promise<Map<string, ImageRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = unique.length === 1 ? await rowsOf(imageById(db, unique[0] as string)) : await db.selectFrom("images").selectAll().where("id", "in", unique).where("status", "!=", "Deleting").execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** One of the caller's own custom images (not a community version, not one being deleted), or ImageNotFound. */
export async function ownCustomImage(db: Executor, id: string, caller: Owner): Promise<ImageRow> {
  const row = await db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("type", "=", "Custom")
    .where("account_id", "=", caller.accountId)
    .where("project_id", "=", caller.projectId)
    .where("status", "!=", "Deleting")
    .executeTakeFirst();
  if (!row) throw new ApiError("ImageNotFound", `image ${id} does not exist`);
  return row;
}
