/** Writes the catalog into the database at start: GPU pools and platform images. */
import type { Catalog } from "../catalog.js";
import { syncPools } from "./repositories/capacity.js";
import type { Db } from "./schema.js";

export async function syncCatalog(db: Db, catalog: Catalog, now: number): Promise<void> {
  await syncPools(db, catalog);
  for (const img of catalog.images) {
    const values = {
      name: img.name,
      description: img.description,
      type: img.type,
      status: "Available",
      os_name: img.osName,
      size: img.sizeGb,
      softwares: JSON.stringify({
        Applications: img.applications,
        CUDAVersion: img.cudaVersion,
        Framework: img.framework,
        FrameworkVersion: img.frameworkVersion,
      }),
      tags: JSON.stringify(img.tags),
    };
    await db
      .insertInto("images")
      .values({
        id: img.id,
        account_id: null,
        project_id: null,
        source_instance_id: null,
        op_id: null,
        gpu_type: "",
        progress: 100,
        created_at: now,
        ready_at: now,
        failed_reason: "",
        ...values,
      })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }
}
