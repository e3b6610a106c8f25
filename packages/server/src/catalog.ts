/**
 * What the zone offers: regions and zones, GPU types with capacity, and platform images.
 * The default suits a local fleet; `OCS_CATALOG` points to a JSON file of the same shape.
 */
import { readFileSync } from "node:fs";

export interface GpuOffer {
  zone: string;
  gpuType: string;
  machineType: string;
  /** GPUs of this type in the zone. */
  capacity: number;
  graphicsMemoryGb: number;
  cpuPlatform: string;
  /** Price of one instance-hour per GPU, for InstancePrice. */
  pricePerGpuHour: number;
}

export interface PlatformImage {
  id: string;
  name: string;
  type: "System" | "App";
  osName: string;
  sizeGb: number;
  description: string;
  tags: string[];
  cudaVersion: string;
  framework: string;
  frameworkVersion: string;
  applications: string[];
}

export interface Catalog {
  regions: Record<string, string[]>;
  gpus: GpuOffer[];
  images: PlatformImage[];
}

const zone = "cn-wlcb-01";
const gpu = (gpuType: string, capacity: number, graphicsMemoryGb: number, pricePerGpuHour: number): GpuOffer => ({
  zone,
  gpuType,
  machineType: "G",
  capacity,
  graphicsMemoryGb,
  cpuPlatform: "Intel/CascadelakeR",
  pricePerGpuHour,
});
const image = (
  id: string,
  name: string,
  type: PlatformImage["type"],
  framework = "",
  frameworkVersion = "",
  applications: string[] = [],
): PlatformImage => ({
  id,
  name,
  type,
  osName: "Ubuntu 22.04",
  sizeGb: 50,
  description: name,
  tags: type === "App" ? ["AI"] : ["OS"],
  cudaVersion: "12.4",
  framework,
  frameworkVersion,
  applications,
});

export const DEFAULT_CATALOG: Catalog = {
  regions: { "cn-wlcb": [zone] },
  gpus: [gpu("4090", 256, 24, 1.88), gpu("3090", 64, 24, 1.2), gpu("A800", 32, 80, 6.5), gpu("H20", 32, 96, 5.9)],
  images: [
    image("compshareImage-ubuntu2204", "Ubuntu 22.04 CUDA 12.4", "System"),
    image("compshareImage-pytorch24", "PyTorch 2.4 Ubuntu 22.04", "App", "PyTorch", "2.4.0", ["JupyterLab"]),
    image("compshareImage-comfyui", "ComfyUI", "App", "PyTorch", "2.3.1", ["ComfyUI", "JupyterLab"]),
  ],
};

export function loadCatalog(file: string | undefined): Catalog {
  if (!file) return DEFAULT_CATALOG;
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<Catalog>;
  const catalog: Catalog = {
    regions: parsed.regions ?? DEFAULT_CATALOG.regions,
    gpus: parsed.gpus ?? DEFAULT_CATALOG.gpus,
    images: parsed.images ?? DEFAULT_CATALOG.images,
  };
  for (const g of catalog.gpus) {
    if (!Number.isInteger(g.capacity) || g.capacity < 0) throw new Error(`catalog: capacity of ${g.gpuType} must be a non-negative integer`);
  }
  return catalog;
}
