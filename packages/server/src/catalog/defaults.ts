/**
 * The default catalog: CompShare's published GPU types per zone (its GPU guide and the limits of
 * CreateCompShareInstance), its published list prices (the billing guide), and a simulated fleet
 * big enough to try things. A platform team replaces any part of it with `OCS_CATALOG`.
 */
import type { CatalogFile, CpuPlatforms, GpuType } from "./schema.js";

const INTEL: CpuPlatforms = { Intel: ["Intel/IceLake", "Intel/CascadelakeR"] };
const AMD: CpuPlatforms = { Amd: ["Amd/EPYC3", "Amd/EPYC2"] };
const BOTH: CpuPlatforms = { ...INTEL, ...AMD };
const CLOUD = ["CLOUD_SSD", "CLOUD_NORMAL"];

/** The GPU types of the GPU guide, with the maxima of CreateCompShareInstance's GPU table. */
const gpuTypes: GpuType[] = [
  gpu("5090", "NVIDIA GeForce RTX 5090", "RTX50系", 32, 8, 124, 940, 15, [64, 110], BOTH, true, true, 105),
  gpu("4090_48G", "NVIDIA GeForce RTX 4090 48G", "RTX40系", 48, 8, 124, 940, 15, [64, 110], INTEL, false, true, 83),
  gpu("4090", "NVIDIA GeForce RTX 4090", "RTX40系", 24, 10, 140, 680, 16, [64, 96], BOTH, true, true, 83),
  gpu("3080Ti", "NVIDIA GeForce RTX 3080 Ti", "RTX30系", 12, 8, 12, 125, 1, [15], INTEL, true, false, 34),
  gpu("3090", "NVIDIA GeForce RTX 3090", "RTX30系", 24, 8, 124, 450, 15, [48, 56], AMD, true, true, 36),
  gpu("A100", "NVIDIA A100 80GB", "Ampere", 80, 8, 124, 1024, 15, [120, 128], INTEL, true, false, 312),
  gpu("A800", "NVIDIA A800 80GB", "Ampere", 80, 8, 124, 1800, 15, [120, 225], INTEL, false, true, 312, ["CLOUD_SSD", "CLOUD_RSSD", "CLOUD_NORMAL"]),
  gpu("H20", "NVIDIA H20 96GB", "Hopper", 96, 8, 188, 1800, 23, [200, 225], INTEL, false, true, 148),
  gpu("P40", "NVIDIA Tesla P40", "Pascal", 24, 8, 48, 502, 6, [60], INTEL, false, false, 12),
  gpu("2080", "NVIDIA GeForce RTX 2080", "RTX20系", 8, 8, 92, 334, 11, [40], INTEL, false, false, 20),
  gpu("2080Ti", "NVIDIA GeForce RTX 2080 Ti", "RTX20系", 11, 8, 48, 192, 6, [24], INTEL, true, false, 27),
];

function gpu(
  name: string,
  description: string,
  family: string,
  graphicsMemoryGb: number,
  maxGpu: number,
  maxCpu: number,
  maxMemoryGb: number,
  cpuPerGpu: number,
  memoryPerGpuGb: number[],
  cpuPlatforms: CpuPlatforms,
  spot: boolean,
  withoutGpu: boolean,
  performance: number,
  diskTypes: string[] = CLOUD,
): GpuType {
  return { name, description, family, graphicsMemoryGb, maxGpu, maxCpu, maxMemoryGb, cpuPerGpu, memoryPerGpuGb, cpuPlatforms, spot, withoutGpu, performance, diskTypes };
}

/** 华北二A sells every type of the guide but 2080Ti; 上海二B sells 5090, 4090 and 2080Ti. */
const WLCB = ["5090", "4090_48G", "4090", "3080Ti", "3090", "A100", "A800", "H20", "P40", "2080"];
const SH2 = ["5090", "4090", "2080Ti"];

const platformOf = (type: GpuType): string => type.cpuPlatforms.Amd?.[0] ?? type.cpuPlatforms.Intel?.[0] ?? "Intel/Auto";

function fleet(zone: string, names: string[], hostsPerType: number) {
  return names.map((n) => {
    const type = gpuTypes.find((g) => g.name === n) as GpuType;
    const gpus = type.maxGpu;
    return {
      zone,
      gpuType: n,
      hosts: hostsPerType,
      gpusPerHost: gpus,
      cpusPerHost: type.maxCpu + 8,
      memoryGbPerHost: type.maxMemoryGb + 64,
      cpuPlatform: platformOf(type),
    };
  });
}

const image = (id: string, name: string, type: "System" | "App", framework = "", frameworkVersion = "", applications: string[] = []) => ({
  id,
  name,
  type,
  osName: "Ubuntu 22.04",
  sizeGb: 50,
  description: name,
  author: "CompShare",
  tags: type === "App" ? ["AI", ...(framework ? [framework] : [])] : ["OS"],
  cudaVersion: "12.4",
  framework,
  frameworkVersion,
  applications,
  gpuTypes: [],
});

export const DEFAULT_CATALOG: Required<CatalogFile> = {
  regions: [
    { region: "cn-wlcb", zones: [{ zone: "cn-wlcb-01", describe: "华北二A" }] },
    { region: "cn-sh2", zones: [{ zone: "cn-sh2-02", describe: "上海二B" }] },
  ],
  gpuTypes,
  offers: [
    { zone: "cn-wlcb-01", gpuTypes: WLCB },
    { zone: "cn-sh2-02", gpuTypes: SH2 },
  ],
  fleet: [...fleet("cn-wlcb-01", WLCB, 16), ...fleet("cn-sh2-02", SH2, 8)],
  // The billing guide's list prices of a single-GPU instance: per hour, per day, per month.
  prices: {
    gpu: {
      "4090": { Postpay: 1.66, Day: 36.73, Month: 1001.95 },
      "4090_48G": { Postpay: 3.3, Day: 72.6, Month: 1980 },
      "5090": { Postpay: 3.16, Day: 69.65, Month: 1899.6 },
      "3080Ti": { Postpay: 0.74, Day: 16.3, Month: 444.72 },
      "3090": { Postpay: 1.19, Day: 26.38, Month: 719.64 },
      "2080Ti": { Postpay: 0.46, Day: 10.25, Month: 279.6 },
      "2080": { Postpay: 0.42, Day: 9.24, Month: 252 },
      A800: { Postpay: 6.23, Day: 137.21, Month: 3742.32 },
      A100: { Postpay: 10.75, Day: 236.58, Month: 6452.4 },
      H20: { Postpay: 7.5, Day: 165, Month: 4500 },
      P40: { Postpay: 0.4, Day: 8.97, Month: 244.84 },
    },
    diskPerGb: { Postpay: 0.0005, Dynamic: 0.0005, Day: 0.011, Month: 0.3 },
    freeSystemDiskGb: 100,
    spotFactor: 0.63,
    monthsPerYear: 10,
    withoutGpuPerHour: 0.15,
    discount: 1,
    refundPenalty: { Day: 1.25, Month: 1.5 },
    imageStorage: { freeGb: 30, perGbDay: 0.008 },
  },
  images: [
    image("compshareImage-ubuntu2204", "Ubuntu 22.04 CUDA 12.4", "System"),
    image("compshareImage-pytorch24", "PyTorch 2.4 Ubuntu 22.04", "App", "PyTorch", "2.4.0", ["JupyterLab"]),
    image("compshareImage-comfyui", "ComfyUI", "App", "PyTorch", "2.3.1", ["ComfyUI", "JupyterLab"]),
  ],
  communityImages: [
    {
      groupId: "group-official-sdwebui",
      id: "compshareImage-community-sdwebui",
      name: "Stable Diffusion WebUI",
      versionName: "v1.0",
      description: "Stable Diffusion WebUI with common models, ready to start",
      author: "UCloud",
      tags: ["图像生成", "Stable Diffusion"],
      price: 0,
      gpuTypes: ["4090", "4090_48G", "5090", "3090", "A800"],
      autoStart: true,
      sizeMb: 40960,
      ports: [
        { Software: "SD-WebUI", Port: 7860 },
        { Software: "JupyterLab", Port: 8888 },
      ],
    },
  ],
  // The ports of DescribeCompShareSoftwarePort's documented answer.
  softwarePorts: [
    { Software: "JupyterLab", Port: 8888 },
    { Software: "SSH", Port: 22 },
    { Software: "FileBrowser", Port: 443 },
  ],
  imageTags: { 框架: ["PyTorch", "TensorFlow"], 场景: ["LLM", "图像生成", "视频生成"], 应用: ["ComfyUI", "Stable Diffusion"] },
  models: [
    { name: "Qwen2.5-7B-Instruct", path: "/models/Qwen/Qwen2.5-7B-Instruct", tags: ["LLM", "Qwen"], size: "15GB", createdAt: 1726704000 },
    { name: "DeepSeek-R1-Distill-Qwen-7B", path: "/models/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", tags: ["LLM", "DeepSeek"], size: "15GB", createdAt: 1737590400 },
    { name: "Llama-3-8B", path: "/models/meta-llama/Meta-Llama-3-8B", tags: ["LLM", "Meta"], size: "16GB", createdAt: 1713398400 },
    { name: "stable-diffusion-xl-base-1.0", path: "/models/stabilityai/stable-diffusion-xl-base-1.0", tags: ["图像生成", "Stable Diffusion"], size: "7GB", createdAt: 1690848000 },
  ],
};
