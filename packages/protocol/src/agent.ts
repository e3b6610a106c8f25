/**
 * The agent protocol: how a host agent (`ocs agent`) and the control plane talk. The agent
 * connects out (no inbound port, so hosts behind NAT work), authenticated by its host token:
 *
 *   POST /agent/v1/register              what the host is: CPUs, memory, GPUs, accelerator, images
 *   POST /agent/v1/heartbeat             that it lives, GPU health, what its machines are doing
 *   POST /agent/v1/commands/poll         long-poll: the driver calls to run (at least once)
 *   POST /agent/v1/commands/report       the result of one, accepted by compare-and-set on its epoch
 *
 * Every driver call that acts on a machine carries its operation's fence: the instance epoch.
 * The agent keeps, per instance and durably, the highest epoch it has seen and the result of
 * each command; it refuses a lower epoch, answers a command it has already run with its recorded
 * result, and acts on a higher one. So a stale control-plane replica, or a late long-poll
 * answer, can never make a host act twice.
 */

/** The driver methods that travel to a host. */
export const DRIVER_METHODS = [
  "provision",
  "powerOn",
  "powerOff",
  "reboot",
  "status",
  "settle",
  "snapshot",
  "buildImage",
  "imageProgress",
  "deleteImage",
  "reinstall",
  "resize",
  "resetPassword",
  "destroy",
  "attachDisk",
  "detachDisk",
  "resizeDisk",
  "deleteDisk",
  "consoleOutput",
  "metrics",
  "access",
] as const;
export type DriverMethod = (typeof DRIVER_METHODS)[number];

/** Methods that only read: they carry no fence and are never recorded. */
export const READ_METHODS: ReadonlySet<DriverMethod> = new Set(["status", "settle", "imageProgress", "consoleOutput", "metrics", "access"]);

export const AGENT_PATH = "/agent/v1";

export interface AgentGpu {
  /** PCI address, `0000:01:00.0`; emulated GPUs (no passthrough) are `emulated:N`. */
  device: string;
  /** The CompShare GpuType (`4090`, `A800`…). */
  gpuType: string;
  model: string;
  memoryMb: number;
}

export interface AgentImage {
  id: string;
  name: string;
  osName: string;
  sizeGb: number;
}

export interface Registration {
  /** The host's name, as given to `ocs host add`. */
  hostId: string;
  /** The host's own boot id: a new one means the host restarted. */
  bootId: string;
  agentVersion: string;
  /** `Intel/Auto`, `Amd/EPYC3`…: what MinimalCpuPlatform matches. */
  cpuPlatform: string;
  cpus: number;
  /** MB. */
  memory: number;
  accelerator: "kvm" | "tcg";
  gpus: AgentGpu[];
  images: AgentImage[];
}

/** One GPU's health, in each heartbeat. */
export interface GpuHealthReport {
  /** The PCI address, as registered. */
  device: string;
  healthy: boolean;
  /** Why not healthy; empty when healthy. */
  reasons: string[];
  temperatureC: number | null;
  utilGpu: number | null;
  memoryUsedMb: number | null;
  memoryTotalMb: number | null;
  eccUncorrected: number | null;
  /** The distinct Xid codes seen for this GPU since the agent started, in the order first seen. */
  xids: number[];
}

export interface MachineReport {
  id: string;
  power: string;
  bootCount: number;
  bootId?: string;
}

export interface Heartbeat {
  hostId: string;
  bootId: string;
  gpus: GpuHealthReport[];
  machines: MachineReport[];
  /** The ids of the images the host can boot now. */
  images: string[];
}

export interface HostCommand {
  id: string;
  method: DriverMethod;
  /** The instance the call acts on (or null for image and disk calls outside an operation). */
  instanceId: string | null;
  operationId: string | null;
  /** The instance epoch of the operation; 0 for reads and calls made outside an operation. */
  epoch: number;
  args: unknown[];
}

export interface PollRequest {
  hostId: string;
  /** Commands the agent is running now: they are not handed out again. */
  running: string[];
  /** How long the server may hold the request when there is nothing to run, ms. */
  waitMs: number;
}

export interface PollResponse {
  commands: HostCommand[];
}

export type CommandError = {
  /** `stale`: the epoch is older than one the host has seen. `refused`: the backend refused or failed. */
  kind: "stale" | "refused";
  message: string;
};

export type CommandReport =
  | { id: string; epoch: number; ok: true; value: unknown }
  | { id: string; epoch: number; ok: false; error: CommandError }
  /** A command still running tells how far it has come (an image being built). */
  | { id: string; epoch: number; progress: unknown };
