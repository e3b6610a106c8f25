/** Image lookups shared by the instance and image handlers. */
import { ApiError } from "@opencompshare/protocol";
import type { Caller } from "../operations/engine.js";
import type { Executor, ImageRow } from "../store/schema.js";

/** A platform image, or one of the caller's custom images, that is Available. */
export async function findUsableImage(db: Executor, id: string, caller: Pick<Caller, "accountId" | "projectId">): Promise<ImageRow | undefined> {
  return db
    .selectFrom("images")
    .selectAll()
    .where("id", "=", id)
    .where("status", "=", "Available")
    .where((eb) => eb.or([eb("account_id", "is", null), eb.and([eb("account_id", "=", caller.accountId), eb("project_id", "=", caller.projectId)])]))
    .executeTakeFirst();
}

/** The usable image, or ImageNotFound (226614). */
export async function requireUsableImage(db: Executor, id: string, caller: Pick<Caller, "accountId" | "projectId">): Promise<ImageRow> {
  const image = await findUsableImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist or is not available`);
  return image;
}

export async function imagesById(db: Executor, ids: string[]): Promise<Map<string, ImageRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom("images").selectAll().where("id", "in", unique).execute();
  return new Map(rows.map((r) => [r.id, r]));
}
