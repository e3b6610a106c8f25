/**
 * Placement: which host an instance runs on, and what it holds there. A reservation is a
 * compare-and-set on the host's CPU and memory counters (which also locks the host's row on
 * PostgreSQL until the transaction ends), then the assignment of whole GPUs, each given to one
 * instance at most. Capacity answers (CheckCompShareResourceCapacity) read the same free
 * resources, so "ResourceEnough: true" is followed by a Create that fits.
 */
import { sql } from "kysely";
import { rank, type Demand, type HostCandidate } from "../domain/placement.js";
import type { Executor } from "../store/schema.js";
import type { HostKind } from "./hosts.js";

export interface FleetOptions {
  /** Which hosts this control plane places on: the simulated fleet, or registered agents. */
  kind: HostKind;
  /** An agent silent for longer is Unknown: no new instance is placed on it. */
  hostLeaseMs: number;
}

export interface Where {
  zone: string;
  gpuType: string;
  /** The image the instance boots: agent hosts must hold it. */
  imageId?: string;
}

export interface Placed {
  hostId: string;
  devices: string[];
}

export interface Resources {
  gpu: number;
  cpu: number;
  memoryMb: number;
}

export class Fleet {
  constructor(readonly opts: FleetOptions) {}

  /** Live hosts of the zone and GPU type, with what they have free now. */
  async candidates(db: Executor, where: Where, now: number): Promise<HostCandidate[]> {
    let q = db
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
      .where("h.zone", "=", where.zone)
      .where("h.gpu_type", "=", where.gpuType)
      .where("h.kind", "=", this.opts.kind)
      .where("h.state", "=", "Ready");
    if (this.opts.kind === "agent") {
      q = q.where("h.last_seen", ">=", now - this.opts.hostLeaseMs);
      const imageId = where.imageId;
      if (imageId) {
        q = q.where((eb) =>
          eb.exists(eb.selectFrom("host_images as hi").select("hi.host_id").whereRef("hi.host_id", "=", "h.id").where("hi.image_id", "=", imageId)),
        );
      }
    }
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      cpuPlatform: r.cpu_platform,
      freeGpus: Number(r.free_gpus ?? 0),
      freeCpus: Number(r.free_cpus),
      freeMemoryMb: Number(r.free_memory),
    }));
  }

  /** Places `instanceId`: reserves on the best host that fits, or returns null when none does. */
  async place(tx: Executor, instanceId: string, where: Where, demand: Demand, now: number): Promise<Placed | null> {
    for (const host of rank(await this.candidates(tx, where, now), demand)) {
      const devices = await this.reserveOn(tx, host.id, instanceId, demand);
      if (devices) return { hostId: host.id, devices };
    }
    return null;
  }

  /** Reserves `r` more on the instance's own host (a resize that grows). Returns the new GPUs, or null. */
  async grow(tx: Executor, hostId: string, instanceId: string, r: Resources): Promise<string[] | null> {
    return this.reserveOn(tx, hostId, instanceId, r);
  }

  /** Gives back CPUs and memory, and every GPU of the instance but `keep` (a resize that shrinks, or one that failed). */
  async shrink(tx: Executor, hostId: string, instanceId: string, r: Omit<Resources, "gpu">, keep: readonly string[]): Promise<void> {
    await this.counters(tx, hostId, -r.cpu, -r.memoryMb);
    let q = tx.updateTable("host_gpus").set({ instance_id: null }).where("instance_id", "=", instanceId);
    if (keep.length > 0) q = q.where("device", "not in", [...keep]);
    await q.execute();
  }

  /** Gives back everything the instance holds (it was released). */
  async release(tx: Executor, instanceId: string, hostId: string | null, cpu: number, memoryMb: number): Promise<void> {
    if (hostId) await this.counters(tx, hostId, -cpu, -memoryMb);
    await tx.updateTable("host_gpus").set({ instance_id: null }).where("instance_id", "=", instanceId).execute();
  }

  /** The GPUs given to an instance, in order. */
  async devicesOf(db: Executor, instanceId: string): Promise<string[]> {
    const rows = await db.selectFrom("host_gpus").select("device").where("instance_id", "=", instanceId).orderBy("idx").execute();
    return rows.map((r) => r.device);
  }

  private async reserveOn(tx: Executor, hostId: string, instanceId: string, r: Resources): Promise<string[] | null> {
    const taken = await tx
      .updateTable("hosts")
      .set({ used_cpus: sql`used_cpus + ${r.cpu}`, used_memory_mb: sql`used_memory_mb + ${r.memoryMb}` })
      .where("id", "=", hostId)
      .where("state", "=", "Ready")
      .where(sql<boolean>`used_cpus + ${r.cpu} <= cpus`)
      .where(sql<boolean>`used_memory_mb + ${r.memoryMb} <= memory_mb`)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return null;
    if (r.gpu <= 0) return [];
    // The host's row is ours until the transaction ends: the free GPUs read now stay free.
    const free = await tx
      .selectFrom("host_gpus")
      .select("device")
      .where("host_id", "=", hostId)
      .where("instance_id", "is", null)
      .where("healthy", "=", 1)
      .orderBy("idx")
      .limit(r.gpu)
      .execute();
    const devices = free.map((f) => f.device);
    if (devices.length === r.gpu) {
      const given = await tx
        .updateTable("host_gpus")
        .set({ instance_id: instanceId })
        .where("host_id", "=", hostId)
        .where("device", "in", devices)
        .where("instance_id", "is", null)
        .executeTakeFirst();
      if (Number(given.numUpdatedRows) === r.gpu) return devices;
      await tx.updateTable("host_gpus").set({ instance_id: null }).where("host_id", "=", hostId).where("device", "in", devices).where("instance_id", "=", instanceId).execute();
    }
    await this.counters(tx, hostId, -r.cpu, -r.memoryMb);
    return null;
  }

  private async counters(tx: Executor, hostId: string, cpu: number, memoryMb: number): Promise<void> {
    if (cpu === 0 && memoryMb === 0) return;
    await tx
      .updateTable("hosts")
      .set({ used_cpus: sql`used_cpus + ${cpu}`, used_memory_mb: sql`used_memory_mb + ${memoryMb}` })
      .where("id", "=", hostId)
      .execute();
  }
}
