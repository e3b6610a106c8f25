/**
 * The platform's images as the platform writes them, at start and as hosts register: the
 * catalog's images added or brought up to date, and a host's own images added when missing. Every
 * write is an upsert, so replicas starting together never collide.
 */
import type { Insertable } from "kysely";
import type { Executor, ImagesTable } from "../schema.js";
import { imageRow, softwaresJson, type ImageSoftwares } from "./images.js";

/** Adds the image unless one of that id exists (a host's own image, listed as a platform image). */
export async function insertImageIfMissing(db: Executor, row: Insertable<ImagesTable>): Promise<void> {
  await db.insertInto("images").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
}


/** A platform image of the catalog. */
export interface CatalogImage {
  id: string;
  name: string;
  description: string;
  type: string;
  osName: string;
  sizeGb: number;
  softwares: Partial<ImageSoftwares>;
  tags: string[];
  author: string;
  supportedGpuTypes: string[];
  container: boolean;
}

/** Adds the image, or sets `values` of it (the rest of a new one: `imageRow`'s). */
export async function upsertImage(db: Executor, id: string, now: number, values: Partial<Insertable<ImagesTable>>): Promise<void> {
  await db
    .insertInto("images")
    .values({ ...imageRow(id, now), ...values })
    .onConflict((oc) => oc.column("id").doUpdateSet(values))
    .execute();
}

/** Adds the platform image, or sets what the catalog says of it (Available, official). */
export async function upsertPlatformImage(db: Executor, img: CatalogImage, now: number): Promise<void> {
  await upsertImage(db, img.id, now, {
    name: img.name,
    description: img.description,
    type: img.type,
    status: "Available",
    os_name: img.osName,
    size: img.sizeGb,
    softwares: softwaresJson(img.softwares),
    tags: JSON.stringify(img.tags),
    author: img.author,
    supported_gpu_types: JSON.stringify(img.supportedGpuTypes),
    container: img.container ? 1 : 0,
    is_official: 1,
    updated_at: now,
  });
}
