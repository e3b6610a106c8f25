/** What the platform offers: zones, GPU types and sizes, capacity, software ports, the network accelerator and the model repository. */
import { t } from "../schema.js";
import { defineAction, imageId, inRegion, inZone, optionalScope, region } from "./contract.js";

const s = () => t.string();
const i = () => t.int();
const strings = () => t.array(t.string(), { max: 256 });

export const DescribeCompShareSupportZone = defineAction({
  name: "DescribeCompShareSupportZone",
  family: "catalog",
  summary: "The regions and zones the platform sells in.",
  idempotent: true,
  request: t.object(optionalScope),
  response: t.object({
    ZoneInfo: t.array(t.object({ Region: s(), Zone: s(), Describe: s(), RegionId: i(), ZoneId: i() }), { max: 256 }),
  }),
});

const Family = t.object({ Name: s(), Description: s() });

export const DescribeCompShareMachineTypeFamilies = defineAction({
  name: "DescribeCompShareMachineTypeFamilies",
  family: "catalog",
  summary: "The GPU machine families (types), and the same by zone.",
  idempotent: true,
  request: t.object(optionalScope),
  response: t.object({ MachineTypes: t.array(Family, { max: 256 }), MachineTypesMap: t.record(t.array(Family, { max: 256 })) }),
});

const DiskInfo = t.object({
  Name: s(),
  InstantResize: t.optional(t.bool()),
  MinimalSize: t.optional(i()),
  MaximalSize: i(),
  Features: strings(),
});

export const AvailableInstanceTypeModel = t.object({
  Name: s(),
  Zone: s(),
  /** `Normal` (for sale) or `SoldOut`. */
  Status: s(),
  Description: s(),
  InstanceType: s(),
  MachineSizes: t.array(t.object({ Gpu: i(), Collection: t.array(t.object({ Cpu: i(), Memory: t.array(i()), MinimalCpuPlatform: strings() })) }), { max: 64 }),
  CpuPlatforms: t.object({ Intel: strings(), Amd: strings(), Ampere: strings() }),
  Disks: t.array(t.object({ Name: s(), BootDisk: t.array(DiskInfo), DataDisk: t.array(DiskInfo) })),
  Features: t.array(t.object({ Name: s() })),
  GraphicsMemory: t.object({ Value: i(), Rate: i() }),
  Performance: t.object({ Value: t.float(), Rate: i() }),
  MachineClass: s(),
  ParentType: s(),
});

export const DescribeAvailableCompShareInstanceTypes = defineAction({
  name: "DescribeAvailableCompShareInstanceTypes",
  family: "catalog",
  summary: "The GPU types of a region's zones with their valid GPU/CPU/memory sizes (memory in GB), disks and CPU platforms.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    MachineTypes: t.optional(t.array(t.string({ maxLength: 64 }), { max: 64, single: true })),
    /** `uhost` (the default) or `spot`; any other value matches nothing. */
    InstanceType: t.optional(t.string({ maxLength: 16 })),
  }),
  response: t.object({ AvailableInstanceTypes: t.array(AvailableInstanceTypeModel, { max: 1024 }), Status: s() }),
});

export const CheckCompShareResourceCapacity = defineAction({
  name: "CheckCompShareResourceCapacity",
  family: "catalog",
  summary: "For each size of a GPU type (memory in GB), whether a Create would find a host for it now.",
  idempotent: true,
  request: t.object({
    ...inZone,
    GpuType: t.string({ maxLength: 64 }),
    MachineType: t.string({ maxLength: 16 }),
    MinimalCpuPlatform: t.string({ maxLength: 64 }),
    CompShareImageId: imageId(),
    ChargeType: t.string({ enum: ["Month", "Day", "Dynamic", "Postpay", "Spot", "Year"] as const }),
    Disks: t.array(t.object({ IsBoot: t.bool(), Type: t.string({ maxLength: 32 }), Size: t.int({ min: 1, max: 32_000 }) }), { max: 16 }),
  }),
  response: t.object({ Specs: t.array(t.object({ Gpu: i(), Cpu: i(), Mem: i(), ResourceEnough: t.bool() }), { max: 1024 }) }),
});

export const DescribeCompShareSoftwarePort = defineAction({
  name: "DescribeCompShareSoftwarePort",
  family: "catalog",
  summary: "The software the platform knows and its port.",
  idempotent: true,
  request: t.object(optionalScope),
  response: t.object({ SoftwarePort: t.array(t.object({ Software: s(), Port: i() }), { max: 256 }) }),
});

export const CheckCompShareNetOptimizer = defineAction({
  name: "CheckCompShareNetOptimizer",
  family: "catalog",
  summary: "Whether the account has the network accelerator, overall and per region.",
  idempotent: true,
  request: t.object(optionalScope),
  response: t.object({ Optimized: t.bool(), Info: t.array(t.object({ Region: s(), Optimized: t.bool() }), { max: 64 }) }),
});

export const DescribeModelRepositoryModels = defineAction({
  name: "DescribeModelRepositoryModels",
  family: "catalog",
  summary: "The public model repository, filtered by name (case-insensitive, in part) and tags (comma-separated, all of them).",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    /** The SDK models spell them Name and Tags; names are matched without regard to case. */
    name: t.optional(t.string({ maxLength: 128 })),
    tags: t.optional(t.string({ maxLength: 256 })),
  }),
  response: t.object({ Models: t.array(t.object({ Name: s(), Path: s(), Tag: s(), Size: s(), CreateTime: i() }), { max: 10_000 }) }),
});

export const DescribeCompShareGpuInventory = defineAction({
  name: "DescribeCompShareGpuInventory",
  family: "catalog",
  summary: "Free GPUs per zone and type, as a JSON string (an action of the SDK models, not of the docs).",
  idempotent: true,
  request: t.object({ ...inRegion, Region: region() }),
  response: t.object({ GpuInventoryByZone: s(), SpotUnsupportedGpuTypes: strings(), UpdateTime: i() }),
});
