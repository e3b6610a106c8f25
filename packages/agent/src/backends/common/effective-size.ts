/**
 * What a machine starts with: its CPUs, memory and GPUs, or the smaller size of no-GPU mode
 * (`spec.withoutGpu`, CompShare's 无卡模式) with no GPU at all.
 */
import type { MachineSpec } from "@opencompshare/protocol";

export function effectiveSize(spec: MachineSpec): { cpu: number; memory: number; gpus: string[] } {
  if (spec.withoutGpu) return { cpu: spec.withoutGpu.cpu, memory: spec.withoutGpu.memory, gpus: [] };
  return { cpu: spec.cpu, memory: spec.memory, gpus: spec.gpuDevices ?? [] };
}
