/**
 * The host registry of the agent driver: hosts added by an operator (each with its own token,
 * stored hashed), what an agent registers (CPUs, memory, GPUs, accelerator, images), and what
 * its heartbeats say (GPU health, what the images are). A host silent past its lease is Unknown
 * to placement (fleet/placement.ts reads `last_seen`).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Heartbeat, Registration } from "@opencompshare/protocol";
import type { Catalog } from "../../catalog/catalog.js";
import {
  addGpu,
  addHostImage,
  agentTokenHash,
  anyPlatformContainerImage,
  customContainerImageIds,
  gpusOf,
  hostImageIds,
  hostKind,
  insertHost,
  markSeen,
  placeGpu,
  recordRegistration,
  removeGpu,
  removeHostImage,
  setGpuHealth,
  setHostToken,
} from "../../store/repositories/hosts.js";
import { imageRow } from "../../store/repositories/images.js";
import { insertImageIfMissing } from "../../store/repositories/platform-images.js";
import { setMonitor } from "../../store/repositories/instances.js";
import type { Db, Executor } from "../../store/schema.js";
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
  const kind = await hostKind(db, name);
  if (kind && kind !== "agent") throw new HostError(`host ${name} is a simulated host`);
  if (kind) await setHostToken(db, name, sha256(secret), zone);
  else await insertHost(db, { id: name, kind: "agent", zone, gpuType: "", cpuPlatform: "", cpus: 0, memoryMb: 0, tokenHash: sha256(secret), accelerator: "", now: 0 });
  return `${name}.${secret}`;
}

/** The host a token belongs to, or undefined. Compared in constant time. */
export async function authenticateHost(db: Executor, token: string | undefined): Promise<string | undefined> {
  if (!token) return undefined;
  const dot = token.indexOf(".");
  if (dot <= 0) return undefined;
  const name = token.slice(0, dot);
  const hash = await agentTokenHash(db, name);
  const given = Buffer.from(sha256(token.slice(dot + 1)), "hex");
  const stored = Buffer.from(hash ?? sha256(""), "hex");
  const same = timingSafeEqual(given, stored);
  return hash && same ? name : undefined;
}

/** Writes what the agent registered. GPUs it no longer has leave unless given to an instance (then they are unhealthy). */
export async function register(db: Db, hostId: string, r: Registration, now: number): Promise<void> {
  const gpuType = r.gpus[0]?.gpuType ?? "";
  await db.transaction().execute(async (tx) => {
    await recordRegistration(tx, hostId, {
      gpuType,
      cpuPlatform: r.cpuPlatform,
      cpus: r.cpus,
      memoryMb: r.memory,
      bootId: r.bootId,
      accelerator: r.accelerator,
      facts: { agentVersion: r.agentVersion, gpus: r.gpus },
      now,
    });
    const known = await gpusOf(tx, hostId);
    const reported = new Set(r.gpus.map((g) => g.device));
    for (const [idx, g] of r.gpus.entries()) {
      if (known.some((k) => k.device === g.device)) await placeGpu(tx, hostId, { device: g.device, idx, model: g.model });
      else await addGpu(tx, hostId, { device: g.device, idx, model: g.model });
    }
    for (const k of known) {
      if (reported.has(k.device)) continue;
      if (k.instanceId) await setGpuHealth(tx, hostId, k.device, false, { reasons: ["not reported by the host"] });
      else await removeGpu(tx, hostId, k.device);
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
    await markSeen(tx, hostId, now, hb.bootId);
    for (const g of hb.gpus) await setGpuHealth(tx, hostId, g.device, g.healthy, g);
    const given = (await gpusOf(tx, hostId)).filter((g) => g.instanceId !== null);
    const byInstance = new Map<string, string[]>();
    for (const g of given) byInstance.set(g.instanceId as string, [...(byInstance.get(g.instanceId as string) ?? []), g.device]);
    const health = new Map(hb.gpus.map((g) => [g.device, g]));
    for (const [instanceId, devices] of byInstance) {
      const info = devices.map((d, i) => {
        const h = health.get(d);
        const memory = h?.memoryUsedMb != null && h.memoryTotalMb ? Math.round((h.memoryUsedMb / h.memoryTotalMb) * 1000) / 10 : 0;
        return { GPU: String(i), GpuUsageRate: String(h?.utilGpu ?? 0), MemoryUsageRate: String(memory), Device: d, Healthy: h?.healthy ?? true, Reasons: h?.reasons ?? [] };
      });
      await setMonitor(tx, instanceId, { GpuInfo: info });
    }
    await syncImages(tx, hostId, hb.images, now);
    return reconcileMachines(tx, hostId, Array.isArray(hb.machines) ? hb.machines : [], now);
  });
}

/**
 * What images the host can boot now. An image the catalog does not know becomes a platform
 * image, so that a host's own images are listed with no further step: a disk (`npm run
 * guest-image`'s) a System image, a container image (`npm run base-image`'s) a base image (App,
 * Container "True"). A host that runs containers is also offered every custom container image.
 */
async function syncImages(tx: Executor, hostId: string, ids: readonly string[], now: number, described: Registration["images"] = []): Promise<void> {
  for (const img of described) {
    await insertImageIfMissing(tx, imageRow(img.id, now, { name: img.name, description: img.name, os_name: img.osName, size: img.sizeGb, author: "CompShare", is_official: 1, ...(img.container ? { type: "App", container: 1 } : {}) }));
  }
  const have = await hostImageIds(tx, hostId);
  const want = new Set(ids);
  // A host that runs containers can run every custom container image: they are in the registry,
  // and it pulls what it lacks (the host does not list them; the registry is theirs).
  if (await anyPlatformContainerImage(tx, ids)) for (const id of await customContainerImageIds(tx)) want.add(id);
  for (const id of have) if (!want.has(id)) await removeHostImage(tx, hostId, id);
  const present = new Set(have);
  for (const id of want) if (!present.has(id)) await addHostImage(tx, hostId, id);
}
