/**
 * The hosts, their GPUs and the images each can boot (`hosts`, `host_gpus`, `host_images`): the
 * one place these tables are read and written. Rows leave as records (numbers, booleans); the
 * fleet (placement, the simulated fleet's sync) and the agent driver (registration, heartbeats)
 * say what to do, and this says how it is stored.
 */
import { sql } from "kysely";
import type { Executor } from "../schema.js";

export type HostKind = "simulated" | "agent";

/** A new host's row: what it is, its size, and (agents) its token's hash. */
export interface NewHost {
  id: string;
  kind: HostKind;
  zone: string;
  gpuType: string;
  cpuPlatform: string;
  cpus: number;
  memoryMb: number;
  tokenHash: string | null;
  accelerator: string;
  now: number;
}

export interface HostGpu {
  device: string;
  idx: number;
  model: string;
  healthy: boolean;
  instanceId: string | null;
}

/** A host placement may choose, with what it has free now. */
export interface FreeHost {
  id: string;
  cpuPlatform: string;
  freeGpus: number;
  freeCpus: number;
  freeMemoryMb: number;
}

/** What placement looks for: the zone, the GPU type, the kind of host; for agents, alive since `seenSince` and holding `imageId`. */
export interface HostQuery {
  zone: string;
  gpuType: string;
  kind: HostKind;
  seenSince?: number;
  imageId?: string;
}

/** Rows a multi-row insert carries at most: well under SQLite's and PostgreSQL's bound on bound values. */
const ROWS_PER_INSERT = 500;

const hostRow = (h: NewHost) => ({
  id: h.id,
  kind: h.kind,
  zone: h.zone,
  gpu_type: h.gpuType,
  cpu_platform: h.cpuPlatform,
  cpus: h.cpus,
  memory_mb: h.memoryMb,
  used_cpus: 0,
  used_memory_mb: 0,
  state: "Ready",
  token_hash: h.tokenHash,
  boot_id: "",
  accelerator: h.accelerator,
  facts: "{}",
  registered_at: h.kind === "agent" ? 0 : h.now,
  last_seen: h.kind === "agent" ? 0 : h.now,
});

export async function insertHost(db: Executor, h: NewHost): Promise<void> {
  await insertHosts(db, [h]);
}

/** Many new hosts, in a few statements (a fleet's sync writes hundreds). */
export async function insertHosts(db: Executor, hosts: NewHost[]): Promise<void> {
  for (let i = 0; i < hosts.length; i += ROWS_PER_INSERT) {
    await db.insertInto("hosts").values(hosts.slice(i, i + ROWS_PER_INSERT).map(hostRow)).execute();
  }
}

/** The kind of host `id`, or undefined when there is none. */
export async function hostKind(db: Executor, id: string): Promise<HostKind | undefined> {
  return (await db.selectFrom("hosts").select("kind").where("id", "=", id).executeTakeFirst())?.kind;
}

/** A host's CPU platform (`Amd/Auto`…), which an instance placed on it reports. */
export async function hostPlatform(db: Executor, id: string): Promise<string> {
  return (await db.selectFrom("hosts").select("cpu_platform").where("id", "=", id).executeTakeFirstOrThrow()).cpu_platform;
}

/** The agent hosts, with when each last reported (0: never). */
export async function agentHosts(db: Executor): Promise<Array<{ id: string; lastSeen: number; state: string }>> {
  const rows = await db.selectFrom("hosts").select(["id", "last_seen", "state"]).where("kind", "=", "agent").execute();
  return rows.map((r) => ({ id: r.id, lastSeen: Number(r.last_seen), state: r.state }));
}

/** When the host of an instance last reported, and which host (undefined: not placed, or no such instance). */
export async function hostSeenOf(db: Executor, instanceId: string): Promise<{ hostId: string; lastSeen: number } | undefined> {
  const row = await db
    .selectFrom("instances")
    .innerJoin("hosts", "hosts.id", "instances.host_id")
    .select(["hosts.id as hostId", "hosts.last_seen as lastSeen"])
    .where("instances.id", "=", instanceId)
    .executeTakeFirst();
  return row ? { hostId: row.hostId, lastSeen: Number(row.lastSeen) } : undefined;
}

/** The ids of the hosts of one kind. */
/** A host's size and state, as a fleet's sync compares them with what it wants. */
export interface HostSize {
  id: string;
  cpus: number;
  memoryMb: number;
  cpuPlatform: string;
  state: string;
}

/** Every host of `kind`, with its size and state. */
export async function hostSizes(db: Executor, kind: HostKind): Promise<HostSize[]> {
  const rows = await db.selectFrom("hosts").select(["id", "cpus", "memory_mb", "cpu_platform", "state"]).where("kind", "=", kind).execute();
  return rows.map((r) => ({ id: r.id, cpus: r.cpus, memoryMb: r.memory_mb, cpuPlatform: r.cpu_platform, state: r.state }));
}

export async function setHostToken(db: Executor, id: string, tokenHash: string, zone: string): Promise<void> {
  await db.updateTable("hosts").set({ token_hash: tokenHash, zone }).where("id", "=", id).execute();
}

/** The token hash of agent host `id` (null: it has none; undefined: no such agent). */
export async function agentTokenHash(db: Executor, id: string): Promise<string | null | undefined> {
  return (await db.selectFrom("hosts").select("token_hash").where("id", "=", id).where("kind", "=", "agent").executeTakeFirst())?.token_hash;
}

/** A simulated host's size, as the catalog has it now: Ready again if it was draining. */
export async function resizeHost(db: Executor, id: string, size: { cpus: number; memoryMb: number; cpuPlatform: string }): Promise<void> {
  await db.updateTable("hosts").set({ cpus: size.cpus, memory_mb: size.memoryMb, cpu_platform: size.cpuPlatform, state: "Ready" }).where("id", "=", id).execute();
}

export async function setHostState(db: Executor, id: string, state: "Ready" | "Draining"): Promise<void> {
  await db.updateTable("hosts").set({ state }).where("id", "=", id).execute();
}

/** Removes a host and its GPUs. */
export async function deleteHost(db: Executor, id: string): Promise<void> {
  await db.deleteFrom("host_gpus").where("host_id", "=", id).execute();
  await db.deleteFrom("hosts").where("id", "=", id).execute();
}

/** What an agent registered: its size, platform, accelerator, boot and facts. */
export async function recordRegistration(
  db: Executor,
  id: string,
  r: { gpuType: string; cpuPlatform: string; cpus: number; memoryMb: number; bootId: string; accelerator: string; facts: object; now: number },
): Promise<void> {
  await db
    .updateTable("hosts")
    .set({
      gpu_type: r.gpuType,
      cpu_platform: r.cpuPlatform,
      cpus: r.cpus,
      memory_mb: r.memoryMb,
      boot_id: r.bootId,
      accelerator: r.accelerator,
      facts: JSON.stringify(r.facts),
      registered_at: r.now,
      last_seen: r.now,
    })
    .where("id", "=", id)
    .execute();
}

/** The host lives (a heartbeat, a poll): `last_seen`, and its boot id when it told one. */
export async function markSeen(db: Executor, id: string, now: number, bootId?: string): Promise<void> {
  await db
    .updateTable("hosts")
    .set(bootId === undefined ? { last_seen: now } : { last_seen: now, boot_id: bootId })
    .where("id", "=", id)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// GPUs.

const toGpu = (r: { device: string; idx: number; model: string; healthy: number; instance_id: string | null }): HostGpu => ({
  device: r.device,
  idx: Number(r.idx),
  model: r.model,
  healthy: Number(r.healthy) === 1,
  instanceId: r.instance_id,
});

/** A host's GPUs, in slot order. */
export async function gpusOf(db: Executor, hostId: string): Promise<HostGpu[]> {
  const rows = await db.selectFrom("host_gpus").select(["device", "idx", "model", "healthy", "instance_id"]).where("host_id", "=", hostId).orderBy("idx").execute();
  return rows.map(toGpu);
}

/** A GPU of a host, where it sits and what it is. */
export interface PlacedGpu {
  hostId: string;
  device: string;
  idx: number;
  model: string;
}

/** Adds a healthy, free GPU. */
export async function addGpu(db: Executor, hostId: string, gpu: { device: string; idx: number; model: string }): Promise<void> {
  await addGpus(db, [{ hostId, ...gpu }]);
}

/** Adds healthy, free GPUs, in a few statements. */
export async function addGpus(db: Executor, gpus: PlacedGpu[]): Promise<void> {
  for (let i = 0; i < gpus.length; i += ROWS_PER_INSERT) {
    const rows = gpus.slice(i, i + ROWS_PER_INSERT).map((g) => ({ host_id: g.hostId, device: g.device, idx: g.idx, model: g.model, healthy: 1, health: "{}", instance_id: null }));
    await db.insertInto("host_gpus").values(rows).execute();
  }
}

/** The GPUs of every host of `kind`, and the instance each is given to. */
export async function gpusOfKind(db: Executor, kind: HostKind): Promise<Array<PlacedGpu & { instanceId: string | null }>> {
  const rows = await db
    .selectFrom("host_gpus as g")
    .innerJoin("hosts as h", "h.id", "g.host_id")
    .select(["g.host_id", "g.device", "g.idx", "g.model", "g.instance_id"])
    .where("h.kind", "=", kind)
    .execute();
  return rows.map((r) => ({ hostId: r.host_id, device: r.device, idx: r.idx, model: r.model, instanceId: r.instance_id }));
}

/** A GPU's slot and model, as the host reports them now. */
export async function placeGpu(db: Executor, hostId: string, gpu: { device: string; idx: number; model: string }): Promise<void> {
  await db.updateTable("host_gpus").set({ idx: gpu.idx, model: gpu.model }).where("host_id", "=", hostId).where("device", "=", gpu.device).execute();
}

/** A GPU's health: whether placement may give it, and the reading it comes from (kept as JSON). */
export async function setGpuHealth(db: Executor, hostId: string, device: string, healthy: boolean, reading: object): Promise<void> {
  await db
    .updateTable("host_gpus")
    .set({ healthy: healthy ? 1 : 0, health: JSON.stringify(reading) })
    .where("host_id", "=", hostId)
    .where("device", "=", device)
    .execute();
}

export async function removeGpu(db: Executor, hostId: string, device: string): Promise<void> {
  await db.deleteFrom("host_gpus").where("host_id", "=", hostId).where("device", "=", device).execute();
}

/** Removes the free GPUs from slot `fromIdx` on (a host that has fewer now); given ones stay. */
export async function removeFreeGpusFrom(db: Executor, hostId: string, fromIdx: number): Promise<void> {
  await db.deleteFrom("host_gpus").where("host_id", "=", hostId).where("idx", ">=", fromIdx).where("instance_id", "is", null).execute();
}

/** The GPUs given to an instance, in order. */
export async function devicesOf(db: Executor, instanceId: string): Promise<string[]> {
  const rows = await db.selectFrom("host_gpus").select("device").where("instance_id", "=", instanceId).orderBy("idx").execute();
  return rows.map((r) => r.device);
}

// ---------------------------------------------------------------------------------------------
// Placement: free resources, reservations by compare-and-set.

/** Live hosts matching `q`, with what they have free now. */
export async function freeHosts(db: Executor, q: HostQuery): Promise<FreeHost[]> {
  let query = db
    .selectFrom("hosts as h")
    .select((eb) => [
      "h.id",
      "h.cpu_platform",
      sql<number>`h.cpus - h.used_cpus`.as("free_cpus"),
      sql<number>`h.memory_mb - h.used_memory_mb`.as("free_memory"),
      eb
        .selectFrom("host_gpus as g")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("g.host_id", "=", "h.id")
        .where("g.instance_id", "is", null)
        .where("g.healthy", "=", 1)
        .as("free_gpus"),
    ])
    .where("h.zone", "=", q.zone)
    .where("h.gpu_type", "=", q.gpuType)
    .where("h.kind", "=", q.kind)
    .where("h.state", "=", "Ready");
  if (q.seenSince !== undefined) query = query.where("h.last_seen", ">=", q.seenSince);
  const imageId = q.imageId;
  if (imageId) {
    query = query.where((eb) => eb.exists(eb.selectFrom("host_images as hi").select("hi.host_id").whereRef("hi.host_id", "=", "h.id").where("hi.image_id", "=", imageId)));
  }
  const rows = await query.execute();
  return rows.map((r) => ({ id: r.id, cpuPlatform: r.cpu_platform, freeGpus: Number(r.free_gpus ?? 0), freeCpus: Number(r.free_cpus), freeMemoryMb: Number(r.free_memory) }));
}

/**
 * Takes `cpu` and `memoryMb` of a Ready host if they fit: a compare-and-set on its counters,
 * which also locks its row on PostgreSQL until the transaction ends. Returns whether it did.
 */
export async function reserveCounters(tx: Executor, hostId: string, cpu: number, memoryMb: number): Promise<boolean> {
  const taken = await tx
    .updateTable("hosts")
    .set({ used_cpus: sql`used_cpus + ${cpu}`, used_memory_mb: sql`used_memory_mb + ${memoryMb}` })
    .where("id", "=", hostId)
    .where("state", "=", "Ready")
    .where(sql<boolean>`used_cpus + ${cpu} <= cpus`)
    .where(sql<boolean>`used_memory_mb + ${memoryMb} <= memory_mb`)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

/** Adds to a host's used counters (negative: gives back). */
export async function addToCounters(tx: Executor, hostId: string, cpu: number, memoryMb: number): Promise<void> {
  if (cpu === 0 && memoryMb === 0) return;
  await tx
    .updateTable("hosts")
    .set({ used_cpus: sql`used_cpus + ${cpu}`, used_memory_mb: sql`used_memory_mb + ${memoryMb}` })
    .where("id", "=", hostId)
    .execute();
}

/** Up to `n` free, healthy GPUs of a host, in slot order. */
export async function freeGpus(tx: Executor, hostId: string, n: number): Promise<string[]> {
  const rows = await tx
    .selectFrom("host_gpus")
    .select("device")
    .where("host_id", "=", hostId)
    .where("instance_id", "is", null)
    .where("healthy", "=", 1)
    .orderBy("idx")
    .limit(n)
    .execute();
  return rows.map((r) => r.device);
}

/** Gives each of `devices` to the instance if it is still free; returns how many it gave. */
export async function giveGpus(tx: Executor, hostId: string, devices: readonly string[], instanceId: string): Promise<number> {
  const given = await tx
    .updateTable("host_gpus")
    .set({ instance_id: instanceId })
    .where("host_id", "=", hostId)
    .where("device", "in", [...devices])
    .where("instance_id", "is", null)
    .executeTakeFirst();
  return Number(given.numUpdatedRows);
}

/** Takes back those of `devices` given to the instance (a reservation that fell short). */
export async function takeBackGpus(tx: Executor, hostId: string, devices: readonly string[], instanceId: string): Promise<void> {
  await tx.updateTable("host_gpus").set({ instance_id: null }).where("host_id", "=", hostId).where("device", "in", [...devices]).where("instance_id", "=", instanceId).execute();
}

/** Frees every GPU of the instance but those in `keep`. */
export async function releaseGpusOf(tx: Executor, instanceId: string, keep: readonly string[] = []): Promise<void> {
  let q = tx.updateTable("host_gpus").set({ instance_id: null }).where("instance_id", "=", instanceId);
  if (keep.length > 0) q = q.where("device", "not in", [...keep]);
  await q.execute();
}

// ---------------------------------------------------------------------------------------------
// The images a host can boot.

export async function hostImageIds(db: Executor, hostId: string): Promise<string[]> {
  return (await db.selectFrom("host_images").select("image_id").where("host_id", "=", hostId).execute()).map((r) => r.image_id);
}

/** Host `hostId` can boot `imageId` (nothing changes when it could already). */
export async function addHostImage(db: Executor, hostId: string, imageId: string): Promise<void> {
  await db.insertInto("host_images").values({ host_id: hostId, image_id: imageId }).onConflict((oc) => oc.doNothing()).execute();
}

/** No host can boot `imageId` any more (it was deleted). */
export async function removeImageFromHosts(db: Executor, imageId: string): Promise<void> {
  await db.deleteFrom("host_images").where("image_id", "=", imageId).execute();
}

export async function removeHostImage(db: Executor, hostId: string, imageId: string): Promise<void> {
  await db.deleteFrom("host_images").where("host_id", "=", hostId).where("image_id", "=", imageId).execute();
}

/**
 * The custom container images a host that runs containers can run: each is in the registry, and
 * such a host pulls what it lacks. Those Available now, of any account.
 */
export async function customContainerImageIds(db: Executor): Promise<string[]> {
  return (await db.selectFrom("images").select("id").where("account_id", "is not", null).where("container", "=", 1).where("status", "=", "Available").execute()).map((r) => r.id);
}

/** Whether any of `imageIds` is a platform container image (a host that lists one runs containers). */
export async function anyPlatformContainerImage(db: Executor, imageIds: readonly string[]): Promise<boolean> {
  if (imageIds.length === 0) return false;
  const row = await db.selectFrom("images").select("id").where("id", "in", [...imageIds]).where("container", "=", 1).where("account_id", "is", null).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Every host that runs containers can run `imageId`, a custom container image just made (it is in the registry). */
export async function offerToContainerHosts(db: Executor, imageId: string): Promise<void> {
  await db
    .insertInto("host_images")
    .columns(["host_id", "image_id"])
    .expression((eb) =>
      eb
        .selectFrom("host_images as hi")
        .innerJoin("images as i", "i.id", "hi.image_id")
        .where("i.container", "=", 1)
        .where("i.account_id", "is", null)
        .select((e) => ["hi.host_id", e.val(imageId).as("image_id")])
        .distinct(),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
