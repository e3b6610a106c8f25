/**
 * The host registry of the agent driver: hosts added by an operator (each with its own token,
 * stored hashed), what an agent registers (CPUs, memory, GPUs, accelerator, images), and what
 * its heartbeats say (GPU health, what the images are). A host silent past its lease is Unknown
 * to placement (fleet/placement.ts reads `last_seen`).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Heartbeat, Registration } from "@opencompshare/protocol";
import type { Catalog } from "../../catalog/catalog.js";
import type { Db, Executor } from "../../store/schema.js";
import { imageRow } from "../../store/repositories/images.js";
import { reconcileMachines, type Drift } from "./reconcile.js";

export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

export class HostError extends Error {}

/** The zone a host is added to: one the catalog has (the first when none is given). */
export function knownZone(catalog: Catalog, zone: string | undefined): string {
  const zones = catalog.zones.map((z) => z.zone);
  const chosen = zone ?? zones[0];
  if (!chosen || !zones.includes(chosen)) throw new HostError(`zone ${String(zone)} is not in the catalog (${zones.join(", ")})`);
  return chosen;
}

/** Adds a host that an agent may register as; returns its token (`<host>.<secret>`), shown once. */
export async function addHost(db: Db, name: string, zone: string): Promise<string> {
  if (!HOST_NAME.test(name)) throw new HostError("host name: 1 to 63 of letters, digits, _ and -, starting with a letter or digit");
  const secret = randomBytes(24).toString("base64url");
  const existing = await db.selectFrom("hosts").select(["id", "kind"]).where("id", "=", name).executeTakeFirst();
  if (existing && existing.kind !== "agent") throw new HostError(`host ${name} is a simulated host`);
  if (existing) {
    await db.updateTable("hosts").set({ token_hash: sha256(secret), zone }).where("id", "=", name).execute();
  } else {
    await db
      .insertInto("hosts")
      .values({
        id: name,
        kind: "agent",
        zone,
        gpu_type: "",
        cpu_platform: "",
        cpus: 0,
        memory_mb: 0,
        used_cpus: 0,
        used_memory_mb: 0,
        state: "Ready",
        token_hash: sha256(secret),
        boot_id: "",
        accelerator: "",
        facts: "{}",
        registered_at: 0,
        last_seen: 0,
      })
      .execute();
  }
  return `${name}.${secret}`;
}

/** The host a token belongs to, or undefined. Compared in constant time. */
export async function authenticateHost(db: Executor, token: string | undefined): Promise<string | undefined> {
  if (!token) return undefined;
  const dot = token.indexOf(".");
  if (dot <= 0) return undefined;
  const name = token.slice(0, dot);
  const row = await db.selectFrom("hosts").select(["token_hash"]).where("id", "=", name).where("kind", "=", "agent").executeTakeFirst();
  const given = Buffer.from(sha256(token.slice(dot + 1)), "hex");
  const stored = Buffer.from(row?.token_hash ?? sha256(""), "hex");
  const same = timingSafeEqual(given, stored);
  return row?.token_hash && same ? name : undefined;
}

/** Writes what the agent registered. GPUs it no longer has leave unless given to an instance (then they are unhealthy). */
export async function register(db: Db, hostId: string, r: Registration, now: number): Promise<void> {
  const gpuType = r.gpus[0]?.gpuType ?? "";
  await db.transaction().execute(async (tx) => {
    await tx
      .updateTable("hosts")
      .set({
        gpu_type: gpuType,
        cpu_platform: r.cpuPlatform,
        cpus: r.cpus,
        memory_mb: r.memory,
        boot_id: r.bootId,
        accelerator: r.accelerator,
        facts: JSON.stringify({ agentVersion: r.agentVersion, gpus: r.gpus }),
        registered_at: now,
        last_seen: now,
      })
      .where("id", "=", hostId)
      .execute();
    const known = await tx.selectFrom("host_gpus").select(["device", "instance_id"]).where("host_id", "=", hostId).execute();
    const reported = new Set(r.gpus.map((g) => g.device));
    for (const [idx, g] of r.gpus.entries()) {
      if (known.some((k) => k.device === g.device)) {
        await tx.updateTable("host_gpus").set({ idx, model: g.model }).where("host_id", "=", hostId).where("device", "=", g.device).execute();
      } else {
        await tx.insertInto("host_gpus").values({ host_id: hostId, device: g.device, idx, model: g.model, healthy: 1, health: "{}", instance_id: null }).execute();
      }
    }
    for (const k of known) {
      if (reported.has(k.device)) continue;
      if (k.instance_id) {
        await tx.updateTable("host_gpus").set({ healthy: 0, health: JSON.stringify({ reasons: ["not reported by the host"] }) }).where("host_id", "=", hostId).where("device", "=", k.device).execute();
      } else {
        await tx.deleteFrom("host_gpus").where("host_id", "=", hostId).where("device", "=", k.device).execute();
      }
    }
    await syncImages(tx, hostId, r.images.map((i) => i.id), now, r.images);
  });
}

/**
 * Records a heartbeat: the host lives, its GPUs' health, the GPU usage its instances show, and
 * the power of its machines where it drifted from a settled instance's state (reconcile.ts).
 */
export async function heartbeat(db: Db, hostId: string, hb: Heartbeat, now: number): Promise<Drift[]> {
  return db.transaction().execute(async (tx) => {
    await tx.updateTable("hosts").set({ last_seen: now, boot_id: hb.bootId }).where("id", "=", hostId).execute();
    for (const g of hb.gpus) {
      await tx
        .updateTable("host_gpus")
        .set({ healthy: g.healthy ? 1 : 0, health: JSON.stringify(g) })
        .where("host_id", "=", hostId)
        .where("device", "=", g.device)
        .execute();
    }
    const given = await tx.selectFrom("host_gpus").select(["device", "instance_id", "idx"]).where("host_id", "=", hostId).where("instance_id", "is not", null).orderBy("idx").execute();
    const byInstance = new Map<string, string[]>();
    for (const g of given) byInstance.set(g.instance_id as string, [...(byInstance.get(g.instance_id as string) ?? []), g.device]);
    const health = new Map(hb.gpus.map((g) => [g.device, g]));
    for (const [instanceId, devices] of byInstance) {
      const info = devices.map((d, i) => {
        const h = health.get(d);
        const memory = h?.memoryUsedMb != null && h.memoryTotalMb ? Math.round((h.memoryUsedMb / h.memoryTotalMb) * 1000) / 10 : 0;
        return { GPU: String(i), GpuUsageRate: String(h?.utilGpu ?? 0), MemoryUsageRate: String(memory), Device: d, Healthy: h?.healthy ?? true, Reasons: h?.reasons ?? [] };
      });
      await tx.updateTable("instances").set({ monitor: JSON.stringify({ GpuInfo: info }) }).where("id", "=", instanceId).execute();
    }
    await syncImages(tx, hostId, hb.images, now);
    return reconcileMachines(tx, hostId, Array.isArray(hb.machines) ? hb.machines : [], now);
  });
}

/**
 * What images the host can boot now. An image the catalog does not know becomes a platform
 * System image, so that a host's own images (such as `npm run guest-image`'s) are listed with
 * no further step.
 */
async function syncImages(tx: Executor, hostId: string, ids: readonly string[], now: number, described: Registration["images"] = []): Promise<void> {
  for (const img of described) {
    await tx
      .insertInto("images")
      .values(imageRow(img.id, now, { name: img.name, description: img.name, os_name: img.osName, size: img.sizeGb, author: "CompShare", is_official: 1 }))
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
  }
  const have = await tx.selectFrom("host_images").select("image_id").where("host_id", "=", hostId).execute();
  const want = new Set(ids);
  for (const h of have) if (!want.has(h.image_id)) await tx.deleteFrom("host_images").where("host_id", "=", hostId).where("image_id", "=", h.image_id).execute();
  const present = new Set(have.map((h) => h.image_id));
  for (const id of want) if (!present.has(id)) await tx.insertInto("host_images").values({ host_id: hostId, image_id: id }).execute();
}
