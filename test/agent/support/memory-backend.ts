/**
 * A backend for the agent's own tests: machines in memory, each action taking a few real
 * milliseconds, a call made while the same action is in flight joining it (as the Backend
 * interface says), every call counted. It tests the agent (the fence, redelivery, the link)
 * without QEMU; the QEMU backend has its own tests in test/qemu/.
 */
import { randomUUID } from "node:crypto";
import type { Backend, BootImage, HostFacts } from "@opencompshare/agent";
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, RebootResult } from "@opencompshare/protocol";

interface Machine {
  power: "running" | "stopped";
  bootCount: number;
  bootId: string;
  spec: MachineSpec;
  disks: MachineDisk[];
  password: string;
  inFlight: Map<string, Promise<void>>;
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

export class MemoryBackend implements Backend {
  readonly name = "memory";
  readonly machinesById = new Map<string, Machine>();
  /** Calls by method, including joined ones. */
  readonly calls = new Map<string, number>();
  /** Boots that really happened, by machine. */
  readonly boots = new Map<string, string[]>();
  readonly images_: BootImage[] = [
    { id: "compshareImage-ubuntu2204", kind: "vm", name: "Ubuntu", osName: "Ubuntu 22.04", kernel: "/k", initrd: "/i", disk: "/d", cmdline: "", sshUser: "root", sizeGb: 50 },
  ];

  constructor(public actionMs = 20) {}

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  private machine(id: string): Machine {
    const m = this.machinesById.get(id);
    if (!m) throw new Error(`machine ${id} does not exist`);
    return m;
  }

  /** Runs `action` once per machine at a time: a second call joins the first. */
  private once(id: string, action: string, signal: AbortSignal, work: (m: Machine) => void): Promise<void> {
    const m = this.machine(id);
    let p = m.inFlight.get(action);
    if (!p) {
      p = wait(this.actionMs, new AbortController().signal).then(() => work(m));
      m.inFlight.set(action, p);
      void p.finally(() => m.inFlight.delete(action));
    }
    return Promise.race([p, wait(60_000, signal).then(() => undefined)]);
  }

  private boot(m: Machine, id: string): void {
    m.power = "running";
    m.bootCount++;
    m.bootId = randomUUID();
    this.boots.set(id, [...(this.boots.get(id) ?? []), m.bootId]);
  }

  async facts(): Promise<HostFacts> {
    return { cpus: 64, memory: 512 * 1024, accelerator: "tcg" };
  }
  async images(): Promise<BootImage[]> {
    return this.images_;
  }
  async hasImage(imageId: string): Promise<boolean> {
    return this.images_.some((i) => i.id === imageId);
  }
  async hasDisk(diskId: string): Promise<boolean> {
    return [...this.machinesById.values()].some((m) => m.disks.some((d) => d.id === diskId));
  }
  async machines(): Promise<string[]> {
    return [...this.machinesById.keys()];
  }
  async provision(id: string, spec: MachineSpec): Promise<void> {
    this.count("provision");
    if (!this.machinesById.has(id)) this.machinesById.set(id, { power: "stopped", bootCount: 0, bootId: "", spec, disks: [...(spec.dataDisks ?? [])], password: "", inFlight: new Map() });
  }
  async powerOn(id: string, signal: AbortSignal): Promise<void> {
    this.count("powerOn");
    if (this.machine(id).power === "running") return;
    await this.once(id, "boot", signal, (m) => this.boot(m, id));
  }
  async powerOff(id: string, _mode: PowerMode, signal: AbortSignal): Promise<void> {
    this.count("powerOff");
    if (this.machine(id).power === "stopped") return;
    await this.once(id, "off", signal, (m) => (m.power = "stopped"));
  }
  async reboot(id: string, _mode: PowerMode, fromBootCount: number, signal: AbortSignal): Promise<RebootResult> {
    this.count("reboot");
    const m = this.machine(id);
    // Compare-and-act: booted since the caller's count, nothing in flight: done already.
    if (m.power === "running" && !m.inFlight.has("reboot") && m.bootCount > fromBootCount) return { alreadyBooted: true };
    if (m.power !== "running" && !m.inFlight.has("reboot")) throw new Error(`machine ${id} is not running`);
    await this.once(id, "reboot", signal, (machine) => this.boot(machine, id));
    return { alreadyBooted: false };
  }
  async status(id: string): Promise<MachineStatus> {
    this.count("status");
    const m = this.machinesById.get(id);
    if (!m) return { power: "absent", bootCount: 0 };
    return { power: m.inFlight.has("reboot") ? "rebooting" : m.power, bootCount: m.bootCount, ...(m.bootId ? { bootId: m.bootId } : {}) };
  }
  async settle(id: string): Promise<MachineStatus> {
    const m = this.machinesById.get(id);
    if (m) await Promise.all([...m.inFlight.values()]);
    return this.status(id);
  }
  async snapshot(): Promise<void> {
    this.count("snapshot");
  }
  async buildImage(imageId: string, _signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    this.count("buildImage");
    for (const percent of [0, 50, 100]) await onProgress?.({ percent, totalMs: 100, remainingMs: 100 - percent });
    this.images_.push({ ...(this.images_[0] as BootImage), id: imageId, name: imageId });
  }
  async imageProgress(): Promise<ImageProgress> {
    return { percent: 100, totalMs: 100, remainingMs: 0 };
  }
  async deleteImage(imageId: string): Promise<void> {
    this.count("deleteImage");
    const i = this.images_.findIndex((x) => x.id === imageId);
    if (i >= 0) this.images_.splice(i, 1);
  }
  async publishImage(imageId: string, asImageId: string): Promise<void> {
    this.count("publishImage");
    const image = this.images_.find((x) => x.id === imageId);
    if (!image) throw new Error(`image ${imageId} is not on this host`);
    if (!this.images_.some((x) => x.id === asImageId)) this.images_.push({ ...image, id: asImageId, name: asImageId });
  }
  async reinstall(id: string, imageId: string): Promise<void> {
    this.count("reinstall");
    this.machine(id).spec = { ...this.machine(id).spec, imageId };
  }
  async resize(id: string, spec: MachineSpec): Promise<void> {
    this.count("resize");
    this.machine(id).spec = spec;
  }
  async resetPassword(id: string, password: string): Promise<void> {
    this.count("resetPassword");
    this.machine(id).password = password;
  }
  async destroy(id: string): Promise<void> {
    this.count("destroy");
    this.machinesById.delete(id);
  }
  async attachDisk(id: string, disk: MachineDisk): Promise<void> {
    this.count("attachDisk");
    const m = this.machine(id);
    if (!m.disks.some((d) => d.id === disk.id)) m.disks.push(disk);
  }
  async detachDisk(id: string, diskId: string): Promise<void> {
    this.count("detachDisk");
    const m = this.machine(id);
    m.disks = m.disks.filter((d) => d.id !== diskId);
  }
  async resizeDisk(): Promise<void> {
    this.count("resizeDisk");
  }
  async deleteDisk(): Promise<void> {
    this.count("deleteDisk");
  }
  async consoleOutput(id: string): Promise<string> {
    return (this.boots.get(id) ?? []).map((b) => `ocs-boot-id: ${b}`).join("\n");
  }
  async metrics(id: string): Promise<MachineMetrics> {
    const t = Math.floor(Date.now() / 1000);
    return { cpu: [{ t, v: 12.5 }], memory: [{ t, v: 40 }], gpus: (this.machinesById.get(id)?.spec.gpuDevices ?? []).map((device) => ({ device, util: [{ t, v: 77 }], memory: [{ t, v: 50 }] })) };
  }
  async access(id: string): Promise<MachineAccess | null> {
    return this.machinesById.has(id) ? { ip: "127.0.0.1", sshPort: 22022, sshUser: "root" } : null;
  }
}
