/**
 * Writes the catalog into the database at start: the simulated fleet, platform images and the
 * official community images, in one transaction (one commit, not one per row: a start is
 * quicker). Several replicas starting at once run it one after the other (`store.exclusively`,
 * an advisory lock on PostgreSQL): the fleet's sync reads and then writes, and two of them
 * interleaved would insert the same host twice.
 */
import { syncFleet } from "../drivers/simulated/fleet.js";
import type { Db, Executor } from "../store/schema.js";
import type { Catalog } from "./catalog.js";
import { upsertOfficialGroup, upsertOfficialVersion } from "../store/repositories/community.js";
import { upsertPlatformImage } from "../store/repositories/platform-images.js";

export async function syncCatalog(db: Db, catalog: Catalog, now: number, opts: { fleet: boolean }): Promise<void> {
  await db.transaction().execute((tx) => writeCatalog(tx, catalog, now, opts));
}

export async function writeCatalog(db: Executor, catalog: Catalog, now: number, opts: { fleet: boolean }): Promise<void> {
  if (opts.fleet) await syncFleet(db, catalog, now);
  for (const img of catalog.data.images) {
    await upsertPlatformImage(
      db,
      {
        id: img.id,
        name: img.name,
        description: img.description,
        type: img.type,
        osName: img.osName,
        sizeGb: img.sizeGb,
        softwares: { Applications: img.applications, CUDAVersion: img.cudaVersion, Framework: img.framework, FrameworkVersion: img.frameworkVersion },
        tags: img.tags,
        author: img.author,
        supportedGpuTypes: img.gpuTypes,
        container: img.type !== "System",
      },
      now,
    );
  }
  for (const c of catalog.data.communityImages) {
    await upsertOfficialGroup(db, { id: c.groupId, name: c.name, description: c.description }, now);
    await upsertOfficialVersion(
      db,
      {
        id: c.id,
        groupId: c.groupId,
        name: c.name,
        description: c.description,
        versionName: c.versionName,
        sizeGb: Math.ceil(c.sizeMb / 1024),
        tags: c.tags,
        author: c.author,
        price: c.price,
        autoStart: c.autoStart,
        supportedGpuTypes: c.gpuTypes,
        ports: c.ports,
      },
      now,
    );
  }
}
