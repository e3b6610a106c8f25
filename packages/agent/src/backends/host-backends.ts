/**
 * Every backend a host offers, as one Backend: a host may run virtual machines (QEMU) and
 * containers (podman) side by side. A new machine goes to the backend that has its image (a
 * system image's disk, or a container image); every later call on it goes where it lives, found
 * by asking the backends (and remembered). Images and disks go to the backend that holds them.
 */
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, RebootResult } from "@opencompshare/protocol";
import type { Backend, HostFacts, HostImage } from "./backend.js";

export class HostBackends implements Backend {
  readonly name: string;
  private readonly byMachine = new Map<string, Backend>();
  private readonly byImage = new Map<string, Backend>();

  constructor(readonly backends: readonly Backend[]) {
    if (backends.length === 0) throw new Error("a host offers at least one backend");
    this.name = backends.map((b) => b.name).join("+");
  }

  /** The backend that holds the machine, or undefined. */
  private async machineBackend(id: string, signal: AbortSignal): Promise<Backend | undefined> {
    const known = this.byMachine.get(id);
    if (known) return known;
    for (const b of this.backends) {
      if ((await b.machines(signal)).includes(id)) {
        this.byMachine.set(id, b);
        return b;
      }
    }
    return undefined;
  }

  /** Where a call on machine `id` goes: its backend, else the first (which answers as for an unknown machine). */
  private async on(id: string, signal: AbortSignal): Promise<Backend> {
    return (await this.machineBackend(id, signal)) ?? (this.backends[0] as Backend);
  }

  private async imageBackend(imageId: string, signal: AbortSignal): Promise<Backend | undefined> {
    const known = this.byImage.get(imageId);
    if (known) return known;
    for (const b of this.backends) if (await b.hasImage(imageId, signal)) return b;
    return undefined;
  }

  private async diskBackend(diskId: string, signal: AbortSignal): Promise<Backend> {
    for (const b of this.backends) if (await b.hasDisk(diskId, signal)) return b;
    return this.backends[0] as Backend;
  }

  async facts(signal: AbortSignal): Promise<HostFacts> {
    // One host: the same CPUs and memory; the accelerator is the VMs' (the first backend's that reports one).
    return (this.backends[0] as Backend).facts(signal);
  }

  async images(signal: AbortSignal): Promise<HostImage[]> {
    return (await Promise.all(this.backends.map((b) => b.images(signal)))).flat();
  }

  async machines(signal: AbortSignal): Promise<string[]> {
    return (await Promise.all(this.backends.map((b) => b.machines(signal)))).flat();
  }

  async hasImage(imageId: string, signal: AbortSignal): Promise<boolean> {
    return (await this.imageBackend(imageId, signal)) !== undefined;
  }

  async hasDisk(diskId: string, signal: AbortSignal): Promise<boolean> {
    for (const b of this.backends) if (await b.hasDisk(diskId, signal)) return true;
    return false;
  }

  async provision(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    const b = (await this.machineBackend(id, signal)) ?? (await this.imageBackend(spec.imageId, signal));
    if (!b) throw new Error(`image ${spec.imageId} is not on this host (${this.name})`);
    this.byMachine.set(id, b);
    await b.provision(id, spec, signal);
  }

  async powerOn(id: string, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).powerOn(id, signal);
  }
  async powerOff(id: string, mode: PowerMode, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).powerOff(id, mode, signal);
  }
  async reboot(id: string, mode: PowerMode, fromBootCount: number, signal: AbortSignal): Promise<RebootResult> {
    return (await this.on(id, signal)).reboot(id, mode, fromBootCount, signal);
  }
  async status(id: string, signal: AbortSignal): Promise<MachineStatus> {
    return (await this.on(id, signal)).status(id, signal);
  }
  async settle(id: string, signal: AbortSignal): Promise<MachineStatus> {
    return (await this.on(id, signal)).settle(id, signal);
  }

  async snapshot(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    const b = await this.on(id, signal);
    this.byImage.set(imageId, b);
    await b.snapshot(id, imageId, signal);
  }
  async buildImage(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    const b = await this.imageBackend(imageId, signal);
    if (!b) throw new Error(`image ${imageId} is not being built on this host`);
    await b.buildImage(imageId, signal, onProgress);
  }
  async imageProgress(imageId: string, signal: AbortSignal): Promise<ImageProgress> {
    const b = await this.imageBackend(imageId, signal);
    if (!b) throw new Error(`image ${imageId} is not being built on this host`);
    return b.imageProgress(imageId, signal);
  }
  async deleteImage(imageId: string, signal: AbortSignal): Promise<void> {
    const b = await this.imageBackend(imageId, signal);
    this.byImage.delete(imageId);
    // Never here (or already deleted): nothing to do, as deleteImage is idempotent.
    if (b) await b.deleteImage(imageId, signal);
  }

  async publishImage(imageId: string, asImageId: string, signal: AbortSignal): Promise<void> {
    const b = await this.imageBackend(imageId, signal);
    if (!b) throw new Error(`image ${imageId} is not on this host`);
    await b.publishImage(imageId, asImageId, signal);
    this.byImage.set(asImageId, b);
  }

  async reinstall(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).reinstall(id, imageId, signal);
  }
  async resize(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).resize(id, spec, signal);
  }
  async resetPassword(id: string, password: string, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).resetPassword(id, password, signal);
  }
  async destroy(id: string, signal: AbortSignal): Promise<void> {
    const b = await this.machineBackend(id, signal);
    if (b) await b.destroy(id, signal);
    this.byMachine.delete(id);
  }

  async attachDisk(id: string, disk: MachineDisk, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).attachDisk(id, disk, signal);
  }
  async detachDisk(id: string, diskId: string, signal: AbortSignal): Promise<void> {
    return (await this.on(id, signal)).detachDisk(id, diskId, signal);
  }
  async resizeDisk(diskId: string, sizeGb: number, signal: AbortSignal): Promise<void> {
    return (await this.diskBackend(diskId, signal)).resizeDisk(diskId, sizeGb, signal);
  }
  async deleteDisk(diskId: string, signal: AbortSignal): Promise<void> {
    for (const b of this.backends) if (await b.hasDisk(diskId, signal)) await b.deleteDisk(diskId, signal);
  }

  async consoleOutput(id: string, bytes: number, signal: AbortSignal): Promise<string> {
    return (await this.on(id, signal)).consoleOutput(id, bytes, signal);
  }
  async metrics(id: string, seconds: number, signal: AbortSignal): Promise<MachineMetrics> {
    return (await this.on(id, signal)).metrics(id, seconds, signal);
  }
  async access(id: string, signal: AbortSignal): Promise<MachineAccess | null> {
    return (await this.on(id, signal)).access(id, signal);
  }

  async close(): Promise<void> {
    await Promise.all(this.backends.map((b) => b.close?.()));
  }
}
