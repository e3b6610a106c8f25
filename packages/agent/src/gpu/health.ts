/**
 * Whether a GPU may take new machines: a pure function of one nvidia-smi reading, the Xids seen
 * for the GPU since the agent started, and whether nvidia-smi should have listed it.
 *
 * Unhealthy when:
 * - a fatal Xid (FATAL_XIDS) was seen since the agent started. Sticky: nothing but an agent
 *   restart clears it, because the fix (a GPU reset, a host reset for a GPU that fell off the
 *   bus) is done by a person, who then restarts the agent;
 * - uncorrected ECC errors since the driver loaded are above 0;
 * - nvidia-smi should list the GPU (it is in the inventory and not bound to vfio-pci) and does
 *   not: it fell off the bus;
 * - its temperature is at or above the limit (default 90 °C).
 */
import type { GpuReading } from "./nvidia-smi.js";
import { describeXid, isFatalXid, type XidEvent } from "./xid.js";
import type { GpuHealthReport } from "@opencompshare/protocol";

export const DEFAULT_TEMPERATURE_LIMIT_C = 90;

/** One GPU's health: the heartbeat's report (protocol GpuHealthReport), keyed by its PCI address. */
export type GpuHealth = Omit<GpuHealthReport, "device"> & { pciAddress: string };

export interface GpuHealthInput {
  pciAddress: string;
  /** This GPU's row in the latest nvidia-smi output; null when it had none. */
  reading: GpuReading | null;
  /**
   * Whether nvidia-smi should have listed the GPU: it is in the inventory and its host driver
   * is nvidia (not vfio-pci, whose GPUs nvidia-smi never lists).
   */
  expectedInNvidiaSmi: boolean;
  /** The Xid events for this GPU since the agent started (recent ones and the sticky fatal ones). */
  xids: readonly XidEvent[];
  /** Memory size from the inventory, for when there is no reading. */
  memoryTotalMb?: number | null;
  /** Why nvidia-smi failed, when it did (named in the reason for a missing reading). */
  nvidiaSmiError?: string | null;
}

export interface HealthLimits {
  /** °C; at or above it a GPU is unhealthy. Default 90. */
  temperatureLimitC?: number;
}

export function gpuHealth(input: GpuHealthInput, limits: HealthLimits = {}): GpuHealth {
  const temperatureLimitC = limits.temperatureLimitC ?? DEFAULT_TEMPERATURE_LIMIT_C;
  const { reading } = input;
  const reasons: string[] = [];

  const fatalSeen = new Set<number>();
  for (const event of input.xids) {
    if (!isFatalXid(event.code) || fatalSeen.has(event.code)) continue;
    fatalSeen.add(event.code);
    reasons.push(`Xid ${event.code}: ${describeXid(event.code)}${event.message ? ` (driver: "${event.message}")` : ""}`);
  }

  if (reading === null) {
    if (input.expectedInNvidiaSmi) {
      const why = input.nvidiaSmiError ? `nvidia-smi failed: ${input.nvidiaSmiError}` : "nvidia-smi no longer lists it";
      reasons.push(`fallen off the bus: the GPU is in the inventory but ${why}`);
    }
  } else {
    if (reading.eccUncorrected !== null && reading.eccUncorrected > 0) {
      reasons.push(`${reading.eccUncorrected} uncorrected ECC error(s) since the driver loaded`);
    }
    if (reading.temperatureC !== null && reading.temperatureC >= temperatureLimitC) {
      reasons.push(`temperature ${reading.temperatureC} °C is at or above the limit of ${temperatureLimitC} °C`);
    }
  }

  return {
    pciAddress: input.pciAddress,
    healthy: reasons.length === 0,
    reasons,
    temperatureC: reading?.temperatureC ?? null,
    utilGpu: reading?.utilGpu ?? null,
    memoryUsedMb: reading?.memoryUsedMb ?? null,
    memoryTotalMb: reading?.memoryTotalMb ?? input.memoryTotalMb ?? null,
    eccUncorrected: reading?.eccUncorrected ?? null,
    xids: [...new Set(input.xids.map((event) => event.code))],
  };
}
