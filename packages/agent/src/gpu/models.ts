/**
 * NVIDIA GPU models this agent knows: PCI device id → the name nvidia-smi prints (for GPUs bound
 * to vfio-pci, which nvidia-smi cannot see), and name → CompShare GpuType.
 */

/** PCI device ids (vendor 0x10de) → the name nvidia-smi prints for that model. */
export const NVIDIA_DEVICE_NAMES: ReadonlyMap<string, string> = new Map([
  ["0x2684", "NVIDIA GeForce RTX 4090"],
  ["0x2685", "NVIDIA GeForce RTX 4090 D"],
  ["0x2b85", "NVIDIA GeForce RTX 5090"],
  ["0x2204", "NVIDIA GeForce RTX 3090"],
  ["0x2208", "NVIDIA GeForce RTX 3080 Ti"],
  ["0x1e04", "NVIDIA GeForce RTX 2080 Ti"],
  ["0x1e07", "NVIDIA GeForce RTX 2080 Ti"],
  ["0x1e82", "NVIDIA GeForce RTX 2080"],
  ["0x1e87", "NVIDIA GeForce RTX 2080"],
  ["0x20b2", "NVIDIA A100-SXM4-80GB"],
  ["0x20b5", "NVIDIA A100 80GB PCIe"],
  ["0x20bd", "NVIDIA A800-SXM4-40GB"],
  ["0x20f3", "NVIDIA A800-SXM4-80GB"],
  ["0x20f5", "NVIDIA A800 80GB PCIe"],
  ["0x2329", "NVIDIA H20"],
  ["0x1b38", "Tesla P40"],
  ["0x1df6", "Tesla V100S-PCIE-32GB"],
]);

/** The model's name for a PCI device id (`0x2684`, any case), else `NVIDIA device 0x….`. */
export function nvidiaDeviceName(deviceId: string): string {
  const id = deviceId.trim().toLowerCase();
  const normalized = id.startsWith("0x") ? id : `0x${id}`;
  return NVIDIA_DEVICE_NAMES.get(normalized) ?? `NVIDIA device ${normalized}`;
}

/**
 * Above this much memory (MiB) an RTX 4090 is the 48 GB kind (49140 MiB; the stock card has
 * 24564 MiB).
 */
export const RTX_4090_48G_MIN_MB = 32 * 1024;

/** What decides a GpuType: the model name, and the memory size when known. */
export interface GpuModel {
  name: string;
  memoryTotalMb: number | null;
}

/** Name patterns → CompShare GpuType, first match wins. */
const GPU_TYPES: ReadonlyArray<readonly [RegExp, string | ((model: GpuModel) => string)]> = [
  [/\bRTX 5090\b/i, "5090"],
  [/\bRTX 4090(?! D\b)\b/i, (m) => (m.memoryTotalMb !== null && m.memoryTotalMb >= RTX_4090_48G_MIN_MB ? "4090_48G" : "4090")],
  [/\bRTX 3090(?! Ti\b)\b/i, "3090"],
  [/\bRTX 3080 Ti\b/i, "3080Ti"],
  [/\bRTX 2080 Ti\b/i, "2080Ti"],
  [/\bRTX 2080(?! (?:Ti|SUPER)\b)\b/i, "2080"],
  [/\bA100\b/i, "A100"],
  [/\bA800\b/i, "A800"],
  [/\bH20\b/i, "H20"],
  [/\bP40\b/i, "P40"],
  [/\bV100S\b/i, "V100S"],
];

/**
 * The CompShare GpuType of a model: "4090", "4090_48G", "5090", "3090", "3080Ti", "2080Ti",
 * "2080", "A100", "A800", "H20", "P40", "V100S"; null for any other model (an RTX 4090 D, a
 * 3090 Ti, a 2080 SUPER are other cards, not sold under these names).
 *
 * A 4090 of unknown memory (bound to vfio-pci at boot, never seen by nvidia-smi) is "4090": a
 * 48 GB card keeps the 4090's device id, so on such a host the type must be configured.
 */
export function gpuTypeOf(model: GpuModel): string | null {
  for (const [pattern, type] of GPU_TYPES) {
    if (pattern.test(model.name)) return typeof type === "string" ? type : type(model);
  }
  return null;
}
