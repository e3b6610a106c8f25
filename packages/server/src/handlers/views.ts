/** Rows → the API's models, with every field the official SDK models declare. */
import { createHash } from "node:crypto";
import { State, type Image, type Instance, type MachineAccess } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import { gpuUnitPrice, cents } from "../catalog/pricing.js";
import { NO_GPU_SPEC, supportsNoGpu } from "../domain/no-gpu.js";
import { privateIp } from "../drivers/simulated/telemetry.js";
import type { Sealer } from "../security/secrets.js";
import type { StoredDisk } from "../store/repositories/disks.js";
import type { ImageRecord } from "../store/repositories/images.js";
import type { ImageRow, InstanceRow } from "../store/schema.js";

export type { StoredDisk } from "../store/repositories/disks.js";

const seconds = (ms: number): number => Math.floor(Number(ms) / 1000);


/** `ssh root@10.0.0.2`, or with `-p PORT` when the port is not 22: a command that logs in as shown. */
export function sshCommand(access: MachineAccess): string {
  return access.sshPort === 22 ? `ssh ${access.sshUser}@${access.ip}` : `ssh -p ${access.sshPort} ${access.sshUser}@${access.ip}`;
}

interface StoredPorts {
  HttpPorts?: number[];
  TcpPorts?: number[];
}

interface StoredMonitor {
  GpuInfo?: Array<{ GPU: string; GpuUsageRate: string; MemoryUsageRate: string }>;
}

export function toInstanceModel(row: InstanceRow, image: ImageRow | undefined, catalog: Catalog, sealer: Sealer, now: number): Instance {
  const type = catalog.gpuType(row.gpu_type);
  const disks = JSON.parse(row.disks) as StoredDisk[];
  const stored = JSON.parse(row.access || "{}") as Partial<MachineAccess>;
  const access: MachineAccess = {
    // Until the driver tells (a machine that never booted), the address the simulated fleet would give.
    ip: stored.ip ?? privateIp(row.id),
    sshPort: stored.sshPort ?? 22,
    sshUser: stored.sshUser ?? "root",
  };
  const hex = createHash("sha1").update(row.id).digest("hex");
  const ports = JSON.parse(row.ports || "{}") as StoredPorts;
  const monitor = JSON.parse(row.monitor || "{}") as StoredMonitor;
  const unit = gpuUnitPrice(catalog.data.prices, row.gpu_type, row.charge_type) ?? 0;
  const applications = image ? (JSON.parse(image.softwares) as Image["Softwares"]).Applications : [];
  const softwarePorts = new Map(catalog.data.softwarePorts.map((p) => [p.Software, p.Port]));
  const softwares = [
    ...applications.filter((a) => softwarePorts.has(a)).map((a) => ({ Name: a, URL: `http://${access.ip}:${softwarePorts.get(a)}` })),
    ...(ports.HttpPorts ?? []).map((p) => ({ Name: `HTTP:${p}`, URL: `http://${access.ip}:${p}` })),
    ...(ports.TcpPorts ?? []).map((p) => ({ Name: `TCP:${p}`, URL: `tcp://${access.ip}:${p}` })),
  ];
  return {
    UHostId: row.id,
    Name: row.name,
    State: row.state as Instance["State"],
    Region: catalog.regionOf(row.zone) ?? "",
    Zone: row.zone,
    MachineType: row.machine_type,
    GpuType: row.gpu_type,
    ChargeType: row.charge_type,
    AutoRenew: row.auto_renew,
    IsExpire: Number(row.expire_time) > 0 && Number(row.expire_time) <= now ? "Yes" : "No",
    InstanceType: row.instance_type,
    OsName: image?.os_name ?? "",
    OsType: "Linux",
    CpuArch: "x86_64",
    CpuPlatform: row.cpu_platform,
    CompShareImageId: row.image_id,
    CompShareImageName: image?.name ?? "",
    CompShareImageType: image?.type ?? "",
    CompShareImageOwnerAlias: image?.account_id ? "Self" : "CompShare",
    CompShareImageStatus: image?.status ?? "",
    CompShareImageBillId: "",
    Password: row.password_sealed ? sealer.open(row.password_sealed) : "",
    SshLoginCommand: sshCommand(access),
    Remark: row.remark,
    Tag: row.tag,
    CPU: Number(row.cpu),
    Memory: Number(row.memory),
    GPU: Number(row.gpu),
    TotalDiskSpace: disks.reduce((sum, d) => sum + d.Size, 0),
    CreateTime: seconds(row.created_at),
    ExpireTime: seconds(row.expire_time),
    StartTime: seconds(row.start_time),
    StopTime: seconds(row.stop_time),
    StopSchedulerTime: seconds(row.stop_scheduler_time),
    SchedulerStopTime: seconds(row.stop_scheduler_time),
    ReleaseTime: 0,
    UpdateTime: seconds(row.updated_at),
    DiscountType: 0,
    InstancePrice: cents(unit * Number(row.gpu)),
    CompShareImagePrice: image ? Number(image.price) : 0,
    SupportWithoutGpuStart: supportsNoGpu({ chargeType: row.charge_type, typeSupports: type?.withoutGpu === true }),
    GraphicsMemory: { Value: type?.graphicsMemoryGb ?? 0, Rate: type ? Math.min(5, Math.ceil(type.graphicsMemoryGb / 20)) : 0 },
    WithoutGpuSpec: inNoGpuMode(row) ? { ...NO_GPU_SPEC } : { Cpu: 0, Gpu: 0, Memory: 0 },
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
    ],
    Softwares: softwares,
    MonitorMessages: {
      CpuUsageRate: "0",
      MemUsageRate: "0",
      GpuInfo:
        monitor.GpuInfo ?? Array.from({ length: Number(row.gpu) }, (_, i) => ({ GPU: String(i), GpuUsageRate: "0", MemoryUsageRate: "0" })),
    },
  };
}

/** Whether the instance runs, or will start, without its GPUs. */
export const inNoGpuMode = (row: InstanceRow): boolean => Number(row.without_gpu) === 1 || (row.no_gpu_slot !== null && row.state !== State.Stopped);

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
