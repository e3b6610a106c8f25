/**
 * The hosts instances run on. Simulated hosts come from the catalog's fleet and are written at
 * start; agent hosts register themselves (drivers/agent/). Both live in `hosts`, with their GPUs
 * in `host_gpus`, so placement and capacity treat them alike.
 */
import type { Catalog } from "../catalog/catalog.js";
import type { Executor } from "../store/schema.js";

export type HostKind = "simulated" | "agent";

/** A simulated GPU's PCI address: the n-th GPU of a host. */
export const simulatedDevice = (n: number): string => `0000:${(0x10 + n).toString(16).padStart(2, "0")}:00.0`;

/** Writes the catalog's simulated fleet: missing hosts added, sizes updated, extra hosts drained or removed. */
export async function syncFleet(db: Executor, catalog: Catalog, now: number): Promise<void> {
  const wanted = new Map<string, { zone: string; gpuType: string; gpus: number; cpus: number; memoryMb: number; platform: string }>();
  for (const f of catalog.data.fleet) {
    for (let i = 0; i < f.hosts; i++) {
      wanted.set(`sim-${f.zone}-${f.gpuType}-${String(i + 1).padStart(3, "0")}`, {
        zone: f.zone,
        gpuType: f.gpuType,
        gpus: f.gpusPerHost,
        cpus: f.cpusPerHost,
        memoryMb: f.memoryGbPerHost * 1024,
        platform: f.cpuPlatform,
      });
    }
  }
  const existing = await db.selectFrom("hosts").select(["id"]).where("kind", "=", "simulated").execute();
  const have = new Set(existing.map((h) => h.id));
  for (const [id, h] of wanted) {
    if (have.has(id)) {
      await db.updateTable("hosts").set({ cpus: h.cpus, memory_mb: h.memoryMb, cpu_platform: h.platform, state: "Ready" }).where("id", "=", id).execute();
    } else {
      await db
        .insertInto("hosts")
        .values({
          id,
          kind: "simulated",
          zone: h.zone,
          gpu_type: h.gpuType,
          cpu_platform: h.platform,
          cpus: h.cpus,
          memory_mb: h.memoryMb,
          used_cpus: 0,
          used_memory_mb: 0,
          state: "Ready",
          token_hash: null,
          boot_id: "",
          accelerator: "simulated",
          facts: "{}",
          registered_at: now,
          last_seen: now,
        })
        .execute();
    }
    const devices = await db.selectFrom("host_gpus").select("device").where("host_id", "=", id).execute();
    const known = new Set(devices.map((d) => d.device));
    for (let n = 0; n < h.gpus; n++) {
      const device = simulatedDevice(n);
      if (known.has(device)) continue;
      await db.insertInto("host_gpus").values({ host_id: id, device, idx: n, model: h.gpuType, healthy: 1, health: "{}", instance_id: null }).execute();
    }
    // Fewer GPUs than before: the extra ones leave unless given to an instance.
    await db.deleteFrom("host_gpus").where("host_id", "=", id).where("idx", ">=", h.gpus).where("instance_id", "is", null).execute();
  }
  for (const { id } of existing) {
    if (wanted.has(id)) continue;
    const used = await db.selectFrom("instances").select("id").where("host_id", "=", id).executeTakeFirst();
    if (used) {
      await db.updateTable("hosts").set({ state: "Draining" }).where("id", "=", id).execute();
    } else {
      await db.deleteFrom("host_gpus").where("host_id", "=", id).execute();
      await db.deleteFrom("hosts").where("id", "=", id).execute();
    }
  }
}
