/** Image rows: what a new row holds when its maker sets only what it knows. */
import type { Insertable } from "kysely";
import type { Executor, ImagesTable } from "../schema.js";

/** The `softwares` column: { Applications, CUDAVersion, Framework, FrameworkVersion }. */
export function softwaresJson(s: { Applications?: string[]; CUDAVersion?: string; Framework?: string; FrameworkVersion?: string } = {}): string {
  return JSON.stringify({ Applications: s.Applications ?? [], CUDAVersion: s.CUDAVersion ?? "", Framework: s.Framework ?? "", FrameworkVersion: s.FrameworkVersion ?? "" });
}

/** A complete image row: an Available platform System image, unless `set` says otherwise. */
export function imageRow(id: string, now: number, set: Partial<Insertable<ImagesTable>> = {}): Insertable<ImagesTable> {
  return {
    id,
    account_id: null,
    project_id: null,
    name: id,
    description: "",
    type: "System",
    status: "Available",
    source_instance_id: null,
    op_id: null,
    gpu_type: "",
    os_name: "",
    size: 0,
    softwares: softwaresJson(),
    tags: "[]",
    progress: 100,
    created_at: now,
    ready_at: now,
    failed_reason: "",
    group_id: "",
    source_image_id: "",
    version_name: "",
    version_desc: "",
    author: "",
    price: 0,
    visibility: 0,
    cover: "",
    readme: "",
    auto_start: 0,
    supported_gpu_types: "[]",
    ports: "[]",
    container: 0,
    is_official: 0,
    published_at: 0,
    updated_at: now,
    host_id: "",
    ...set,
  };
}

/** Adds the image unless one of that id exists (a host's own image, listed as a platform image). */
export async function insertImageIfMissing(db: Executor, row: Insertable<ImagesTable>): Promise<void> {
  await db.insertInto("images").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
}
