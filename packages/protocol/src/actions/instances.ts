/** Instance lifecycle actions. */
import { t } from "../schema.js";
import { InstanceModel } from "../models.js";
import { defineAction, instanceName, limit, offset, onInstance, onInstanceAnyZone, optionalScope, projectId, region, uhostIdResponse, zone } from "./contract.js";

export const ChargeTypes = ["Month", "Day", "Dynamic", "Postpay", "Spot", "Year"] as const;
/** CompShare takes the password base64-encoded; the machine gets the decoded text. */
const password = () => t.string({ maxLength: 512, pattern: /^[A-Za-z0-9+/]*={0,2}$/, rule: "the password base64-encoded, at most 512 characters" });

export const CreateCompShareInstance = defineAction({
  name: "CreateCompShareInstance",
  family: "instances",
  summary: "Create a GPU instance: Initializing, then Running. Quantity is the purchase duration, not a count.",
  idempotent: false,
  request: t.object({
    Region: region(),
    Zone: zone(),
    ProjectId: projectId(),
    CPU: t.int({ min: 1, max: 1024 }),
    Memory: t.int({ min: 1024, max: 4 * 1024 * 1024 }),
    GPU: t.int({ min: 1, max: 64 }),
    GpuType: t.string({ maxLength: 64 }),
    /** Only `G` (the GPU machine type); `G` when left out. */
    MachineType: t.optional(t.string({ maxLength: 16 })),
    CompShareImageId: t.string({ maxLength: 64 }),
    ChargeType: t.optional(t.string({ enum: ChargeTypes })),
    Disks: t.optional(
      t.array(
        t.object({
          IsBoot: t.bool(),
          Size: t.int({ min: 1, max: 32_000 }),
          Type: t.string({ maxLength: 32 }),
        }),
        { max: 16 },
      ),
    ),
    Name: t.optional(instanceName()),
    Password: t.optional(password()),
    LoginMode: t.optional(t.string({ maxLength: 32 })),
    /** Purchase duration in units of ChargeType (months for Month, days for Day); at least 1. */
    Quantity: t.optional(t.int({ min: 1, max: 100 })),
    /** How many instances to create, all or none. */
    MaxCount: t.optional(t.int({ min: 1, max: 100 })),
    Remark: t.optional(t.string({ maxLength: 1024 })),
    Tag: t.optional(t.string({ maxLength: 64 })),
    SecurityGroupId: t.optional(t.string({ maxLength: 64 })),
    EnableUS3: t.optional(t.bool()),
    EnableCfs: t.optional(t.bool()),
    MinimalCpuPlatform: t.optional(t.string({ maxLength: 64 })),
    CouponId: t.optional(t.string({ maxLength: 64 })),
  }),
  response: t.object({ UHostIds: t.array(t.string()), Warning: t.optional(t.array(t.string())) }),
});

export const DescribeCompShareInstance = defineAction({
  name: "DescribeCompShareInstance",
  family: "instances",
  summary: "List the caller's instances, newest first; Limit defaults to 20 and is capped at 100.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    UHostIds: t.optional(t.array(t.string({ maxLength: 64 }), { max: 100, single: true })),
    Offset: offset(),
    Limit: limit(),
    WithoutGpu: t.optional(t.bool()),
    // Lenient filters: a value no instance has matches nothing.
    Tag: t.optional(t.string({ maxLength: 64 })),
    VPCId: t.optional(t.string({ maxLength: 64 })),
    SubnetId: t.optional(t.string({ maxLength: 64 })),
    NoEIP: t.optional(t.string({ maxLength: 16 })),
    ResourceType: t.optional(t.string({ maxLength: 64 })),
    UDiskIdForAttachment: t.optional(t.string({ maxLength: 64 })),
  }),
  response: t.object({ TotalCount: t.int(), UHostSet: t.array(InstanceModel, { max: 100 }) }),
});

const simple = <const N extends string>(name: N, summary: string) =>
  defineAction({ name, family: "instances", summary, idempotent: true, request: t.object(onInstance), response: uhostIdResponse });

export const StartCompShareInstance = defineAction({
  name: "StartCompShareInstance",
  family: "instances",
  summary: "Start a Stopped instance: Starting, then Running. WithoutGpu (or the CLI's WithoutGpuSpec) starts it in no-GPU mode.",
  idempotent: true,
  request: t.object({ ...onInstance, WithoutGpu: t.optional(t.bool()), WithoutGpuSpec: t.optional(t.string({ maxLength: 16 })) }),
  response: uhostIdResponse,
});
export const StopCompShareInstance = simple("StopCompShareInstance", "Stop a Running instance: Stopping, then Stopped.");
export const RebootCompShareInstance = simple("RebootCompShareInstance", "Reboot a Running instance: Rebooting, then Running.");
export const TerminateCompShareInstance = defineAction({
  name: "TerminateCompShareInstance",
  family: "instances",
  summary: "Reclaim an instance, then release it; it leaves Describe when released. Data disks are detached and kept unless ReleaseUDisk.",
  idempotent: true,
  request: t.object({ ...onInstance, ReleaseUDisk: t.optional(t.bool()) }),
  response: t.object({ UHostId: t.string(), InRecycle: t.string() }),
});

export const ResetCompShareInstancePassword = defineAction({
  name: "ResetCompShareInstancePassword",
  family: "instances",
  summary: "Set a new login password (base64) as a background task.",
  idempotent: true,
  request: t.object({ ...onInstance, Password: password() }),
  response: uhostIdResponse,
});

export const ReinstallCompShareInstance = defineAction({
  name: "ReinstallCompShareInstance",
  family: "instances",
  summary: "Reinstall a Stopped instance from an image as a background task; it boots when done.",
  idempotent: true,
  request: t.object({
    ...onInstance,
    CompShareImageId: t.string({ maxLength: 64 }),
    Password: t.optional(password()),
    CouponId: t.optional(t.string({ maxLength: 64 })),
  }),
  response: uhostIdResponse,
});

export const ResizeCompShareInstance = defineAction({
  name: "ResizeCompShareInstance",
  family: "instances",
  summary: "Change CPU, memory and GPU count (all three), or one disk's size, of a Stopped instance, passing through Resizing.",
  idempotent: true,
  request: t.object({
    ...onInstance,
    Cpu: t.optional(t.int({ min: 1, max: 1024 })),
    Gpu: t.optional(t.int({ min: 1, max: 64 })),
    Memory: t.optional(t.int({ min: 1024, max: 4 * 1024 * 1024 })),
    DiskId: t.optional(t.string({ maxLength: 64 })),
    DiskSpace: t.optional(t.int({ min: 1, max: 32_000 })),
    WithoutGpu: t.optional(t.bool()),
    WithoutGpuSpec: t.optional(t.string({ maxLength: 16 })),
    CouponId: t.optional(t.string({ maxLength: 64 })),
  }),
  response: uhostIdResponse,
});

export const ModifyCompShareInstanceName = defineAction({
  name: "ModifyCompShareInstanceName",
  family: "instances",
  summary: "Rename an instance.",
  idempotent: true,
  request: t.object({ ...onInstanceAnyZone, Name: instanceName() }),
  response: uhostIdResponse,
});

export const UpdateCompShareStopScheduler = defineAction({
  name: "UpdateCompShareStopScheduler",
  family: "instances",
  summary: "Schedule a stop at SchedulerStopTime (Unix seconds, at least 5 minutes ahead); the SDKs send it as StopTime.",
  idempotent: true,
  request: t.object({ ...onInstanceAnyZone, SchedulerStopTime: t.optional(t.int({ min: 0 })), StopTime: t.optional(t.int({ min: 0 })) }),
  response: uhostIdResponse,
});

export const DeleteCompShareStopScheduler = defineAction({
  name: "DeleteCompShareStopScheduler",
  family: "instances",
  summary: "Cancel the scheduled stop.",
  idempotent: true,
  request: t.object(onInstanceAnyZone),
  response: uhostIdResponse,
});

export const UpdateCompShareInstancePorts = defineAction({
  name: "UpdateCompShareInstancePorts",
  family: "instances",
  summary: "Replace a container instance's HTTP and TCP port mappings (a list left out is kept).",
  idempotent: true,
  request: t.object({
    ...onInstance,
    HttpPorts: t.optional(t.array(t.int({ min: 1, max: 65535 }), { max: 64, single: true })),
    TcpPorts: t.optional(t.array(t.int({ min: 1, max: 65535 }), { max: 64, single: true })),
  }),
  response: uhostIdResponse,
});
