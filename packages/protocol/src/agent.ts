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

import { FaultShotSchema, type FaultShot } from "./faults.js";
import { MACHINE_METHODS, type MachineMethod } from "./machine.js";
import { t, type Infer, type Schema } from "./schema.js";

export const AGENT_PATH = "/agent/v1";

/*
 * Every body of the protocol is a schema: the control plane checks each request against it (a
 * body that does not match is a 400 naming the field), and the types below are derived from it.
 */

const name = () => t.string({ maxLength: 256 });
const count = () => t.int({ min: 0 });
const amount = () => t.float({ min: 0 });

export const AgentGpuSchema = t.object({
  /** PCI address, `0000:01:00.0`; emulated GPUs (no passthrough) are `emulated:N`. */
  device: name(),
  /** The CompShare GpuType (`4090`, `A800`…). */
  gpuType: name(),
  model: name(),
  memoryMb: amount(),
});
export type AgentGpu = Infer<typeof AgentGpuSchema>;

export const AgentImageSchema = t.object({
  id: name(),
  name: name(),
  osName: name(),
  sizeGb: amount(),
  /** An OCI image podman runs (a base image: ImageType App, Container "True"); absent or false: a disk QEMU boots. */
  container: t.optional(t.bool()),
});
export type AgentImage = Infer<typeof AgentImageSchema>;

export const RegistrationSchema = t.object({
  /** The host's name, as given to `ocs host add`. */
  hostId: name(),
  /** The host's own boot id: a new one means the host restarted. */
  bootId: name(),
  agentVersion: name(),
  /** `Intel/Auto`, `Amd/EPYC3`…: what MinimalCpuPlatform matches. */
  cpuPlatform: name(),
  cpus: count(),
  /** MB. */
  memory: amount(),
  accelerator: t.string({ enum: ["kvm", "tcg"] }),
  gpus: t.array(AgentGpuSchema, { max: 64 }),
  images: t.array(AgentImageSchema, { max: 10_000 }),
});
export type Registration = Infer<typeof RegistrationSchema>;

/** One GPU's health, in each heartbeat. */
export const GpuHealthReportSchema = t.object({
  /** The PCI address, as registered. */
  device: name(),
  healthy: t.bool(),
  /** Why not healthy; empty when healthy. */
  reasons: t.array(t.string({ maxLength: 4096 }), { max: 100 }),
  temperatureC: t.nullable(t.float()),
  utilGpu: t.nullable(t.float()),
  memoryUsedMb: t.nullable(t.float()),
  memoryTotalMb: t.nullable(t.float()),
  eccUncorrected: t.nullable(t.float()),
  /** The distinct Xid codes seen for this GPU since the agent started, in the order first seen. */
  xids: t.array(t.int(), { max: 1000 }),
});
export type GpuHealthReport = Infer<typeof GpuHealthReportSchema>;

export const MachineReportSchema = t.object({
  id: name(),
  power: name(),
  bootCount: count(),
  bootId: t.optional(name()),
});
export type MachineReport = Infer<typeof MachineReportSchema>;

export const HeartbeatSchema = t.object({
  hostId: name(),
  bootId: name(),
  gpus: t.array(GpuHealthReportSchema, { max: 64 }),
  machines: t.array(MachineReportSchema, { max: 10_000 }),
  /** The ids of the images the host can boot now. */
  images: t.array(name(), { max: 10_000 }),
});
export type Heartbeat = Infer<typeof HeartbeatSchema>;

export interface HostCommand {
  id: string;
  /** A method of the machine contract (machine.ts); its arguments are checked by the host against it. */
  method: MachineMethod;
  /** The instance the call acts on (or null for image and disk calls outside an operation). */
  instanceId: string | null;
  operationId: string | null;
  /** The instance epoch of the operation; 0 for reads and calls made outside an operation. */
  epoch: number;
  args: unknown[];
  /** A fault a test armed (ArmCompShareFault): the host applies it before it acts (faults.ts). */
  fault?: FaultShot;
}

/** A command as the agent receives it: the method one of the contract's, the arguments checked by the executor. */
export const HostCommandSchema = t.object({
  id: name(),
  method: t.string({ enum: MACHINE_METHODS }),
  instanceId: t.nullable(name()),
  operationId: t.nullable(name()),
  epoch: count(),
  args: t.array(t.unknown(), { max: 16 }),
  fault: t.optional(FaultShotSchema),
});

export const PollRequestSchema = t.object({
  hostId: name(),
  /** Commands the agent is running now: they are not handed out again. */
  running: t.array(name(), { max: 10_000 }),
  /** How long the server may hold the request when there is nothing to run, ms. */
  waitMs: count(),
});
export type PollRequest = Infer<typeof PollRequestSchema>;

export const PollResponseSchema = t.object({ commands: t.array(HostCommandSchema, { max: 10_000 }) });
export interface PollResponse {
  commands: HostCommand[];
}

export const CommandErrorSchema = t.object({
  /** `stale`: the epoch is older than one the host has seen. `refused`: the backend refused or failed. */
  kind: t.string({ enum: ["stale", "refused"] }),
  message: t.string({ maxLength: 65_536 }),
});
export type CommandError = Infer<typeof CommandErrorSchema>;

export type CommandReport =
  | { id: string; epoch: number; ok: true; value: unknown }
  | { id: string; epoch: number; ok: false; error: CommandError }
  /** A command still running tells how far it has come (an image being built). */
  | { id: string; epoch: number; progress: unknown };

const reportHead = { id: name(), epoch: count() };
const REPORT_SHAPES = {
  done: t.object({ ...reportHead, ok: t.bool(), value: t.unknown() }),
  failed: t.object({ ...reportHead, ok: t.bool(), error: CommandErrorSchema }),
  progress: t.object({ ...reportHead, progress: t.unknown() }),
};

/** The body of a report: the host, and one command's result, failure or progress. */
export const ReportRequestSchema = t.object({
  hostId: name(),
  report: {
    type: "CommandReport",
    optional: false,
    parse(value, path, mode, issues) {
      const v = (value ?? {}) as Record<string, unknown>;
      const shape = "progress" in v ? REPORT_SHAPES.progress : v.ok === true ? REPORT_SHAPES.done : REPORT_SHAPES.failed;
      return shape.parse(value, path, mode, issues) as CommandReport | undefined;
    },
  } satisfies Schema<CommandReport>,
});
