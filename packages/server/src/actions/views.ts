/** Rows → the API's models, with every field the official SDK models declare. */
import { createHash } from "node:crypto";
import type { Image, Instance } from "@opencompshare/protocol";
import type { Catalog } from "../catalog.js";
import type { Sealer } from "../security/secrets.js";
import type { ImageRow, InstanceRow } from "../store/schema.js";

const seconds = (ms: number): number => Math.floor(Number(ms) / 1000);

export interface StoredDisk {
  DiskId: string;
  IsBoot: boolean;
  Size: number;
  Type: string;
}

/** A stable private address for an instance, derived from its id. */
function privateIp(id: string): string {
  const h = createHash("sha1").update(id).digest();
  return `10.${h[0]! % 256}.${h[1]! % 256}.${(h[2]! % 253) + 2}`;
}

export function toInstanceModel(row: InstanceRow, image: ImageRow | undefined, catalog: Catalog, sealer: Sealer, now: number): Instance {
  const offer = catalog.gpus.find((g) => g.zone === row.zone && g.gpuType === row.gpu_type);
  const disks = JSON.parse(row.disks) as StoredDisk[];
  const ip = privateIp(row.id);
  const hex = createHash("sha1").update(row.id).digest("hex");
  return {
    UHostId: row.id,
    Name: row.name,
    State: row.state as Instance["State"],
    Zone: row.zone,
    MachineType: row.machine_type,
    GpuType: row.gpu_type,
    ChargeType: row.charge_type,
    AutoRenew: "No",
    IsExpire: Number(row.expire_time) > 0 && Number(row.expire_time) <= now ? "Yes" : "No",
    InstanceType: "UHost",
    OsName: image?.os_name ?? "",
    OsType: "Linux",
    CpuArch: "x86_64",
    CpuPlatform: offer?.cpuPlatform ?? "",
    CompShareImageId: row.image_id,
    CompShareImageName: image?.name ?? "",
    CompShareImageType: image?.type ?? "",
    CompShareImageOwnerAlias: image?.account_id ? "Self" : "CompShare",
    CompShareImageStatus: image?.status ?? "",
    CompShareImageBillId: "",
    Password: row.password_sealed ? sealer.open(row.password_sealed) : "",
    SshLoginCommand: `ssh root@${ip}`,
    Remark: "",
    Tag: "Default",
    CPU: Number(row.cpu),
    Memory: Number(row.memory),
    GPU: Number(row.gpu),
    TotalDiskSpace: disks.reduce((sum, d) => sum + d.Size, 0),
    CreateTime: seconds(row.created_at),
    ExpireTime: seconds(row.expire_time),
    StartTime: seconds(row.start_time),
    StopTime: seconds(row.stop_time),
    StopSchedulerTime: seconds(row.stop_scheduler_time),
    ReleaseTime: 0,
    UpdateTime: seconds(row.updated_at),
    DiscountType: 0,
    InstancePrice: Math.round((offer?.pricePerGpuHour ?? 0) * Number(row.gpu) * 100) / 100,
    CompShareImagePrice: 0,
    SupportWithoutGpuStart: false,
    GraphicsMemory: { Value: offer?.graphicsMemoryGb ?? 0, Rate: 1 },
    WithoutGpuSpec: { Cpu: 0, Gpu: 0, Memory: 0 },
    DiskSet: disks.map((d, i) => ({
      DiskId: d.DiskId,
      DiskType: d.Type,
      Drive: i === 0 ? "vda" : `vd${String.fromCharCode(97 + i)}`,
      Encrypted: "false",
      IsBoot: d.IsBoot ? "True" : "False",
      Name: d.IsBoot ? "system" : `data-${i}`,
      Size: d.Size,
      Type: d.IsBoot ? "Boot" : "Data",
    })),
    IPSet: [
      {
        IP: ip,
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
    Softwares: [],
    MonitorMessages: {
      CpuUsageRate: "0",
      MemUsageRate: "0",
      GpuInfo: Array.from({ length: Number(row.gpu) }, (_, i) => ({ GPU: String(i), GpuUsageRate: "0", MemoryUsageRate: "0" })),
    },
  };
}

export function toImageModel(row: ImageRow, ownerName = ""): Image {
  const softwares = JSON.parse(row.softwares) as Image["Softwares"];
  return {
    CompShareImageId: row.id,
    Name: row.name,
    Description: row.description,
    ImageType: row.type as Image["ImageType"],
    Status: row.status as Image["Status"],
    Author: row.account_id ? ownerName : "CompShare",
    ImageOwnerAlias: row.account_id ? "Self" : "CompShare",
    Size: Number(row.size),
    CreateTime: seconds(row.created_at),
    PubTime: seconds(row.created_at),
    Price: 0,
    ImageCharge: false,
    IsOfficial: row.account_id === null,
    AutoStart: false,
    SourceGpuType: row.gpu_type,
    FailedReason: row.failed_reason,
    Tags: JSON.parse(row.tags) as string[],
    Softwares: softwares,
    Owner: { AccountId: row.account_id ?? "", AccountName: row.account_id ? ownerName : "CompShare" },
  };
}
