/**
 * The resources the API returns, with the exact field names and JSON types of the official
 * SDK models (ucloud-sdk-go `services/ucompshare/models.go`). Strict clients decode these,
 * so a type here is a promise on the wire.
 */
import { t, type Infer } from "./schema.js";
import { InstanceStates } from "./states.js";

const s = () => t.string();
const i = () => t.int();
const f = () => t.float();


export const DiskModel = t.object({
  DiskId: s(),
  DiskType: s(),
  Drive: s(),
  Encrypted: s(),
  IsBoot: s(),
  Name: s(),
  Size: i(),
  Type: s(),
});

export const IpModel = t.object({
  IP: s(),
  IPId: s(),
  IPMode: s(),
  Type: s(),
  Bandwidth: i(),
  Weight: i(),
  Default: s(),
  Mac: s(),
  VPCId: s(),
  SubnetId: s(),
  NetworkInterfaceId: s(),
});

export const InstanceModel = t.object({
  UHostId: s(),
  Name: s(),
  State: t.string({ enum: InstanceStates }),
  /** Not in the SDK models: the CompShare CLI reads it to find an instance's region. */
  Region: s(),
  Zone: s(),
  MachineType: s(),
  GpuType: s(),
  ChargeType: s(),
  AutoRenew: s(),
  IsExpire: s(),
  InstanceType: s(),
  OsName: s(),
  OsType: s(),
  CpuArch: s(),
  CpuPlatform: s(),
  CompShareImageId: s(),
  CompShareImageName: s(),
  CompShareImageType: s(),
  CompShareImageOwnerAlias: s(),
  CompShareImageStatus: s(),
  CompShareImageBillId: s(),
  Password: s(),
  SshLoginCommand: s(),
  Remark: s(),
  Tag: s(),
  CPU: i(),
  Memory: i(),
  GPU: i(),
  TotalDiskSpace: i(),
  CreateTime: i(),
  ExpireTime: i(),
  StartTime: i(),
  StopTime: i(),
  StopSchedulerTime: i(),
  /** The same time under the name the CompShare CLI reads. */
  SchedulerStopTime: i(),
  ReleaseTime: i(),
  UpdateTime: i(),
  DiscountType: i(),
  InstancePrice: f(),
  CompShareImagePrice: f(),
  SupportWithoutGpuStart: t.bool(),
  GraphicsMemory: t.object({ Value: i(), Rate: i() }),
  WithoutGpuSpec: t.object({ Cpu: i(), Gpu: i(), Memory: i() }),
  DiskSet: t.array(DiskModel),
  IPSet: t.array(IpModel),
  Softwares: t.array(t.object({ Name: s(), URL: s() })),
  MonitorMessages: t.object({
    CpuUsageRate: s(),
    MemUsageRate: s(),
    GpuInfo: t.array(t.object({ GPU: s(), GpuUsageRate: s(), MemoryUsageRate: s() }), { max: 64 }),
  }),
});
export type Instance = Infer<typeof InstanceModel>;

export const ImageStatuses = ["Making", "Available", "UnAvailable", "Reviewing", "Rejected", "Offline"] as const;
export type ImageStatus = (typeof ImageStatuses)[number];
/** System images make virtual machines; App, Game and Other (platform) and Community images make containers. */
export const ImageTypes = ["System", "App", "Game", "Other", "Custom", "Community"] as const;

/** An image as the official SDK models name it (CompShareImage), with the docs' community fields. */
export const ImageModel = t.object({
  CompShareImageId: s(),
  Name: s(),
  Description: s(),
  ImageType: t.string({ enum: ImageTypes }),
  Status: t.string({ enum: ImageStatuses }),
  Author: s(),
  /** 0: a creator; 1: an official account; 2: a certified author. */
  AuthInfo: i(),
  ImageOwnerAlias: s(),
  Size: i(),
  CreateTime: i(),
  UpdateTime: i(),
  PubTime: i(),
  Price: f(),
  ImageCharge: t.bool(),
  IsOfficial: t.bool(),
  AutoStart: t.bool(),
  /** `"True"` for container images, `"False"` for virtual machine images. */
  Container: s(),
  Cover: s(),
  Readme: s(),
  GroupId: s(),
  VersionName: s(),
  VersionDesc: s(),
  /** 0: private; 1: public. */
  Visibility: i(),
  CreatedCount: i(),
  FavoritesCount: i(),
  ImageUseTime: i(),
  SourceGpuType: s(),
  SupportedGpuTypes: t.array(s(), { max: 64 }),
  SoftwarePorts: t.array(t.object({ Software: s(), Port: i() }), { max: 64 }),
  QrCodeUrl: s(),
  FailedReason: s(),
  Tags: t.array(s()),
  Softwares: t.object({
    Applications: t.array(s()),
    CUDAVersion: s(),
    Framework: s(),
    FrameworkVersion: s(),
  }),
  Owner: t.object({ AccountId: s(), AccountName: s() }),
});
export type Image = Infer<typeof ImageModel>;

/** A community image's version group (CompshareImageGroup). */
export const ImageGroupModel = t.object({
  GroupId: s(),
  ImageName: s(),
  ImageDesc: s(),
  CreatedCount: i(),
  FavoritesCount: i(),
  RecommendCount: i(),
  ImageUseTime: i(),
  IsFavorite: t.bool(),
  /** Available when at least one version is online. */
  Status: s(),
  Data: t.array(ImageModel, { max: 100 }),
});
export type ImageGroup = Infer<typeof ImageGroupModel>;

/** A price detail, as both the SDK models and the docs name its fields. */
export const PriceDetailModel = t.object({
  ChargeType: s(),
  Instance: f(),
  Disks: f(),
  SystemDisks: f(),
  CompShareImage: f(),
  InstanceDiscountType: i(),
  OriginalPrice: f(),
  /** A string in the SDK models. */
  ListPrice: s(),
});

/** A data disk (DescribeCompshareDisk). */
export const DiskResourceModel = t.object({
  ResourceId: s(),
  UDiskId: s(),
  Name: s(),
  Size: i(),
  Configuration: s(),
  DiskType: s(),
  ChargeType: s(),
  Status: s(),
  MountInstance: s(),
  Device: s(),
  Region: s(),
  Zone: s(),
  CreateTime: i(),
  ExpireTime: i(),
});

export const OperationStatuses = ["Running", "Succeeded", "Failed"] as const;

/** An operation record: our extension, the audit trail of every accepted action on an instance. */
export const OperationModel = t.object({
  OperationId: s(),
  UHostId: s(),
  Action: s(),
  Status: t.string({ enum: OperationStatuses }),
  Phase: s(),
  RequestId: s(),
  StartTime: i(),
  EndTime: i(),
  ErrorCode: i(),
  ErrorMessage: s(),
  Recovered: t.bool(),
  /** Who asked: `api`, `console`, `policy` or `schedule`. */
  Source: s(),
  /** The public key that signed the request (or opened the console session); the policy step or `stop-scheduler` otherwise. */
  Requester: s(),
});
export type Operation = Infer<typeof OperationModel>;
