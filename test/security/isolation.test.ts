/**
 * Tenant isolation: another account can neither see nor touch an instance or a custom image,
 * and learns nothing from trying — it gets exactly the answer an unknown id gets.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NestedValue } from "@opencompshare/protocol";
import type { Credentials } from "@opencompshare/server";
import type { Keys } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

/**
 * Every action on an instance, with parameters that are valid for it, so that only ownership
 * can refuse it. Adding an action is one line.
 */
const INSTANCE_ACTIONS: ReadonlyArray<[action: string, extra: (now: number) => Record<string, NestedValue>]> = [
  ["StartCompShareInstance", () => ({})],
  ["StopCompShareInstance", () => ({})],
  ["RebootCompShareInstance", () => ({})],
  ["ResetCompShareInstancePassword", () => ({ Password: Buffer.from("Stolen-pass1").toString("base64") })],
  ["ReinstallCompShareInstance", () => ({ CompShareImageId: "compshareImage-pytorch24" })],
  ["ResizeCompShareInstance", () => ({ Cpu: 32, Memory: 131072, Gpu: 2 })],
  ["UpdateCompShareInstancePorts", () => ({ HttpPorts: [8080] })],
  ["SwitchChargeType", () => ({ DestChargeType: "Year" })],
  ["GetCompShareInstanceUpgradePrice", () => ({ CPU: 32, Memory: 131072, GPU: 2 })],
  ["CreateAndAttachCompshareDisk", () => ({ Size: 100, DiskType: "SSDDataDisk", Name: "stolen" })],
  ["GetCompShareAttachedDiskUpgradePrice", () => ({ DiskId: "bsi-000000000000", DiskSpace: 200 })],
  ["ModifyCompShareInstanceName", () => ({ Name: "pwned" })],
  ["UpdateCompShareStopScheduler", (now) => ({ StopTime: Math.floor(now / 1000) + 3600 })],
  ["DeleteCompShareStopScheduler", () => ({})],
  ["CreateCompShareCustomImage", () => ({ Name: "stolen" })],
  ["DescribeCompShareInstanceOperations", () => ({})],
  ["TerminateCompShareInstance", () => ({})],
];

const IMAGE_ACTIONS = [
  "GetCompShareImageCreateProgress",
  "TerminateCompShareCustomImage",
  "UpdateCompShareImage",
  "ModifyCompShareImageShareAccount",
  "DescribeCompShareImageShareAccounts",
  "PublishCompShareImage",
] as const;

interface Snapshot {
  instance: Record<string, unknown>;
  operations: number;
  images: unknown;
}

describe("tenant isolation", () => {
  let s: TestServer;
  let b: Credentials;
  let bKeys: Keys;
  let aProject: string;
  let aInstance: string;
  let aImage: string;
  let aStopAt: number;

  /** A's view of its own instance, operations and images. */
  async function snapshot(): Promise<Snapshot> {
    const d = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": aInstance });
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: aInstance, Limit: 100 });
    const imgs = await s.call("DescribeCompShareCustomImages", REGION);
    const instance = (d.body.UHostSet as Array<Record<string, unknown>>)[0];
    assert.ok(instance, "A's instance is listed for A");
    return { instance, operations: ops.body.TotalCount as number, images: imgs.body.ImageSet };
  }

  before(async () => {
    s = await startServer();
    // Account A: the default account of the server, with an instance and a custom image.
    aInstance = await s.running();
    const img = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: aInstance, Name: "a-private" });
    assert.equal(img.body.RetCode, 0, JSON.stringify(img.body));
    aImage = img.body.CompShareImageId as string;
    await s.until(async () => {
      const r = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: aImage });
      return (r.body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    }, 1000);
    aStopAt = Math.floor(s.clock.now() / 1000) + 7 * 86_400;
    assert.equal((await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: aInstance, StopTime: aStopAt })).body.RetCode, 0);
    const project = await s.app.store.db
      .selectFrom("projects")
      .innerJoin("accounts", "accounts.id", "projects.account_id")
      .select("projects.id")
      .where("accounts.name", "=", "default")
      .where("projects.is_default", "=", 1)
      .executeTakeFirstOrThrow();
    aProject = project.id;
    // Account B, with an instance of its own.
    b = await s.account("b");
    bKeys = { PublicKey: b.PublicKey, PrivateKey: b.PrivateKey, ProjectId: b.ProjectId };
    await s.running(bKeys);
  });
  after(async () => {
    await s.close();
  });

  it("answers every instance action of B on A's instance with InstanceNotFound (8039), as for an unknown id", async () => {
    const before = await snapshot();
    for (const [action, extra] of INSTANCE_ACTIONS) {
      const params = extra(s.clock.now());
      const res = await s.call(action, { ...REGION, UHostId: aInstance, ...params }, bKeys);
      assert.equal(res.body.RetCode, 8039, `${action} by B on A's instance: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.Action, `${action}Response`);
      // Indistinguishable from an id that does not exist.
      const unknown = await s.call(action, { ...REGION, UHostId: "uhost-000000000000", ...params }, bKeys);
      assert.equal(unknown.body.RetCode, 8039, `${action} on an unknown id: ${JSON.stringify(unknown.body)}`);
      assert.equal(res.body.Message, unknown.body.Message?.replace("uhost-000000000000", aInstance), action);
      assert.match(res.body.Message ?? "", /^InstanceNotFound: /);
      // Also through the JSON encoding of the JS SDK.
      const json = await s.call(action, { ...REGION, UHostId: aInstance, ...params }, bKeys, "json");
      assert.equal(json.body.RetCode, 8039, `${action} by B (JSON): ${JSON.stringify(json.body)}`);
    }
    // Let anything B might have set off run its course before comparing.
    await s.clock.advance(60_000);
    assert.deepEqual(await snapshot(), before, "A's instance, operations and images are untouched");
  });

  it("never lists A's instance to B, even when B asks for its id", async () => {
    const all = await s.call("DescribeCompShareInstance", { ...REGION, Limit: 100 }, bKeys);
    assert.equal(all.body.RetCode, 0);
    const ids = (all.body.UHostSet as Array<{ UHostId: string }>).map((i) => i.UHostId);
    assert.equal(all.body.TotalCount, 1);
    assert.ok(!ids.includes(aInstance));
    for (const params of [{ "UHostIds.0": aInstance }, { "UHostIds.0": aInstance, "UHostIds.1": ids[0] as string }, { UHostIds: [aInstance] }]) {
      const res = await s.call("DescribeCompShareInstance", { ...REGION, ...params }, bKeys);
      assert.equal(res.body.RetCode, 0);
      const listed = (res.body.UHostSet as Array<{ UHostId: string }>).map((i) => i.UHostId);
      assert.ok(!listed.includes(aInstance), JSON.stringify(res.body));
      assert.equal(res.body.TotalCount, listed.length);
    }
    // Without Region too.
    const bare = await s.call("DescribeCompShareInstance", { "UHostIds.0": aInstance }, bKeys);
    assert.equal(bare.body.TotalCount, 0);
    assert.deepEqual(bare.body.UHostSet, []);
  });

  it("hides A's custom image from B: not listed, no progress, no delete, no instance from it (226614)", async () => {
    const listed = await s.call("DescribeCompShareCustomImages", REGION, bKeys);
    assert.equal(listed.body.RetCode, 0);
    assert.equal(listed.body.TotalCount, 0);
    const byId = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: aImage }, bKeys);
    assert.equal(byId.body.TotalCount, 0);
    assert.deepEqual(byId.body.ImageSet, []);
    const platform = await s.call("DescribeCompShareImages", { ...REGION, CompShareImageId: aImage }, bKeys);
    assert.equal(platform.body.TotalCount, 0);

    for (const action of IMAGE_ACTIONS) {
      // PublishCompShareImage needs its VersionName to reach the image.
      const extra = action === "PublishCompShareImage" ? { VersionName: "v1.0" } : {};
      const res = await s.call(action, { ...REGION, CompShareImageId: aImage, ...extra }, bKeys);
      assert.equal(res.body.RetCode, 226614, `${action} by B on A's image: ${JSON.stringify(res.body)}`);
      assert.match(res.body.Message ?? "", /^ImageNotFound: /);
      const unknown = await s.call(action, { ...REGION, CompShareImageId: "compshareImage-000000000000", ...extra }, bKeys);
      assert.equal(res.body.Message, unknown.body.Message?.replace("compshareImage-000000000000", aImage), action);
    }
    const create = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: aImage }, bKeys);
    assert.equal(create.body.RetCode, 226614, JSON.stringify(create.body));
    const bOwn = await s.call("DescribeCompShareInstance", { ...REGION, Limit: 1 }, bKeys);
    const bId = (bOwn.body.UHostSet as Array<{ UHostId: string }>)[0]?.UHostId as string;
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: bId }, bKeys)).body.RetCode, 0);
    await s.until(async () => (await s.state(bId, bKeys)) === "Stopped");
    const reinstall = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: bId, CompShareImageId: aImage }, bKeys);
    assert.equal(reinstall.body.RetCode, 226614, JSON.stringify(reinstall.body));

    // A still has it, Available.
    const own = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: aImage });
    assert.equal((own.body.ImageSet as Array<{ Status: string }>)[0]?.Status, "Available");
  });

  it("answers the batch actions of B on A's instance as for unknown ids: no monitoring data, no refund", async () => {
    const monitor = await s.call("GetCompShareInstanceMonitor", { Region: REGION.Region, UHostIds: [aInstance] }, bKeys);
    assert.equal(monitor.body.RetCode, 8039, JSON.stringify(monitor.body));
    const unknown = await s.call("GetCompShareInstanceMonitor", { Region: REGION.Region, UHostIds: ["uhost-000000000000"] }, bKeys);
    assert.equal(monitor.body.Message, unknown.body.Message?.replace("uhost-000000000000", aInstance));
    const refund = await s.call("GetCompShareRefundPrice", { ...REGION, UHostIds: [aInstance, "uhost-000000000000"] }, bKeys);
    assert.equal(refund.body.RetCode, 0, JSON.stringify(refund.body));
    const [mine, none] = refund.body.RefundPriceSet as Array<{ UHostId: string; Code: number; Message: string; RefundPrice: number }>;
    assert.deepEqual([mine?.Code, mine?.RefundPrice, none?.Code], [8039, 0, 8039]);
    assert.equal(mine?.Message, none?.Message.replace("uhost-000000000000", aInstance));
  });

  it("keeps each account's data disks its own: B cannot see, attach, detach, grow or delete A's disk (226616)", async () => {
    const made = await s.call("CreateAndAttachCompshareDisk", { ...REGION, UHostId: aInstance, Size: 50, DiskType: "SSDDataDisk", Name: "a-data" });
    assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
    const aDisk = made.body.UDiskId as string;
    await s.until(async () => ((await s.call("DescribeCompshareDisk", {})).body.DiskSet as Array<{ Status: string }>).every((d) => d.Status === "InUse"));
    const listed = await s.call("DescribeCompshareDisk", { UDiskId: aDisk }, bKeys);
    assert.deepEqual([listed.body.RetCode, listed.body.TotalCount], [0, 0]);
    const bOwn = (await s.call("DescribeCompShareInstance", { ...REGION, Limit: 1 }, bKeys)).body.UHostSet as Array<{ UHostId: string }>;
    const bId = bOwn[0]?.UHostId as string;
    for (const [action, params] of [
      ["AttachCompshareDisk", { UHostId: bId }],
      ["DetachCompshareDisk", { UHostId: aInstance }],
      ["ResizeCompShareDisk", { Size: 500 }],
      ["DeleteCompshareDisk", {}],
    ] as const) {
      const res = await s.call(action, { ...REGION, UDiskId: aDisk, ...params }, bKeys);
      assert.equal(res.body.RetCode, 226616, `${action} by B on A's disk: ${JSON.stringify(res.body)}`);
      const unknown = await s.call(action, { ...REGION, UDiskId: "bsi-000000000000", ...params }, bKeys);
      assert.equal(res.body.Message, unknown.body.Message?.replace("bsi-000000000000", aDisk), action);
    }
    const still = await s.call("DescribeCompshareDisk", { UDiskId: aDisk });
    assert.deepEqual((still.body.DiskSet as Array<{ Status: string; Size: number; MountInstance: string }>).map((d) => [d.Status, d.Size, d.MountInstance]), [["InUse", 50, aInstance]]);
  });

  it("shares a custom image only with the accounts named, and community listings show no private image", async () => {
    const before = await s.call("DescribeCompShareSharingImages", { Region: REGION.Region }, bKeys);
    assert.equal(before.body.TotalCount, 0);
    const share = await s.call("ModifyCompShareImageShareAccount", { Region: REGION.Region, CompShareImageId: aImage, AddAccounts: [b.AccountNumber, 999999] });
    assert.deepEqual(share.body.InvalidAccounts, [999999]);
    const shared = await s.call("DescribeCompShareSharingImages", { Region: REGION.Region }, bKeys);
    assert.deepEqual((shared.body.ImageSet as Array<{ CompShareImageId: string }>).map((i) => i.CompShareImageId), [aImage]);
    // B may boot it now, and still may not delete, update or share it.
    for (const action of ["TerminateCompShareCustomImage", "UpdateCompShareImage", "ModifyCompShareImageShareAccount"]) {
      assert.equal((await s.call(action, { ...REGION, CompShareImageId: aImage }, bKeys)).body.RetCode, 226614, action);
    }
    const community = await s.call("DescribeCommunityImages", { Region: REGION.Region }, bKeys);
    assert.ok(!(community.body.ImageSet as Array<{ CompShareImageId: string }>).some((i) => i.CompShareImageId === aImage));
    const unshare = await s.call("ModifyCompShareImageShareAccount", { Region: REGION.Region, CompShareImageId: aImage, RemoveAccounts: [b.AccountNumber] });
    assert.deepEqual(unshare.body.InvalidAccounts, []);
    assert.equal((await s.call("DescribeCompShareSharingImages", { Region: REGION.Region }, bKeys)).body.TotalCount, 0);
  });

  it("refuses a ProjectId of another account with 292, whichever keys sign", async () => {
    const aWithB = await s.call("DescribeCompShareInstance", { ...REGION, ProjectId: b.ProjectId });
    assert.equal(aWithB.body.RetCode, 292, JSON.stringify(aWithB.body));
    assert.match(aWithB.body.Message ?? "", /^ProjectNotExists: /);
    const stop = await s.call("StopCompShareInstance", { ...REGION, UHostId: aInstance, ProjectId: b.ProjectId });
    assert.equal(stop.body.RetCode, 292);
    const bWithA = await s.call("DescribeCompShareInstance", { ...REGION, ProjectId: aProject }, bKeys);
    assert.equal(bWithA.body.RetCode, 292);
    const bOnA = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: aInstance, ProjectId: aProject }, bKeys);
    assert.equal(bOnA.body.RetCode, 292);
    const bImage = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: aImage, ProjectId: aProject }, bKeys);
    assert.equal(bImage.body.RetCode, 292);
  });

  it("left A's instance as it was: Running, same name, shape, password and schedule", async () => {
    const { instance } = await snapshot();
    assert.equal(instance.State, "Running");
    assert.equal(instance.Name, "host");
    assert.equal(instance.CPU, CREATE.CPU);
    assert.equal(instance.Memory, CREATE.Memory);
    assert.equal(instance.GPU, CREATE.GPU);
    assert.equal(instance.CompShareImageId, CREATE.CompShareImageId);
    assert.notEqual(instance.Password, Buffer.from("Stolen-pass1").toString("base64"));
    assert.equal(instance.StopSchedulerTime, aStopAt);
    // And A can still act on it.
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: aInstance })).body.RetCode, 0);
    await s.until(async () => (await s.state(aInstance)) === "Running");
  });
});
