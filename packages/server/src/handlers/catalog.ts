/**
 * Handlers of what the platform offers: zones, GPU types and their sizes, capacity, software
 * ports, the network accelerator and the public model repository. Capacity answers come from the
 * same free resources that Create reserves from.
 */
import { commonErrors } from "@opencompshare/protocol";
import { DATA_DISK_GB, SYSTEM_DISK_GB } from "../catalog/disk-sizes.js";
import type { GpuType } from "../catalog/schema.js";
import { rank } from "../domain/placement.js";
import { checkDisks, checkImageSupports, checkPlatform, offeredType } from "./create.js";
import { accountLimits } from "../store/repositories/accounts.js";
import { requireUsableImage } from "./image-lookup.js";
import type { ActionsOf, HandlerMap, RequestContext } from "./registry.js";

function platformsOf(type: GpuType): string[] {
  return [...(type.cpuPlatforms.Amd ?? []), ...(type.cpuPlatforms.Intel ?? [])];
}

/** DescribeAvailableCompShareInstanceTypes' disks of a type: cloud disks, boot and data, with the sizes every action checks (catalog/disk-sizes.ts). */
function disksOf(type: GpuType) {
  return [
    {
      Name: "cloudDisk",
      BootDisk: type.diskTypes.map((name) => ({ Name: name, InstantResize: true, MaximalSize: SYSTEM_DISK_GB.max, Features: ["SNAPSHOT"] })),
      DataDisk: type.diskTypes.map((name) => ({ Name: name, MinimalSize: DATA_DISK_GB.min, MaximalSize: DATA_DISK_GB.max, Features: ["SNAPSHOT"] })),
    },
  ];
}

async function hasCapacity(ctx: RequestContext, zone: string, type: GpuType): Promise<boolean> {
  const { db, fleet, clock, catalog } = ctx.services;
  const candidates = await fleet.candidates(db, { zone, gpuType: type.name }, clock.now());
  return catalog.sizesOf(type.name).some((s) => s.memoryGb.some((m) => rank(candidates, { gpu: s.gpu, cpu: s.cpu, memoryMb: m * 1024, platform: "Auto" }).length > 0));
}

export const catalogHandlers: HandlerMap<ActionsOf<"catalog">> = {
  async DescribeCompShareSupportZone(ctx, req) {
    const zones = ctx.services.catalog.zones.filter((z) => req.Region === undefined || z.region === req.Region);
    return {
      ZoneInfo: zones.map((z) => ({
        Region: z.region,
        Zone: z.zone,
        Describe: z.describe,
        RegionId: ctx.services.catalog.zones.findIndex((x) => x.region === z.region) + 1,
        ZoneId: ctx.services.catalog.zones.indexOf(z) + 1,
      })),
    };
  },

  async DescribeCompShareMachineTypeFamilies(ctx, req) {
    const { catalog } = ctx.services;
    const zones = catalog.zones.filter((z) => req.Region === undefined || z.region === req.Region);
    const family = (t: GpuType) => ({ Name: t.name, Description: t.description });
    const seen = new Map<string, GpuType>();
    for (const z of zones) for (const t of catalog.typesIn(z.zone)) seen.set(t.name, t);
    return {
      MachineTypes: [...seen.values()].map(family),
      MachineTypesMap: Object.fromEntries(zones.map((z) => [z.zone, catalog.typesIn(z.zone).map(family)])),
    };
  },

  async DescribeAvailableCompShareInstanceTypes(ctx, req) {
    const { catalog } = ctx.services;
    const spot = req.InstanceType === "spot";
    if (req.InstanceType !== undefined && req.InstanceType !== "uhost" && !spot) return { AvailableInstanceTypes: [], Status: "Normal" };
    const zones = catalog.zones.filter((z) => (req.Region === undefined || z.region === req.Region) && (req.Zone === undefined || z.zone === req.Zone));
    const wanted = req.MachineTypes && req.MachineTypes.length > 0 ? new Set(req.MachineTypes) : undefined;
    const out = [];
    for (const z of zones) {
      for (const type of catalog.typesIn(z.zone)) {
        if (wanted && !wanted.has(type.name)) continue;
        if (spot && !type.spot) continue;
        const platforms = platformsOf(type);
        out.push({
          Name: type.name,
          Zone: z.zone,
          Status: (await hasCapacity(ctx, z.zone, type)) ? "Normal" : "SoldOut",
          Description: type.family,
          InstanceType: spot ? "spot" : "uhost",
          MachineSizes: catalog.sizesOf(type.name).map((s) => ({ Gpu: s.gpu, Collection: [{ Cpu: s.cpu, Memory: s.memoryGb, MinimalCpuPlatform: platforms }] })),
          CpuPlatforms: { Intel: type.cpuPlatforms.Intel ?? [], Amd: type.cpuPlatforms.Amd ?? [], Ampere: [] },
          Disks: disksOf(type),
          Features: [],
          GraphicsMemory: { Value: type.graphicsMemoryGb, Rate: Math.min(5, Math.ceil(type.graphicsMemoryGb / 20)) },
          Performance: { Value: type.performance, Rate: Math.min(5, Math.ceil(type.performance / 60)) },
          MachineClass: "GPU",
          ParentType: "G",
        });
      }
    }
    return { AvailableInstanceTypes: out, Status: "Normal" };
  },

  async CheckCompShareResourceCapacity(ctx, req) {
    const { db, fleet, clock, catalog } = ctx.services;
    const type = offeredType(catalog, req.Zone, req.GpuType);
    if (req.MachineType !== "G") throw commonErrors.invalidParam("MachineType", "G");
    checkPlatform(type, req.MinimalCpuPlatform);
    if (req.ChargeType === "Spot" && !type.spot) throw commonErrors.invalidParam("ChargeType", `Spot instances cannot use ${type.name}`);
    const image = await requireUsableImage(db, req.CompShareImageId, ctx.caller);
    checkImageSupports(image, type.name);
    checkDisks(type, req.Disks, image);
    const candidates = await fleet.candidates(db, { zone: req.Zone, gpuType: type.name, imageId: image.id }, clock.now());
    const specs = catalog.sizesOf(type.name).flatMap((s) =>
      s.memoryGb.map((mem) => ({
        Gpu: s.gpu,
        Cpu: s.cpu,
        Mem: mem,
        ResourceEnough: rank(candidates, { gpu: s.gpu, cpu: s.cpu, memoryMb: mem * 1024, platform: req.MinimalCpuPlatform }).length > 0,
      })),
    );
    return { Specs: specs };
  },

  async DescribeCompShareSoftwarePort(ctx) {
    return { SoftwarePort: ctx.services.catalog.data.softwarePorts.map((p) => ({ Software: p.Software, Port: p.Port })) };
  },

  async CheckCompShareNetOptimizer(ctx, req) {
    const { db, catalog } = ctx.services;
    const on = (await accountLimits(db, ctx.caller.accountId))?.netOptimized ?? false;
    const regions = Object.keys(catalog.regions).filter((r) => req.Region === undefined || r === req.Region);
    return { Optimized: on, Info: regions.map((Region) => ({ Region, Optimized: on })) };
  },

  async DescribeModelRepositoryModels(ctx, req) {
    const name = req.name?.toLowerCase();
    const tags = req.tags?.split(",").map((t) => t.trim()).filter(Boolean) ?? [];
    const models = ctx.services.catalog.data.models.filter(
      (m) => (!name || m.name.toLowerCase().includes(name)) && tags.every((t) => m.tags.includes(t)),
    );
    return { Models: models.map((m) => ({ Name: m.name, Path: m.path, Tag: m.tags.join(","), Size: m.size, CreateTime: m.createdAt })) };
  },

  async DescribeCompShareGpuInventory(ctx, req) {
    const { catalog } = ctx.services;
    const zones = catalog.zones.filter((z) => z.region === req.Region && (req.Zone === undefined || z.zone === req.Zone));
    if (zones.length === 0) throw commonErrors.invalidParam("Region", `${req.Region} has no zones on sale${req.Zone ? ` named ${req.Zone}` : ""}`);
    // Pool first, then the zone's numeric id, then the GPU type (the SDKs' documented shape):
    // {"Exclusive":{"1":{"4090":12}},"Spot":{…}}. Spot draws on the same free GPUs, for the types that allow it.
    const pools: Record<"Exclusive" | "Spot", Record<string, Record<string, number>>> = { Exclusive: {}, Spot: {} };
    for (const z of zones) {
      const zoneId = String(catalog.zones.indexOf(z) + 1);
      const exclusive: Record<string, number> = {};
      const spot: Record<string, number> = {};
      for (const type of catalog.typesIn(z.zone)) {
        const candidates = await ctx.services.fleet.candidates(ctx.services.db, { zone: z.zone, gpuType: type.name }, ctx.services.clock.now());
        const free = candidates.reduce((n, h) => n + h.freeGpus, 0);
        exclusive[type.name] = free;
        if (type.spot) spot[type.name] = free;
      }
      pools.Exclusive[zoneId] = exclusive;
      pools.Spot[zoneId] = spot;
    }
    return {
      GpuInventoryByZone: JSON.stringify(pools),
      SpotUnsupportedGpuTypes: catalog.data.gpuTypes.filter((t) => !t.spot).map((t) => t.name),
      UpdateTime: Math.floor(ctx.services.clock.now() / 1000),
    };
  },
};
