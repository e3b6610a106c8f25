/**
 * The vocabulary the control plane and a host share: what a machine is asked to be
 * (MachineSpec), what it is observed to be (MachineStatus). The methods that travel between them
 * are the machine contract (`machine.ts`).
 */
import { t, type Infer } from "./schema.js";

export type PowerState = "running" | "stopped" | "starting" | "stopping" | "rebooting" | "busy" | "absent";

export interface MachineStatus {
  power: PowerState;
  /** Incremented by every completed boot; a reboot is proven by a larger count. */
  bootCount: number;
  /** The guest's `/proc/sys/kernel/random/boot_id` of the current boot, when the driver can read it. */
  bootId?: string;
}

/** What a reboot did: the machine had booted since the boot count it was asked from (nothing was done), or it rebooted now. */
export interface RebootResult {
  /** True when the machine had booted since the caller's boot count already: the reboot was done, not asked again. */
  alreadyBooted: boolean;
}

/** A data disk as the machine sees it: attached as virtio-blk, in attachment order. */
export const MachineDiskSchema = t.object({
  id: t.string({ maxLength: 128 }),
  sizeGb: t.int({ min: 0 }),
});
export type MachineDisk = Infer<typeof MachineDiskSchema>;

/** What a machine is asked to be. */
export const MachineSpecSchema = t.object({
  cpu: t.int({ min: 0 }),
  /** MB. */
  memory: t.int({ min: 0 }),
  gpu: t.int({ min: 0 }),
  gpuType: t.string({ maxLength: 64 }),
  imageId: t.string({ maxLength: 128 }),
  /** Boot disk size, GB. */
  diskGb: t.int({ min: 0 }),
  /**
   * The host's GPUs given to this machine, chosen by placement: PCI addresses (`0000:01:00.0`), or
   * `emulated:N` on a host offering emulated GPUs. Each backend passes what it can of them.
   */
  gpuDevices: t.optional(t.array(t.string({ maxLength: 64 }), { max: 64 })),
  /** Data disks attached to the machine. */
  dataDisks: t.optional(t.array(MachineDiskSchema, { max: 64 })),
  /** Start without GPUs, with the no-GPU CPU and memory (CompShare's 无卡模式). */
  withoutGpu: t.optional(t.object({ cpu: t.int({ min: 0 }), memory: t.int({ min: 0 }) })),
  /**
   * The machine's own TCP ports that its host publishes, besides SSH: the software its image
   * serves (JupyterLab's 8888…) and the instance's HttpPorts and TcpPorts. A container's host
   * publishes each on a port of its own (MachineAccess.ports); a virtual machine is reached at
   * its own address.
   */
  ports: t.optional(t.array(t.int({ min: 1, max: 65535 }), { max: 128 })),
});
export type MachineSpec = Infer<typeof MachineSpecSchema>;

export const POWER_MODES = ["soft", "hard"] as const;
export type PowerMode = (typeof POWER_MODES)[number];

export interface ImageProgress {
  /** 0 to 100. */
  percent: number;
  totalMs: number;
  remainingMs: number;
}

/** One point of a metric series: Unix seconds and a value. */
export interface MetricPoint {
  t: number;
  v: number;
}

/** What a machine's monitoring reports: usage as percentages (GPU series per PCI address), traffic in bytes or bits per second. */
export interface MachineMetrics {
  cpu: MetricPoint[];
  memory: MetricPoint[];
  gpus: Array<{ device: string; util: MetricPoint[]; memory: MetricPoint[] }>;
  /** Percent of the system disk in use, when the driver can tell. */
  systemDisk?: MetricPoint[];
  /** Network in and out, bits per second; disk read and write, bytes per second. */
  netIn?: MetricPoint[];
  netOut?: MetricPoint[];
  diskRead?: MetricPoint[];
  diskWrite?: MetricPoint[];
}

/** How to reach a machine's SSH server, as the host sees it. */
export interface MachineAccess {
  ip: string;
  sshPort: number;
  sshUser: string;
  /** The address the machine is reached at from outside, when its host gives it one (the simulated fleet does). */
  publicIp?: string;
  /** Where the spec's ports are published: the machine's port, and the host's at `ip` (absent: the same port). */
  ports?: PublishedPort[];
}

export interface PublishedPort {
  port: number;
  hostPort: number;
}
