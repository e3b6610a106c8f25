/**
 * The machine sizes of a GPU type: for each GPU count, the CPU count and the memory choices.
 * A size is valid only if it is in this list, as on CompShare, where CPU and memory are not
 * free choices but follow the GPU count (DescribeAvailableCompShareInstanceTypes lists them).
 */
import type { GpuType } from "./schema.js";

export interface MachineSize {
  gpu: number;
  cpu: number;
  /** GB, ascending. */
  memoryGb: number[];
}

/** Every size of `type`: GPU counts 1..maxGpu, CPUs and memory per GPU, capped at the type's maxima. */
export function sizesOf(type: GpuType): MachineSize[] {
  const out: MachineSize[] = [];
  for (let gpu = 1; gpu <= type.maxGpu; gpu++) {
    const cpu = Math.min(type.cpuPerGpu * gpu, type.maxCpu);
    const memoryGb = [...new Set(type.memoryPerGpuGb.map((m) => Math.min(m * gpu, type.maxMemoryGb)))].sort((a, b) => a - b);
    out.push({ gpu, cpu, memoryGb });
  }
  return out;
}

/** Whether `gpu` GPUs, `cpu` CPUs and `memoryMb` MB is one of the type's sizes. Names the first parameter that is not. */
export function checkSize(type: GpuType, gpu: number, cpu: number, memoryMb: number): "GPU" | "CPU" | "Memory" | null {
  const size = sizesOf(type).find((s) => s.gpu === gpu);
  if (!size) return "GPU";
  if (size.cpu !== cpu) return "CPU";
  if (memoryMb % 1024 !== 0 || !size.memoryGb.includes(memoryMb / 1024)) return "Memory";
  return null;
}
