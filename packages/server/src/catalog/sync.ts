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
import { imageRow, softwaresJson } from "../store/repositories/images.js";

const softwaresOf = (applications: string[], cudaVersion: string, framework: string, frameworkVersion: string) =>
  softwaresJson({ Applications: applications, CUDAVersion: cudaVersion, Framework: framework, FrameworkVersion: frameworkVersion });

export async function syncCatalog(db: Db, catalog: Catalog, now: number, opts: { fleet: boolean }): Promise<void> {
  await db.transaction().execute((tx) => writeCatalog(tx, catalog, now, opts));
}

async function writeCatalog(db: Executor, catalog: Catalog, now: number, opts: { fleet: boolean }): Promise<void> {
  if (opts.fleet) await syncFleet(db, catalog, now);
  for (const img of catalog.data.images) {
    const values = {
      name: img.name,
      description: img.description,
      type: img.type,
      status: "Available",
      os_name: img.osName,
      size: img.sizeGb,
      softwares: softwaresOf(img.applications, img.cudaVersion, img.framework, img.frameworkVersion),
      tags: JSON.stringify(img.tags),
      author: img.author,
      supported_gpu_types: JSON.stringify(img.gpuTypes),
      container: img.type === "System" ? 0 : 1,
      is_official: 1,
      updated_at: now,
    };
    await db
      .insertInto("images")
      .values({ ...imageRow(img.id, now), ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }
  for (const c of catalog.data.communityImages) {
    await db
      .insertInto("community_groups")
      .values({ id: c.groupId, account_id: null, name: c.name, description: c.description, created_count: 0, use_seconds: 0, created_at: now })
      .onConflict((oc) => oc.column("id").doUpdateSet({ name: c.name, description: c.description }))
      .execute();
    const values = {
      name: c.name,
      description: c.description,
      type: "Community",
      status: "Available",
      os_name: "Ubuntu 22.04",
      size: Math.ceil(c.sizeMb / 1024),
      softwares: softwaresOf([], "", "", ""),
      tags: JSON.stringify(c.tags),
      group_id: c.groupId,
      version_name: c.versionName,
      author: c.author,
      price: c.price,
      visibility: 1,
      auto_start: c.autoStart ? 1 : 0,
      supported_gpu_types: JSON.stringify(c.gpuTypes),
      ports: JSON.stringify(c.ports),
      container: 1,
      is_official: 1,
      published_at: now,
      updated_at: now,
    };
    await db
      .insertInto("images")
      .values({ ...imageRow(c.id, now), ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }
}

