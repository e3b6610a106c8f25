/**
 * CreateCompShareInstance: the checks of CompShare's create page (the zone sells the GPU type,
 * the size is one of the type's, the CPU platform and disk types suit it, the image supports it,
 * spot only where allowed, the account's quota), then one transaction that places every instance
 * on a host, writes its rows and its operation. A Create that cannot be placed takes nothing.
 */
import { randomBytes } from "node:crypto";
import { ApiError, commonErrors, State, type Actions, type RequestOf } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import { cents, discounted, diskUnitPrice, expiryOf, PREPAID, quote, total } from "../catalog/pricing.js";
import { chargePurchase, refuseWhileUnpaid } from "../policies/purchases.js";
import { checkSize } from "../catalog/sizes.js";
import type { GpuType } from "../catalog/schema.js";
import type { MachineSpec } from "../drivers/driver.js";
import type { CreateParams } from "../operations/procedures/index.js";
import { assertMayCreate } from "../accounts/quota.js";
import { checkDiskSize } from "../catalog/disk-sizes.js";
import { insertDisk, newDiskId, nextDevice, type StoredDisk } from "../store/repositories/disks.js";
import type { ImageRecord } from "../store/repositories/images.js";
import type { InstanceRow } from "../store/schema.js";
import { machinePorts } from "../domain/software-ports.js";
import { requireUsableImage } from "./image-lookup.js";
import type { RequestContext } from "./registry.js";
import { hostPlatform } from "../store/repositories/hosts.js";

type CreateRequest = RequestOf<Actions["CreateCompShareInstance"]>;

/** What the API shows when Name is left out. */
export const DEFAULT_NAME = "host";
const DEFAULT_BOOT_DISK = { IsBoot: true, Size: 100, Type: "CLOUD_SSD" };

export const newInstanceId = (): string => `uhost-${randomBytes(6).toString("hex")}`;

/** The GPU type, if the zone sells it; else 230 on GpuType. */
export function offeredType(catalog: Catalog, zone: string, gpuType: string): GpuType {
  const type = catalog.offered(zone, gpuType);
  if (!type) throw commonErrors.invalidParam("GpuType", `${zone} does not sell ${gpuType}`);
  return type;
}

/** Checks a MinimalCpuPlatform against the platforms of the type. */
export function checkPlatform(type: GpuType, platform: string): void {
  if (platform === "Auto") return;
  const [vendor] = platform.split("/");
  const list = vendor === "Intel" ? type.cpuPlatforms.Intel : vendor === "Amd" ? type.cpuPlatforms.Amd : undefined;
  if (!list || list.length === 0) throw commonErrors.invalidParam("MinimalCpuPlatform", `${type.name} runs on ${Object.keys(type.cpuPlatforms).join(" or ")} only`);
  if (!platform.endsWith("/Auto") && !list.includes(platform)) throw commonErrors.invalidParam("MinimalCpuPlatform", `one of Auto, ${vendor}/Auto, ${list.join(", ")}`);
}

/** Checks the disks of a create: one boot disk, types the GPU type allows, sizes in range. */
export function checkDisks(type: GpuType, disks: ReadonlyArray<{ IsBoot: boolean; Size: number; Type: string }>, image?: ImageRecord): void {
  if (disks.filter((d) => d.IsBoot).length !== 1) throw commonErrors.invalidParam("Disks", "exactly one disk has IsBoot true");
  disks.forEach((d, i) => {
    if (!type.diskTypes.includes(d.Type)) throw commonErrors.invalidParam(`Disks.${i}.Type`, `${type.name} takes ${type.diskTypes.join(", ")}`);
    checkDiskSize(`Disks.${i}.Size`, d.Size, d.IsBoot, image ? image.size : 1);
  });
}

/** Checks that the image supports the GPU type (226603). */
export function checkImageSupports(image: ImageRecord, gpuType: string): void {
  const supported = image.supportedGpuTypes;
  if (supported.length > 0 && !supported.includes(gpuType)) {
    throw new ApiError("ImageNotSupported", `image ${image.id} does not support ${gpuType}; it supports ${supported.join(", ")}`);
  }
}

export async function createInstances(ctx: RequestContext, req: CreateRequest): Promise<{ UHostIds: string[] }> {
  const { catalog, sealer, engine, fleet } = ctx.services;
  const type = offeredType(catalog, req.Zone, req.GpuType);
  if (req.MachineType !== undefined && req.MachineType !== "G") throw commonErrors.invalidParam("MachineType", "G");
  const wrong = checkSize(type, req.GPU, req.CPU, req.Memory);
  if (wrong) {
    const sizes = catalog.sizesOf(type.name).find((s) => s.gpu === req.GPU);
    throw commonErrors.invalidParam(
      wrong,
      sizes ? `${type.name} x${req.GPU} takes ${sizes.cpu} CPUs and ${sizes.memoryGb.map((m) => m * 1024).join(" or ")} MB` : `${type.name} takes 1 to ${type.maxGpu} GPUs`,
    );
  }
  const chargeType = req.ChargeType ?? "Month";
  if (chargeType === "Spot" && !type.spot) throw commonErrors.invalidParam("ChargeType", `Spot instances cannot use ${type.name}`);
  const platform = req.MinimalCpuPlatform ?? "Auto";
  checkPlatform(type, platform);
  const disks = req.Disks ?? [DEFAULT_BOOT_DISK];
  checkDisks(type, disks);
  const count = req.MaxCount ?? 1;
  const quantity = req.Quantity ?? 1;
  const password = req.Password ?? Buffer.from(randomBytes(12).toString("base64url")).toString("base64");

  const ids = await engine.acceptNew({
    action: "CreateCompShareInstance",
    caller: ctx.caller,
    build: async (tx, now) => {
      const image = await requireUsableImage(tx, req.CompShareImageId, ctx.caller);
      checkImageSupports(image, type.name);
      checkDisks(type, disks, image);
      await assertMayCreate(tx, ctx.caller.accountId, count, ctx.services.limits);
      const boot = disks.find((d) => d.IsBoot) as (typeof disks)[number];
      const dataDisks = disks.filter((d) => !d.IsBoot);
      const price = quote(catalog.data.prices, {
        gpuType: type.name,
        gpu: req.GPU,
        chargeType,
        quantity,
        systemDiskGb: boot.Size,
        dataDiskGb: dataDisks.reduce((s, d) => s + d.Size, 0),
        imagePerHour: image.price,
      });
      // The charge guides: a prepaid create pays its first period from the balance now, at the
      // price GetCompShareInstancePrice quotes; none is made while orders are unpaid.
      await refuseWhileUnpaid(tx, ctx.caller.accountId);
      const prepaid = PREPAID.has(chargeType) && price ? discounted(catalog.data.prices, price) : undefined;
      const periodEnd = expiryOf(chargeType, quantity, now);
      const diskPaid = (size: number) => (prepaid ? cents(size * diskUnitPrice(catalog.data.prices, chargeType) * quantity * catalog.data.prices.discount) : 0);
      const built: Array<{ row: InstanceRow; params: object }> = [];
      for (let n = 0; n < count; n++) {
        const id = newInstanceId();
        const placed = await fleet.place(tx, id, { zone: req.Zone, gpuType: type.name, imageId: image.id }, { gpu: req.GPU, cpu: req.CPU, memoryMb: req.Memory, platform }, now);
        if (!placed) {
          throw new ApiError(
            "ResourceNotEnough",
            `no host in ${req.Zone} has ${req.GPU} ${type.name} GPUs, ${req.CPU} CPUs and ${req.Memory} MB free${count > 1 ? ` for instance ${n + 1} of ${count}` : ""}`,
          );
        }
        const hostCpuPlatform = await hostPlatform(tx, placed.hostId);
        const stored: StoredDisk[] = [{ DiskId: newDiskId(), IsBoot: true, Size: boot.Size, Type: boot.Type, Name: "system", Device: "/dev/vda" }];
        for (const d of dataDisks) {
          const diskId = newDiskId();
          const device = nextDevice(stored.filter((s) => !s.IsBoot).map((s) => ({ device: s.Device ?? "" })));
          stored.push({ DiskId: diskId, IsBoot: false, Size: d.Size, Type: d.Type, Name: `data-${stored.length}`, Device: device });
          await insertDisk(tx, {
              id: diskId,
              account_id: ctx.caller.accountId,
              project_id: ctx.caller.projectId,
              zone: req.Zone,
              name: `data-${stored.length - 1}`,
              size_gb: d.Size,
              disk_type: d.Type,
              charge_type: chargeType,
              status: "InUse",
              instance_id: id,
              device,
              host_id: placed.hostId,
              op_id: null,
              paid_amount: diskPaid(d.Size),
              period_start: now,
              expire_time: periodEnd,
              created_at: now,
              updated_at: now,
            });
        }
        const row: InstanceRow = {
          id,
          account_id: ctx.caller.accountId,
          project_id: ctx.caller.projectId,
          zone: req.Zone,
          name: req.Name ?? DEFAULT_NAME,
          state: State.Initializing,
          cpu: req.CPU,
          memory: req.Memory,
          gpu: req.GPU,
          gpu_type: type.name,
          machine_type: "G",
          image_id: image.id,
          charge_type: chargeType,
          login_mode: req.LoginMode ?? "Password",
          disks: JSON.stringify(stored),
          password_sealed: sealer.seal(password),
          recycling: 0,
          task: null,
          task_op_id: null,
          created_at: now,
          updated_at: now,
          start_time: 0,
          stop_time: 0,
          stop_scheduler_time: 0,
          expire_time: expiryOf(chargeType, quantity, now),
          host_id: placed.hostId,
          remark: req.Remark ?? "",
          tag: req.Tag ?? "Default",
          security_group_id: req.SecurityGroupId ?? "",
          enable_us3: req.EnableUS3 ? 1 : 0,
          instance_type: image.container ? "Container" : "UHost",
          cpu_platform: hostCpuPlatform,
          // Every resource paid in advance renews itself from the balance (the renewal guide).
          auto_renew: expiryOf(chargeType, quantity, now) > 0 ? "Yes" : "No",
          paid_amount: prepaid ? cents(prepaid.Instance + prepaid.SystemDisks + prepaid.CompShareImage) : 0,
          period_start: now,
          ports: "{}",
          access: "{}",
          monitor: "{}",
          billed_until: 0,
          arrears_since: 0,
          policy_key: "",
          policy_step: "",
          without_gpu: 0,
          machine_without_gpu: 0,
          no_gpu_slot: null,
        };
        if (prepaid) {
          await chargePurchase(tx, {
            accountId: ctx.caller.accountId,
            resourceId: id,
            what: `${chargeType} ×${quantity} of instance ${id} (${type.name} ×${req.GPU}${dataDisks.length ? `, ${dataDisks.length} data disk(s)` : ""})`,
            amount: total(prepaid),
            periodStart: now,
            periodEnd,
            now,
          });
        }
        const spec: MachineSpec = {
          cpu: req.CPU,
          memory: req.Memory,
          gpu: req.GPU,
          gpuType: type.name,
          imageId: image.id,
          diskGb: boot.Size,
          gpuDevices: placed.devices,
          dataDisks: stored.filter((s) => !s.IsBoot).map((s) => ({ id: s.DiskId, sizeGb: s.Size })),
        };
        const ports = machinePorts({ instanceType: row.instance_type, ports: {} }, image, catalog);
        if (ports.length > 0) spec.ports = ports;
        built.push({ row, params: { spec } satisfies CreateParams });
      }
      return built;
    },
  });
  return { UHostIds: ids };
}
