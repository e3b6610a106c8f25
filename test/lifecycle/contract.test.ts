/**
 * Every successful answer of every Action decodes strictly against its contract: the JSON types
 * must be exactly those of the official SDK models, as a strict client (Go, Python typed
 * methods) would decode them. An int sent as a string, a bool as "true", fails here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { actions, parseWith, type ActionName, type NestedValue } from "@opencompshare/protocol";
import { withAdmin } from "@opencompshare/server";
import type { Answer } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

const ENVELOPE_KEYS = new Set(["Action", "RetCode", "Message"]);

describe("response contracts (strict)", () => {
  let s: TestServer;
  /** How many successful answers of each action were checked. */
  const checked = new Map<string, number>();

  before(async () => {
    // Testing mode: the test controls are part of the contract too.
    s = await startServer({ env: { OCS_TESTING: "1" } });
  });
  after(async () => {
    await s.close();
  });

  /** Calls the action, expects success, and decodes the body strictly against its contract. */
  async function ok(action: ActionName, params: Record<string, NestedValue>): Promise<Answer["body"]> {
    const res = await s.call(action, params);
    assert.equal(res.status, 200);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.Action, `${action}Response`);
    assert.equal(res.body.Message, undefined, `${action}: a success carries no Message`);
    const fields = Object.fromEntries(Object.entries(res.body).filter(([k]) => !ENVELOPE_KEYS.has(k)));
    const { issues } = parseWith(actions[action].response, fields, "strict");
    assert.deepEqual(issues, [], `${action} answered ${JSON.stringify(res.body)}`);
    checked.set(action, (checked.get(action) ?? 0) + 1);
    return res.body;
  }

  const describeOne = async (id: string) => {
    const body = await ok("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    return (body.UHostSet as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
  };
  const untilState = async (id: string, state: string) => {
    await s.until(async () => (await describeOne(id)).State === state);
  };
  const opsIdle = async (id: string) => {
    await s.until(async () => {
      const body = await ok("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      return (body.OperationSet as Array<{ Status: string }>).every((o) => o.Status !== "Running");
    });
  };

  it("answers every action with the exact JSON types of its contract, in every state", async () => {
    // Describe with nothing to list, and platform and custom images.
    await ok("DescribeCompShareInstance", REGION);
    await ok("DescribeCompShareInstance", {});
    await ok("DescribeCompShareImages", REGION);
    await ok("DescribeCompShareImages", { ...REGION, ImageType: "App", Limit: 1 });
    await ok("DescribeCompShareCustomImages", REGION);

    const created = await ok("CreateCompShareInstance", {
      ...CREATE,
      Name: "contract",
      Quantity: 2,
      ChargeType: "Month",
      Disks: [
        { IsBoot: true, Size: 60, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: 100, Type: "CLOUD_SSD" },
      ],
    });
    const [id] = created.UHostIds as string[];
    const [other] = (await ok("CreateCompShareInstance", { ...CREATE, ChargeType: "Dynamic" })).UHostIds as string[];
    assert.ok(id && other);
    await describeOne(id); // Initializing
    await untilState(id, "Running");
    await untilState(other, "Running");
    await ok("DescribeCompShareInstance", { ...REGION, Limit: 1, Offset: 1 });

    await ok("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "renamed" });
    await ok("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, StopTime: Math.floor(s.clock.now() / 1000) + 86_400 });
    await describeOne(id);
    await ok("DeleteCompShareStopScheduler", { ...REGION, UHostId: id });

    await ok("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: Buffer.from("An0ther-pass").toString("base64") });
    await opsIdle(id);

    await ok("RebootCompShareInstance", { ...REGION, UHostId: id });
    await describeOne(id); // Rebooting
    await untilState(id, "Running");

    // A custom image: progress while Making and once Available.
    const image = await ok("CreateCompShareCustomImage", {
      ...REGION,
      UHostId: id,
      Name: "contract-image",
      Description: "d",
      Softwares: { Application: ["JupyterLab"], CUDAVersion: "12.4", Framework: "PyTorch", FrameworkVersion: "2.4.0" },
    });
    const imageId = image.CompShareImageId as string;
    await ok("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
    await ok("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
    await s.until(async () => {
      const p = await ok("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
      return p.Process === 100;
    }, 1000);
    await s.until(async () => {
      const body = await ok("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
      return (body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    }, 1000);
    await ok("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId });
    await ok("DescribeCompShareCustomImages", REGION);

    await ok("StopCompShareInstance", { ...REGION, UHostId: id });
    await describeOne(id); // Stopping
    await untilState(id, "Stopped");

    await ok("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 });
    await describeOne(id); // Resizing
    await untilState(id, "Stopped");
    await ok("ResizeCompShareInstance", { ...REGION, UHostId: id, DiskSpace: 80 });
    await untilState(id, "Stopped");
    await opsIdle(id);

    await ok("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: imageId });
    await describeOne(id); // Initializing
    await untilState(id, "Running");
    await ok("StopCompShareInstance", { ...REGION, UHostId: id });
    await untilState(id, "Stopped");
    await ok("StartCompShareInstance", { ...REGION, UHostId: id });
    await describeOne(id); // Starting
    await untilState(id, "Running");

    await everythingElse(id, other, imageId);

    await ok("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    await ok("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 });
    // CompShare deletes only a Stopped instance.
    const described = (await ok("DescribeCompShareInstance", { ...REGION, "UHostIds.0": other })).UHostSet as Array<{ State: string }>;
    if (described[0]?.State === "Running") {
      await ok("StopCompShareInstance", { ...REGION, UHostId: other });
      await untilState(other, "Stopped");
    }
    await ok("TerminateCompShareInstance", { ...REGION, UHostId: other });
    await s.until(async () => {
      const body = await ok("DescribeCompShareInstance", { ...REGION, "UHostIds.0": other });
      return body.TotalCount === 0;
    });
    await ok("DescribeCompShareInstance", REGION);

    // The test controls, each answered and decoded strictly (nothing runs now: snapshots may be taken).
    const fault = await ok("ArmCompShareFault", { Method: "status", Mode: "slow", DelayMs: 1, Times: 2, Message: "m" });
    await ok("DescribeCompShareFaults", {});
    await ok("ClearCompShareFaults", { FaultId: fault.FaultId as string });
    await ok("AdvanceCompShareClock", { Seconds: 1.5 });
    await ok("DescribeCompShareClock", {});
    await ok("SaveCompShareSnapshot", { Name: "contract" });
    await ok("DescribeCompShareSnapshots", {});
    await ok("RestoreCompShareSnapshot", { Name: "contract" });
    await ok("DeleteCompShareSnapshot", { Name: "contract" });
    await ok("ResetCompShareState", {});

    // Every action of the contract list was answered successfully and checked at least once.
    assert.deepEqual(
      Object.keys(actions).filter((a) => !checked.has(a)),
      [],
      "actions with no successful answer checked",
    );
  });

  /** The catalog, pricing, monitoring, disk, sharing, community and project actions, on a Running `id` and `other`. */
  async function everythingElse(id: string, other: string, imageId: string): Promise<void> {
    const now = () => Math.floor(s.clock.now() / 1000);
    await ok("DescribeCompShareSupportZone", {});
    await ok("DescribeCompShareSupportZone", { Region: REGION.Region });
    await ok("DescribeCompShareMachineTypeFamilies", {});
    await ok("DescribeAvailableCompShareInstanceTypes", REGION);
    await ok("DescribeAvailableCompShareInstanceTypes", { Region: REGION.Region, InstanceType: "spot", "MachineTypes.0": "4090" });
    const capacity = {
      ...REGION,
      GpuType: "4090",
      MachineType: "G",
      MinimalCpuPlatform: "Auto",
      CompShareImageId: CREATE.CompShareImageId,
      ChargeType: "Postpay",
      Disks: [{ IsBoot: true, Type: "CLOUD_SSD", Size: 100 }],
    };
    await ok("CheckCompShareResourceCapacity", capacity);
    await ok("DescribeCompShareSoftwarePort", {});
    await ok("CheckCompShareNetOptimizer", {});
    await ok("DescribeModelRepositoryModels", { Region: REGION.Region, name: "qwen" });
    await ok("DescribeCompShareGpuInventory", { Region: REGION.Region });
    await ok("GetProjectList", {});
    const console = await ok("GetCompShareInstanceConsoleOutput", { ...REGION, UHostId: id, Length: 4096 });
    assert.match(console.Output as string, /ocs-boot-id: [0-9a-f-]{36}/);
    await ok("DescribeCompShareInstancePolicy", { ...REGION, UHostId: id });
    await ok("DescribeCompShareBills", {});
    await ok("DescribeCompShareBills", { ...REGION, PayStatus: "Paid", Limit: 1 });
    // Webhooks: a delivery pass with nobody listening logs failed attempts to read back.
    const hook = await ok("CreateCompShareWebhook", { Url: "http://127.0.0.1:9/hook" });
    await ok("CreateCompShareWebhook", { Url: "http://127.0.0.1:9/states", "Kinds.0": "instance.state" });
    await ok("DescribeCompShareWebhooks", {});
    await s.app.store.db.updateTable("webhooks").set({ cursor: 0 }).where("id", "=", hook.WebhookId as string).execute();
    assert.equal((await s.app.events.webhooks.pass()).failed, 1);
    await ok("DescribeCompShareWebhooks", { WebhookId: hook.WebhookId as string, Limit: 1 });
    const log = await ok("DescribeCompShareWebhookDeliveries", { WebhookId: hook.WebhookId as string, Limit: 5 });
    assert.equal((log.DeliverySet as Array<{ Outcome: string }>)[0]?.Outcome, "failed");
    await ok("DescribeCompShareWebhookDeliveries", { WebhookId: hook.WebhookId as string });
    await ok("DeleteCompShareWebhook", { WebhookId: hook.WebhookId as string });

    const priced = { ...REGION, GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, Disks: [{ IsBoot: true, Type: "CLOUD_SSD", Size: 200 }] };
    await ok("GetCompShareInstancePrice", priced);
    await ok("GetCompShareInstancePrice", { ...priced, ChargeType: "Month", Quantity: 3 });
    await ok("GetCompShareInstanceUserPrice", { ...REGION, GpuType: "4090", GPU: 1, CPU: 16, Memory: 65536 });
    await ok("GetCompShareInstanceUpgradePrice", { ...REGION, UHostId: id, CPU: 64, Memory: 262144, GPU: 4 });
    await ok("GetCompShareRefundPrice", { ...REGION, "UHostIds.0": id, "UHostIds.1": other });
    await ok("GetCompShareInstanceMonitor", { Region: REGION.Region, "UHostIds.0": id, "UHostIds.1": other });
    await ok("GetCompShareInstanceMonitor", { Region: REGION.Region, "UHostIds.0": other, StartTime: now() - 600, EndTime: now() });

    // Disks: create on a running instance, then detach, grow and delete on a stopped one.
    const disk = (await ok("CreateAndAttachCompshareDisk", { ...REGION, UHostId: other, Size: 100, DiskType: "SSDDataDisk", Name: "scratch", ChargeType: "Dynamic" }))
      .UDiskId as string;
    await opsIdle(other);
    await ok("DescribeCompshareDisk", {});
    await ok("GetCompShareAttachedDiskUpgradePrice", { ...REGION, UHostId: other, DiskId: disk, DiskSpace: 200 });
    await ok("StopCompShareInstance", { ...REGION, UHostId: other });
    await untilState(other, "Stopped");
    await ok("DetachCompshareDisk", { ...REGION, UHostId: other, UDiskId: disk, Device: "/dev/vdb" });
    await opsIdle(other);
    await ok("ResizeCompShareDisk", { ...REGION, UDiskId: disk, Size: 150 });
    await ok("AttachCompshareDisk", { ...REGION, UHostId: other, UDiskId: disk });
    await opsIdle(other);
    await ok("DetachCompshareDisk", { ...REGION, UHostId: other, UDiskId: disk });
    await opsIdle(other);
    await ok("DeleteCompshareDisk", { ...REGION, UDiskId: disk });
    await ok("StartCompShareInstance", { ...REGION, UHostId: other });
    await untilState(other, "Running");

    // Sharing a custom image with another account, and what that account sees.
    const bob = await s.account("contract-bob");
    await ok("UpdateCompShareImage", { Region: REGION.Region, CompShareImageId: imageId, Name: "contract-image-2", Tags: ["PyTorch"] });
    await ok("DescribeCompShareImageTags", {});
    await ok("ModifyCompShareImageShareAccount", { Region: REGION.Region, CompShareImageId: imageId, "AddAccounts.0": bob.AccountNumber, "AddAccounts.1": 1 });
    await ok("DescribeCompShareImageShareAccounts", { Region: REGION.Region, CompShareImageId: imageId });
    const bobKeys = { PublicKey: bob.PublicKey, PrivateKey: bob.PrivateKey };
    const shared = await s.call("DescribeCompShareSharingImages", { Region: REGION.Region }, bobKeys);
    assert.equal(shared.body.RetCode, 0, JSON.stringify(shared.body));
    assert.deepEqual(parseWith(actions.DescribeCompShareSharingImages.response, { ImageSet: shared.body.ImageSet, TotalCount: shared.body.TotalCount }, "strict").issues, []);
    checked.set("DescribeCompShareSharingImages", 1);

    // A container instance (from an App image): ports, a custom image of it, and the community.
    const [box] = (await ok("CreateCompShareInstance", { ...CREATE, CompShareImageId: "compshareImage-pytorch24", ChargeType: "Postpay" })).UHostIds as string[];
    await untilState(box as string, "Running");
    await ok("UpdateCompShareInstancePorts", { ...REGION, UHostId: box as string, "HttpPorts.0": 8080, "TcpPorts.0": 6006 });
    const boxImage = (await ok("CreateCompShareCustomImage", { ...REGION, UHostId: box as string, Name: "box-image" })).CompShareImageId as string;
    await s.until(async () => {
      const body = await ok("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: boxImage });
      return (body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    }, 1000);
    await ok("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: boxImage, CommunityImageName: "box", VersionName: "v1.0", Price: 0, Tags: ["LLM"] });
    // In review until the operator approves it (ocs image review): the owner's list has it.
    const pending = (await ok("DescribeSelfCommunityImages", { Region: REGION.Region, Name: "box" })).ImageSet as Array<{ CompShareImageId: string; Status: string }>;
    assert.deepEqual(pending.map((v) => v.Status), ["Reviewing"]);
    await withAdmin(s.config, (a) => a.reviewImage((pending[0] as { CompShareImageId: string }).CompShareImageId, { approve: true }));
    const listed = await ok("DescribeCommunityImages", { Region: REGION.Region, Tag: "LLM" });
    const group = (listed.CompshareImageGroup as Array<{ GroupId: string; ImageName: string }>).find((g) => g.ImageName === "box");
    assert.ok(group, JSON.stringify(listed));
    await ok("DescribeCommunityImages", { Region: REGION.Region, SortCondition: { Field: "PubTime", ASC: true }, Limit: 1 });
    await ok("DescribeSelfCommunityImages", { Region: REGION.Region });
    await ok("DescribeUserCommunityImages", { Region: REGION.Region });
    await ok("CreateCompShareImageFavorite", { GroupId: group.GroupId });
    await ok("DeleteCompShareImageFavorite", { GroupId: group.GroupId });
    await ok("SwitchChargeType", { ...REGION, UHostId: id, DestChargeType: "Year" });
  }

  it("describes a Running instance with ints, floats, booleans and nested objects of the SDK's types", async () => {
    const createdAt = s.clock.now();
    const created = await ok("CreateCompShareInstance", {
      ...CREATE,
      Disks: [
        { IsBoot: true, Size: 50, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: 200, Type: "CLOUD_SSD" },
      ],
    });
    const id = (created.UHostIds as string[])[0] as string;
    await untilState(id, "Running");
    const res = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    assert.equal(typeof res.body.TotalCount, "number");
    const inst = (res.body.UHostSet as Array<Record<string, unknown>>)[0] as Record<string, unknown>;

    for (const key of ["CPU", "Memory", "GPU", "TotalDiskSpace", "CreateTime", "StartTime", "StopSchedulerTime", "UpdateTime"]) {
      assert.ok(Number.isInteger(inst[key]), `${key} should be a JSON integer, got ${JSON.stringify(inst[key])}`);
    }
    assert.equal(inst.CPU, CREATE.CPU);
    assert.equal(inst.Memory, CREATE.Memory);
    assert.equal(inst.GPU, CREATE.GPU);
    assert.equal(inst.TotalDiskSpace, 250);
    // Times are Unix seconds.
    assert.equal(inst.CreateTime, Math.floor(createdAt / 1000));
    assert.ok((inst.StartTime as number) >= (inst.CreateTime as number));
    assert.ok((inst.StartTime as number) < 1e11, "StartTime is in seconds, not milliseconds");

    assert.equal(typeof inst.InstancePrice, "number");
    assert.equal(inst.InstancePrice, 1001.95); // 4090 by the month: 1001.95 per GPU (the billing guide's list price), 1 GPU
    assert.equal(typeof inst.CompShareImagePrice, "number");
    assert.equal(typeof inst.SupportWithoutGpuStart, "boolean");

    const disks = inst.DiskSet as Array<Record<string, unknown>>;
    assert.deepEqual(
      disks.map((d) => d.IsBoot),
      ["True", "False"],
    );
    for (const d of disks) assert.ok(Number.isInteger(d.Size));
    assert.deepEqual(
      disks.map((d) => d.Size),
      [50, 200],
    );

    const gm = inst.GraphicsMemory as Record<string, unknown>;
    assert.equal(typeof gm, "object");
    assert.ok(gm !== null && !Array.isArray(gm));
    assert.equal(gm.Value, 24);
    assert.ok(Number.isInteger(gm.Rate));
    const spec = inst.WithoutGpuSpec as Record<string, unknown>;
    for (const key of ["Cpu", "Gpu", "Memory"]) assert.ok(Number.isInteger(spec[key]), `WithoutGpuSpec.${key}`);

    for (const ip of inst.IPSet as Array<Record<string, unknown>>) {
      assert.ok(Number.isInteger(ip.Bandwidth));
      assert.ok(Number.isInteger(ip.Weight));
      assert.equal(typeof ip.Default, "string");
    }
    const monitor = inst.MonitorMessages as { CpuUsageRate: unknown; GpuInfo: Array<Record<string, unknown>> };
    assert.equal(typeof monitor.CpuUsageRate, "string");
    assert.equal(monitor.GpuInfo.length, CREATE.GPU);
    for (const key of ["AutoRenew", "IsExpire"]) assert.ok(["Yes", "No"].includes(inst[key] as string), `${key}=${String(inst[key])}`);
    assert.equal(inst.State, "Running");
    assert.equal(inst.OsType, "Linux");
    assert.equal(inst.InstanceType, "UHost");
    assert.equal(inst.CompShareImageType, "System");

    // The check above has teeth: the same answer with one JSON type changed no longer decodes.
    const schema = actions.DescribeCompShareInstance.response;
    const fields = { TotalCount: res.body.TotalCount, UHostSet: res.body.UHostSet };
    assert.deepEqual(parseWith(schema, fields, "strict").issues, []);
    for (const [key, wrong] of [
      ["CPU", "16"],
      ["SupportWithoutGpuStart", "false"],
      ["InstancePrice", "1.88"],
    ] as const) {
      const mutated = { ...fields, UHostSet: [{ ...inst, [key]: wrong }] };
      const { issues } = parseWith(schema, mutated, "strict");
      assert.deepEqual(
        issues.map((i) => i.path),
        [`UHostSet.0.${key}`],
      );
    }
    const stringBoot = { ...fields, UHostSet: [{ ...inst, DiskSet: disks.map((d) => ({ ...d, IsBoot: d.IsBoot === "True" })) }] };
    assert.ok(parseWith(schema, stringBoot, "strict").issues.some((i) => i.path === "UHostSet.0.DiskSet.0.IsBoot"));
  });
});
