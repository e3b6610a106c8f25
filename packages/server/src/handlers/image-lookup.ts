/** Image lookups shared by the instance and image handlers: which image a caller may use, and the errors when none. */
import { ApiError } from "@opencompshare/protocol";
import type { Caller } from "../operations/engine.js";
import { findOwnCustomImage, imageRowsById, usableImageRow, type ImageRecord } from "../store/repositories/images.js";
import type { Executor, ImageRow } from "../store/schema.js";

type Owner = Pick<Caller, "accountId" | "projectId">;

/**
 * An image the caller may boot, if Available: a platform image, one of the caller's custom images,
 * a custom image another account shared with the caller, or a published community version.
 */
export async function findUsableImage(db: Executor, id: string, caller: Owner): Promise<ImageRow | undefined> {
  return usableImageRow(db, id, caller);
}

/** The usable image, or ImageNotFound (226614). */
export async function requireUsableImage(db: Executor, id: string, caller: Owner): Promise<ImageRow> {
  const image = await findUsableImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist or is not available`);
  return image;
}

/** Images by id; one being deleted (TerminateCompShareCustomImage's operation) reads as gone. */
export async function imagesById(db: Executor, ids: string[]): Promise<Map<string, ImageRow>> {
  return imageRowsById(db, ids);
}

/** One of the caller's own custom images (not a community version, not one being deleted), or ImageNotFound. */
export async function ownCustomImage(db: Executor, id: string, caller: Owner): Promise<ImageRecord> {
  const image = await findOwnCustomImage(db, id, caller);
  if (!image) throw new ApiError("ImageNotFound", `image ${id} does not exist`);
  return image;
}
