/**
 * SDK → server, end to end: every typed method against the real pipeline (signature, contract
 * validation, operation engine), with the answers checked against the contract's types.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CompShareClient, RetCodeError, type ClientConfig } from "@opencompshare/sdk";
import { startServer, type TestServer } from "../helpers/server.js";

const CREATE = { CPU: 16, Memory: 65536, GPU: 1, GpuType: "4090", MachineType: "G", CompShareImageId: "compshareImage-ubuntu2204" };

describe("SDK → server", () => {
  let s: TestServer;
  let client: CompShareClient;
  const make = (extra: Partial<ClientConfig> = {}) =>
    new CompShareClient({ publicKey: s.keys.PublicKey, privateKey: s.keys.PrivateKey, baseUrl: s.url, validateResponses: true, ...extra });
  const state = async (id: string) => (await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.State;
  const reach = (id: string, wanted: string) => s.until(async () => (await state(id)) === wanted);
  before(async () => {
    s = await startServer();
    client = make();
  });
  after(() => s.close());

  it("creates, lists and reboots an instance; a second reboot is InstanceOperationInProgress with its request id", async () => {
    assert.deepEqual(await client.describeCompShareInstance(), {
      Action: "DescribeCompShareInstanceResponse",
      RetCode: 0,
      TotalCount: 0,
      UHostSet: [],
    });
    const { UHostIds } = await client.createCompShareInstance({ ...CREATE, Name: "训练", Disks: [{ IsBoot: true, Size: 80, Type: "CLOUD_SSD" }] });
    const id = UHostIds[0] as string;
    const listed = await client.describeCompShareInstance({ UHostIds: [id] });
    assert.equal(listed.UHostSet[0]?.Name, "训练");
    assert.equal(listed.UHostSet[0]?.TotalDiskSpace, 80);
    await reach(id, "Running");

    const reboot = await client.request("RebootCompShareInstance", { UHostId: id });
    assert.equal(reboot.data.UHostId, id);
    assert.equal(reboot.attempts, 1);
    assert.match(reboot.requestId ?? "", /^[0-9a-f-]{36}$/);
    await assert.rejects(client.rebootCompShareInstance({ UHostId: id }), (e: unknown) => {
      assert.ok(e instanceof RetCodeError);
      assert.equal(e.retCode, 226610);
      assert.equal(e.symbol, "InstanceOperationInProgress");
      assert.equal(e.action, "RebootCompShareInstance");
      assert.match(e.apiMessage, new RegExp(`^InstanceOperationInProgress: instance ${id} is locked by RebootCompShareInstance`));
      assert.ok(s.logs.some((l) => l.includes(`"reqId":"${e.requestId}"`) && l.includes('"retCode":226610')), "the request id is the server's");
      return true;
    });
    await reach(id, "Running");

    const ops = await client.describeCompShareInstanceOperations({ UHostId: id });
    const record = ops.OperationSet.find((o) => o.Action === "RebootCompShareInstance");
    assert.equal(record?.RequestId, reboot.requestId, "the operation record names the request that started it");
    assert.equal(record?.Status, "Succeeded");
  });

  it("runs the whole lifecycle through the typed methods", async () => {
    const id = (await client.createCompShareInstance(CREATE)).UHostIds[0] as string;
    await reach(id, "Running");
    assert.deepEqual(await client.modifyCompShareInstanceName({ UHostId: id, Name: "renamed" }), {
      Action: "ModifyCompShareInstanceNameResponse",
      RetCode: 0,
      UHostId: id,
    });
    const stopAt = Math.floor(s.clock.now() / 1000) + 3600;
    await client.updateCompShareStopScheduler({ UHostId: id, StopTime: stopAt });
    assert.equal((await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.StopSchedulerTime, stopAt);
    await client.deleteCompShareStopScheduler({ UHostId: id });
    await client.resetCompShareInstancePassword({ UHostId: id, Password: Buffer.from("n3w-Passw0rd").toString("base64") });
    await s.until(async () => (await client.describeCompShareInstanceOperations({ UHostId: id })).OperationSet.every((o) => o.Status !== "Running"));

    await client.stopCompShareInstance({ UHostId: id });
    await reach(id, "Stopped");
    await client.resizeCompShareInstance({ UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 });
    await reach(id, "Stopped");
    await s.until(async () => (await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.CPU === 32);
    await client.reinstallCompShareInstance({ UHostId: id, CompShareImageId: "compshareImage-pytorch24" });
    await reach(id, "Running");
    assert.equal((await client.describeCompShareInstance({ UHostIds: [id] })).UHostSet[0]?.CompShareImageId, "compshareImage-pytorch24");
    await client.stopCompShareInstance({ UHostId: id });
    await reach(id, "Stopped");
    await client.startCompShareInstance({ UHostId: id });
    await reach(id, "Running");

    const platform = await client.describeCompShareImages({ ImageType: "System" });
    assert.ok(platform.ImageSet.some((i) => i.CompShareImageId === "compshareImage-ubuntu2204"));
    const { CompShareImageId } = await client.createCompShareCustomImage({ UHostId: id, Name: "snap", Softwares: { CUDAVersion: "12.4" } });
    const progress = await client.getCompShareImageCreateProgress({ CompShareImageId });
    assert.equal(typeof progress.Process, "number");
    await s.until(async () => (await client.describeCompShareCustomImages({ CompShareImageId })).ImageSet[0]?.Status === "Available", 1000);
    assert.equal((await client.describeCompShareCustomImages({ CompShareImageId })).ImageSet[0]?.Softwares.CUDAVersion, "12.4");
    await client.terminateCompShareCustomImage({ CompShareImageId });
    assert.equal((await client.describeCompShareCustomImages()).ImageSet.some((i) => i.CompShareImageId === CompShareImageId), false);

    // CompShare deletes only a Stopped instance.
    await client.stopCompShareInstance({ UHostId: id });
    await s.until(async () => (await state(id)) === "Stopped");
    await client.terminateCompShareInstance({ UHostId: id });
    await s.until(async () => (await state(id)) === undefined);
    const actions = (await client.describeCompShareInstanceOperations({ UHostId: id, Limit: 100 })).OperationSet.map((o) => o.Action);
    for (const a of ["CreateCompShareInstance", "ResetCompShareInstancePassword", "ResizeCompShareInstance", "ReinstallCompShareInstance", "TerminateCompShareInstance"]) {
      assert.ok(actions.includes(a), `${a} recorded`);
    }
  });

  it("surfaces the server's errors as RetCodeErrors with their symbols", async () => {
    const expect = async (p: Promise<unknown>, symbol: string, retCode: number) =>
      assert.rejects(p, (e: unknown) => e instanceof RetCodeError && e.symbol === symbol && e.retCode === retCode && typeof e.requestId === "string");
    await expect(client.startCompShareInstance({ UHostId: "uhost-000000000000" }), "InstanceNotFound", 8039);
    await expect(client.invoke("FrobnicateCompShareInstance", {}), "ActionNotFound", 161);
    await expect(client.invoke("RebootCompShareInstance", {} as never), "MissingParams", 220);
    await expect(make({ privateKey: "not-the-key" }).describeCompShareInstance(), "SignatureError", 171);
    await expect(make({ publicKey: "nobody" }).describeCompShareInstance(), "UserNotExists", 172);
    await expect(make({ region: "cn-nowhere" }).describeCompShareInstance(), "ParamsNotAvailable", 230);
  });

  it("does not resend a Create the server refused: one request in the server's log", async () => {
    const before = s.logs.filter((l) => l.includes('"action":"CreateCompShareInstance"')).length;
    await assert.rejects(
      // 100 instances at once, all or none: more 4090s than the zone's hosts have.
      make({ maxRetries: 5 }).createCompShareInstance({ ...CREATE, Region: "cn-sh2", Zone: "cn-sh2-02", MaxCount: 100 }),
      (e: unknown) => e instanceof RetCodeError && e.symbol === "ResourceNotEnough",
    );
    assert.equal(s.logs.filter((l) => l.includes('"action":"CreateCompShareInstance"')).length - before, 1);
  });
});
