/**
 * Machine sizes: on CompShare the CPUs and memory follow the GPU count. When a create or resize
 * leaves them out, the CLI asks the server for the type's sizes and takes the first memory choice.
 */
import type { CompShareClient } from "@opencompshare/sdk";
import { UsageError } from "./io.js";

export interface Size {
  cpu: number;
  /** MB. */
  memory: number;
}

/** The size of `gpus` GPUs of `gpuType`: CPUs and the smallest memory choice, from DescribeAvailableCompShareInstanceTypes. */
export async function sizeOf(client: CompShareClient, gpuType: string, gpus: number, signal?: AbortSignal): Promise<Size> {
  const res = await client.request("DescribeAvailableCompShareInstanceTypes", { MachineTypes: [gpuType] }, signal ? { signal } : {});
  const type = res.data.AvailableInstanceTypes.find((t) => t.Name === gpuType);
  if (!type) throw new UsageError(`GPU type ${gpuType} is not sold in this zone (ocs catalog types lists them)`);
  const size = type.MachineSizes.find((s) => s.Gpu === gpus);
  const choice = size?.Collection[0];
  const memoryGb = choice?.Memory[0];
  if (!choice || memoryGb === undefined) {
    throw new UsageError(`${gpuType} comes with ${type.MachineSizes.map((s) => s.Gpu).join(", ")} GPUs, not ${gpus}`);
  }
  return { cpu: choice.Cpu, memory: memoryGb * 1024 };
}
