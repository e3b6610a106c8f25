/**
 * The catalog file a platform team edits (`OCS_CATALOG`): zones, GPU types with their machine
 * sizes, the simulated fleet, prices, platform and community images, software ports, image tags
 * and the public model repository. Every top-level key is optional: what a file leaves out comes
 * from the defaults (`defaults.ts`). The schema is the protocol's own, read strictly, so a bad
 * file is refused with the path of the first bad value.
 */
import { t, type Infer } from "@opencompshare/protocol";

const name = () => t.string({ maxLength: 64 });
const text = () => t.string({ maxLength: 1024 });
const positive = () => t.int({ min: 1 });
const money = () => t.float({ min: 0 });

export const ZoneSchema = t.object({ zone: name(), describe: text() });
export const RegionSchema = t.object({ region: name(), zones: t.array(ZoneSchema, { max: 64 }) });

/** The CPU platforms of a GPU type, by vendor (the shape DescribeAvailableCompShareInstanceTypes answers). */
export const CpuPlatformsSchema = t.object({
  Intel: t.optional(t.array(name(), { max: 16 })),
  Amd: t.optional(t.array(name(), { max: 16 })),
});

export const GpuTypeSchema = t.object({
  /** The GpuType string of the API: `4090`, `4090_48G`, `A800`… */
  name: name(),
  description: text(),
  /** Marketing family shown by DescribeAvailableCompShareInstanceTypes (`RTX40系`). */
  family: text(),
  graphicsMemoryGb: positive(),
  maxGpu: positive(),
  /** CPUs per GPU of the standard sizes; capped at maxCpu. */
  cpuPerGpu: positive(),
  /** Memory choices per GPU, GB; each capped at maxMemoryGb. */
  memoryPerGpuGb: t.array(positive(), { max: 8 }),
  maxCpu: positive(),
  maxMemoryGb: positive(),
  cpuPlatforms: CpuPlatformsSchema,
  /** Spot (preemptible) instances may use it. */
  spot: t.bool(),
  /** Instances may start in no-GPU mode (无卡模式). */
  withoutGpu: t.bool(),
  /** Performance score (DescribeAvailableCompShareInstanceTypes' Performance.Value). */
  performance: t.int({ min: 0, max: 1000 }),
  /** Disk types an instance of this type may use, boot and data (`CLOUD_SSD`, `CLOUD_RSSD`…). */
  diskTypes: t.array(name(), { max: 8 }),
});

/** What a zone sells. */
export const OfferSchema = t.object({ zone: name(), gpuTypes: t.array(name(), { max: 64 }) });

/** Simulated hosts: the fleet the simulated driver places instances on. */
export const FleetSchema = t.object({
  zone: name(),
  gpuType: name(),
  hosts: t.int({ min: 0, max: 100_000 }),
  gpusPerHost: positive(),
  cpusPerHost: positive(),
  memoryGbPerHost: positive(),
  cpuPlatform: name(),
});

/** Published prices, CNY: per GPU per charge type, per disk GB, and the rules around them. */
export const PricesSchema = t.object({
  /** Per GPU: `Postpay` and `Dynamic` per hour, `Day` per day, `Month` per month. */
  gpu: t.record(t.object({ Postpay: money(), Day: money(), Month: money() }), { max: 256 }),
  /** Per GB of disk: per hour (`Postpay`, `Dynamic`), per day, per month. */
  diskPerGb: t.object({ Postpay: money(), Dynamic: money(), Day: money(), Month: money() }),
  /** The part of every system disk that is free, GB. */
  freeSystemDiskGb: t.int({ min: 0 }),
  /** Spot price = Postpay price × this. */
  spotFactor: t.float({ min: 0, max: 1 }),
  /** A year costs this many months. */
  monthsPerYear: t.float({ min: 1, max: 12 }),
  /** No-GPU mode, per hour. */
  withoutGpuPerHour: money(),
  /** The account discount applied to list prices (1: none). */
  discount: t.float({ min: 0, max: 1 }),
  /** Used time of a prepaid period counts this many times its share when refunding (billdescribe). */
  refundPenalty: t.object({ Day: t.float({ min: 1 }), Month: t.float({ min: 1 }) }),
  /** Custom image storage: free GB per account, and the price of a GB above it per day (the billing guide: 30 GB, 0.008). */
  imageStorage: t.optional(t.object({ freeGb: t.int({ min: 0 }), perGbDay: money() })),
});

export const PlatformImageSchema = t.object({
  id: name(),
  name: text(),
  /** `System` images make virtual machines (UHost); `App`, `Game` and `Other` make containers. */
  type: t.string({ enum: ["System", "App", "Game", "Other"] as const }),
  osName: text(),
  sizeGb: positive(),
  description: text(),
  author: name(),
  tags: t.array(name(), { max: 32 }),
  cudaVersion: name(),
  framework: name(),
  frameworkVersion: name(),
  applications: t.array(name(), { max: 32 }),
  /** GPU types the image supports; empty means all. */
  gpuTypes: t.array(name(), { max: 64 }),
});

/** Official community images, present from the start (users publish more). */
export const CommunityImageSchema = t.object({
  groupId: name(),
  id: name(),
  name: text(),
  versionName: name(),
  description: text(),
  author: name(),
  tags: t.array(name(), { max: 32 }),
  price: money(),
  gpuTypes: t.array(name(), { max: 64 }),
  autoStart: t.bool(),
  sizeMb: t.int({ min: 0 }),
  ports: t.array(t.object({ Software: name(), Port: t.int({ min: 1, max: 65535 }) }), { max: 32 }),
});

export const CatalogFileSchema = t.object({
  regions: t.optional(t.array(RegionSchema, { max: 64 })),
  gpuTypes: t.optional(t.array(GpuTypeSchema, { max: 256 })),
  offers: t.optional(t.array(OfferSchema, { max: 256 })),
  fleet: t.optional(t.array(FleetSchema, { max: 1024 })),
  prices: t.optional(PricesSchema),
  images: t.optional(t.array(PlatformImageSchema, { max: 1024 })),
  communityImages: t.optional(t.array(CommunityImageSchema, { max: 1024 })),
  softwarePorts: t.optional(t.array(t.object({ Software: name(), Port: t.int({ min: 1, max: 65535 }) }), { max: 256 })),
  imageTags: t.optional(t.record(t.array(name(), { max: 128 }), { max: 64 })),
  models: t.optional(
    t.array(t.object({ name: text(), path: text(), tags: t.array(name(), { max: 32 }), size: name(), createdAt: t.int({ min: 0 }) }), { max: 10_000 }),
  ),
});

export type CatalogFile = Infer<typeof CatalogFileSchema>;
export type GpuType = Infer<typeof GpuTypeSchema>;
export type Fleet = Infer<typeof FleetSchema>;
export type Prices = Infer<typeof PricesSchema>;
export type PlatformImage = Infer<typeof PlatformImageSchema>;
export type CommunityImageSeed = Infer<typeof CommunityImageSchema>;
export type CpuPlatforms = Infer<typeof CpuPlatformsSchema>;
