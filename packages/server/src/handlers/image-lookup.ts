/** Image lookups shared by the instance and image handlers: which image a caller may use, and the errors when none. */
import { ApiError } from "@opencompshare/protocol";
import type { Caller } from "../operations/engine.js";
import { findOwnCustomImage, findUsableImage, type ImageRecord } from "../store/repositories/images.js";
import type { Executor } from "../store/schema.js";

type Owner = Pick<Caller, "accountId" | "projectId">;

/**
 * The image the caller may boot, or ImageNotFound (226614): an Available platform image, one of
 * the caller's custom images, a custom image another account shared with the caller, or a
 * published community version.
 */
export async function requireUsableImage(db: Executor, id: string, caller: Owner): Promise<ImageRecord> {
  const image = await findUsableImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist or is not available`);
  return image;
}

/** One of the caller's own custom images (not a community version, not one being deleted), or ImageNotFound. */
export async function ownCustomImage(db: Executor, id: string, caller: Owner): Promise<ImageRecord> {
  const image = await findOwnCustomImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist`);
  return image;
}
