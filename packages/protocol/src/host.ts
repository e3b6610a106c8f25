/**
 * The vocabulary the control plane and a host share: what a machine is asked to be
 * (MachineSpec), what it is observed to be (MachineStatus), and the driver methods that travel
 * between them. The server's Driver interface, the host agent's link and its backends all speak
 * these types, so the two ends cannot drift apart.
 */

export type PowerState = "running" | "stopped" | "starting" | "stopping" | "rebooting" | "busy" | "absent";

export interface MachineStatus {
  power: PowerState;
  /** Incremented by every completed boot; a reboot is proven by a larger count. */
  bootCount: number;
  /** The guest's `/proc/sys/kernel/random/boot_id` of the current boot, when the driver can read it. */
  bootId?: string;
}

/** A data disk as the machine sees it: attached as virtio-blk, in attachment order. */
export interface MachineDisk {
  id: string;
  sizeGb: number;
}

export interface MachineSpec {
  cpu: number;
  /** MB. */
  memory: number;
  gpu: number;
  gpuType: string;
  imageId: string;
  /** Boot disk size, GB. */
  diskGb: number;
  /** The host's GPUs given to this machine (PCI addresses, `0000:01:00.0`), chosen by placement. */
  gpuDevices?: string[];
  /** Data disks attached to the machine. */
  dataDisks?: MachineDisk[];
  /** Start without GPUs, with the no-GPU CPU and memory (CompShare's 无卡模式). */
  withoutGpu?: { cpu: number; memory: number };
}

export type PowerMode = "soft" | "hard";

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
}
