/** Records → the API's models, with every field the official SDK models declare. */
import { createHash } from "node:crypto";
import { State, type Image, type Instance, type MachineAccess } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import { gpuUnitPrice, cents } from "../catalog/pricing.js";
import { NO_GPU_SPEC, supportsNoGpu } from "../domain/no-gpu.js";
import { softwaresOf, urlOf } from "../domain/software-ports.js";
import type { Sealer } from "../security/secrets.js";
import type { ImageRecord } from "../store/repositories/images.js";
import type { InstanceRecord } from "../store/repositories/instances.js";

export type { StoredDisk } from "../store/repositories/disks.js";

const seconds = (ms: number): number => Math.floor(ms / 1000);


/**
 * `ssh -p 23 root@203.0.113.7`, `ssh ubuntu@203.0.113.8` (no `-p` on 22): a command that logs in
 * as shown, at the public address when the machine has one. "" without an address, or without SSH
 * (port 0: a Windows system, reached by remote desktop).
 */
export function sshCommand(access: MachineAccess): string {
  const host = access.publicIp || access.ip;
  if (!host || access.sshPort === 0) return "";
  return access.sshPort === 22 ? `ssh ${access.sshUser}@${host}` : `ssh -p ${access.sshPort} ${access.sshUser}@${host}`;
}

/** The elastic IP's bandwidth, Mb: the 2 Gb all instances share (the guide's basic concepts). */
const SHARED_BANDWIDTH_MB = 2000;
/** UCloud's weight of an EIP that is the instance's only one (the exit address). */
const EIP_WEIGHT = 50;

export function toInstanceModel(inst: InstanceRecord, image: ImageRecord | undefined, catalog: Catalog, sealer: Sealer, now: number): Instance {
  const type = catalog.gpuType(inst.gpuType);
  const disks = inst.disks;
  // The address the driver last told; until it has (a machine that never booted), none: "".
  const access: MachineAccess = {
    ip: inst.access.ip ?? "",
    sshPort: inst.access.sshPort ?? 22,
    sshUser: inst.access.sshUser ?? "root",
    ...(inst.access.publicIp ? { publicIp: inst.access.publicIp } : {}),
  };
  const hex = createHash("sha1").update(inst.id).digest("hex");
  const unit = gpuUnitPrice(catalog.data.prices, inst.gpuType, inst.chargeType) ?? 0;
  // Software is reached where the world reaches the machine (a container's: the host's ports publishing it).
  const softwares = softwaresOf(inst, image, catalog).map((sw) => ({ Name: sw.name, URL: urlOf(inst.access, sw, inst.instanceType === "Container") }));
  return {
    UHostId: inst.id,
    Name: inst.name,
    State: inst.state as Instance["State"],
    Region: catalog.regionOf(inst.zone) ?? "",
    Zone: inst.zone,
    MachineType: inst.machineType,
    GpuType: inst.gpuType,
    ChargeType: inst.chargeType,
    AutoRenew: inst.autoRenew,
    IsExpire: inst.expireTime > 0 && inst.expireTime <= now ? "Yes" : "No",
    InstanceType: inst.instanceType,
    OsName: image?.osName ?? "",
    OsType: "Linux",
    CpuArch: "x86_64",
    CpuPlatform: inst.cpuPlatform,
    CompShareImageId: inst.imageId,
    CompShareImageName: image?.name ?? "",
    CompShareImageType: image?.type ?? "",
    CompShareImageOwnerAlias: image?.accountId ? "Self" : "CompShare",
    CompShareImageStatus: image?.status ?? "",
    CompShareImageBillId: "",
    Password: inst.passwordSealed ? sealer.open(inst.passwordSealed) : "",
    SshLoginCommand: sshCommand(access),
    Remark: inst.remark,
    Tag: inst.tag,
    CPU: inst.cpu,
    Memory: inst.memory,
    GPU: inst.gpu,
    TotalDiskSpace: disks.reduce((sum, d) => sum + d.Size, 0),
    CreateTime: seconds(inst.createdAt),
    ExpireTime: seconds(inst.expireTime),
    StartTime: seconds(inst.startTime),
    StopTime: seconds(inst.stopTime),
    StopSchedulerTime: seconds(inst.stopSchedulerTime),
    SchedulerStopTime: seconds(inst.stopSchedulerTime),
    ReleaseTime: 0,
    UpdateTime: seconds(inst.updatedAt),
    DiscountType: 0,
    InstancePrice: cents(unit * inst.gpu),
    CompShareImagePrice: image ? image.price : 0,
    SupportWithoutGpuStart: supportsNoGpu({ chargeType: inst.chargeType, typeSupports: type?.withoutGpu === true }),
    GraphicsMemory: { Value: type?.graphicsMemoryGb ?? 0, Rate: type ? Math.min(5, Math.ceil(type.graphicsMemoryGb / 20)) : 0 },
    WithoutGpuSpec: inNoGpuMode(inst) ? { ...NO_GPU_SPEC } : { Cpu: 0, Gpu: 0, Memory: 0 },
    DiskSet: disks.map((d, i) => ({
      DiskId: d.DiskId,
      DiskType: d.Type,
      Drive: (d.Device ?? (i === 0 ? "/dev/vda" : `/dev/vd${String.fromCharCode(97 + i)}`)).replace("/dev/", ""),
      Encrypted: "false",
      IsBoot: d.IsBoot ? "True" : "False",
      Name: d.Name ?? (d.IsBoot ? "system" : `data-${i}`),
      Size: d.Size,
      Type: d.IsBoot ? "Boot" : "Data",
    })),
    IPSet: [
      {
        IP: access.ip,
        IPId: "",
        IPMode: "IPv4",
        Type: "Private",
        Bandwidth: 0,
        Weight: 0,
        Default: "true",
        Mac: `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`,
        VPCId: "uvnet-default",
        SubnetId: "subnet-default",
        NetworkInterfaceId: "",
      },
      // The public address, when the machine's host gives one (the simulated fleet does; a real host tells only where SSH is).
      ...(access.publicIp
        ? [
            {
              IP: access.publicIp,
              IPId: `eip-${hex.slice(6, 14)}`,
              IPMode: "IPv4",
              Type: "Bgp",
              Bandwidth: SHARED_BANDWIDTH_MB,
              Weight: EIP_WEIGHT,
              Default: "",
              Mac: "",
              VPCId: "",
              SubnetId: "",
              NetworkInterfaceId: "",
            },
          ]
        : []),
    ],
    Softwares: softwares,
    MonitorMessages: {
      CpuUsageRate: "0",
      MemUsageRate: "0",
      GpuInfo:
        inst.monitor.GpuInfo ?? Array.from({ length: inst.gpu }, (_, i) => ({ GPU: String(i), GpuUsageRate: "0", MemoryUsageRate: "0" })),
    },
  };
}

/** Whether the instance runs, or will start, without its GPUs. */
export const inNoGpuMode = (inst: InstanceRecord): boolean => inst.withoutGpu || (inst.noGpuSlot !== null && inst.state !== State.Stopped);

/** Counts a community version's group has, for its Data items. */
export interface GroupCounts {
  createdCount: number;
  favoritesCount: number;
  useSeconds: number;
}

export function toImageModel(image: ImageRecord, ownerName = "", counts?: GroupCounts): Image {
  return {
    CompShareImageId: image.id,
    Name: image.name,
    Description: image.description,
    ImageType: image.type as Image["ImageType"],
    Status: image.status as Image["Status"],
    Author: image.author || (image.accountId ? ownerName : "CompShare"),
    AuthInfo: image.isOfficial ? 1 : 0,
    ImageOwnerAlias: image.accountId ? "Self" : "CompShare",
    Size: image.size,
    CreateTime: seconds(image.createdAt),
    UpdateTime: seconds(image.updatedAt || image.createdAt),
    PubTime: seconds(image.publishedAt || image.createdAt),
    Price: image.price,
    ImageCharge: image.price > 0,
    IsOfficial: image.isOfficial,
    AutoStart: image.autoStart,
    Container: image.container ? "True" : "False",
    Cover: image.cover,
    Readme: image.readme,
    GroupId: image.groupId,
    VersionName: image.versionName,
    VersionDesc: image.versionDesc,
    Visibility: image.visibility,
    CreatedCount: counts?.createdCount ?? 0,
    FavoritesCount: counts?.favoritesCount ?? 0,
    ImageUseTime: counts?.useSeconds ?? 0,
    SourceGpuType: image.gpuType,
    SupportedGpuTypes: image.supportedGpuTypes,
    SoftwarePorts: image.ports,
    QrCodeUrl: "",
    FailedReason: image.failedReason,
    Tags: image.tags,
    Softwares: image.softwares,
    Owner: { AccountId: image.accountId ?? "", AccountName: image.accountId ? ownerName : "CompShare" },
  };
}
