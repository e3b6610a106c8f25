/**
 * Placement: which host an instance runs on, and what it holds there. A reservation is a
 * compare-and-set on the host's CPU and memory counters (which also locks the host's row on
 * PostgreSQL until the transaction ends), then the assignment of whole GPUs, each given to one
 * instance at most. Capacity answers (CheckCompShareResourceCapacity) read the same free
 * resources, so "ResourceEnough: true" is followed by a Create that fits.
 */
import { ApiError } from "@opencompshare/protocol";
import { rank, type Demand, type HostCandidate } from "../domain/placement.js";
import {
  addToCounters,
  devicesOf,
  freeGpus,
  freeHosts,
  giveGpus,
  hostSeenOf,
  releaseGpusOf,
  reserveCounters,
  takeBackGpus,
  type HostKind,
} from "../store/repositories/hosts.js";
import type { Executor } from "../store/schema.js";

export type { HostKind } from "../store/repositories/hosts.js";

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

  /** Live hosts of the zone and GPU type, with what they have free now. Agents must be alive and hold the image. */
  async candidates(db: Executor, where: Where, now: number): Promise<HostCandidate[]> {
    const agent = this.opts.kind === "agent";
    return freeHosts(db, {
      zone: where.zone,
      gpuType: where.gpuType,
      kind: this.opts.kind,
      ...(agent ? { seenSince: now - this.opts.hostLeaseMs } : {}),
      ...(agent && where.imageId ? { imageId: where.imageId } : {}),
    });
  }

  /**
   * Refuses an action on an instance whose host (an agent) has been silent past its lease: the
   * command could not reach it, and the instance would sit transitional and then read unknown.
   * Nothing is changed; the caller tries again once the host reports. A simulated fleet is always there.
   */
  async assertHostReporting(db: Executor, instanceId: string, now: number): Promise<void> {
    if (this.opts.kind !== "agent") return;
    const seen = await hostSeenOf(db, instanceId);
    if (!seen || now - seen.lastSeen <= this.opts.hostLeaseMs) return;
    const silent = seen.lastSeen === 0 ? "has never reported" : `has not reported for ${Math.round((now - seen.lastSeen) / 1000)} s`;
    throw new ApiError("HostUnavailable", `the host of instance ${instanceId} ${silent} (its lease is ${Math.round(this.opts.hostLeaseMs / 1000)} s); nothing was changed; try again once it reports`);
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
    await addToCounters(tx, hostId, -r.cpu, -r.memoryMb);
    await releaseGpusOf(tx, instanceId, keep);
  }

  /** Gives back everything the instance holds (it was released). */
  async release(tx: Executor, instanceId: string, hostId: string | null, cpu: number, memoryMb: number): Promise<void> {
    if (hostId) await addToCounters(tx, hostId, -cpu, -memoryMb);
    await releaseGpusOf(tx, instanceId);
  }

  /** The GPUs given to an instance, in order. */
  async devicesOf(db: Executor, instanceId: string): Promise<string[]> {
    return devicesOf(db, instanceId);
  }

  private async reserveOn(tx: Executor, hostId: string, instanceId: string, r: Resources): Promise<string[] | null> {
    if (!(await reserveCounters(tx, hostId, r.cpu, r.memoryMb))) return null;
    if (r.gpu <= 0) return [];
    // The host's row is ours until the transaction ends: the free GPUs read now stay free.
    const devices = await freeGpus(tx, hostId, r.gpu);
    if (devices.length === r.gpu) {
      if ((await giveGpus(tx, hostId, devices, instanceId)) === r.gpu) return devices;
      await takeBackGpus(tx, hostId, devices, instanceId);
    }
    await addToCounters(tx, hostId, -r.cpu, -r.memoryMb);
    return null;
  }
}
