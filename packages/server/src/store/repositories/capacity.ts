/** GPU capacity per zone and type: taken by compare-and-set on create and resize, given back on release. */
import { sql } from "kysely";
import type { Catalog } from "../../catalog.js";
import type { Executor } from "../schema.js";

/** Takes `n` GPUs of `gpuType` in `zone`. Returns false when fewer are left. */
export async function takeGpus(db: Executor, zone: string, gpuType: string, n: number): Promise<boolean> {
  if (n <= 0) return true;
  const res = await db
    .updateTable("gpu_pools")
    .set({ used: sql`used + ${n}` })
    .where("zone", "=", zone)
    .where("gpu_type", "=", gpuType)
    .where(sql<boolean>`used + ${n} <= capacity`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function giveBackGpus(db: Executor, zone: string, gpuType: string, n: number): Promise<void> {
  if (n <= 0) return;
  await db
    .updateTable("gpu_pools")
    .set({ used: sql`used - ${n}` })
    .where("zone", "=", zone)
    .where("gpu_type", "=", gpuType)
    .execute();
}

/** Brings the pools in line with the catalog's capacities, keeping what is in use. */
export async function syncPools(db: Executor, catalog: Catalog): Promise<void> {
  for (const g of catalog.gpus) {
    await db
      .insertInto("gpu_pools")
      .values({ zone: g.zone, gpu_type: g.gpuType, machine_type: g.machineType, capacity: g.capacity, used: 0 })
      .onConflict((oc) => oc.columns(["zone", "gpu_type"]).doUpdateSet({ capacity: g.capacity, machine_type: g.machineType }))
      .execute();
  }
}
