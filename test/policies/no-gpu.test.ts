/**
 * No-GPU mode (无卡模式): pay-as-you-go instances of the listed GPU types start from Stopped
 * without their GPUs, as 1 CPU and 4 GB, one per account, billed at the no-GPU price.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { REGION, startServer, type TestServer } from "../helpers/server.js";
import { balance, HOUR, runningInstance } from "./helpers.js";

interface View {
  UHostId: string;
  State: string;
  SupportWithoutGpuStart: boolean;
  WithoutGpuSpec: { Cpu: number; Memory: number; Gpu: number };
}

describe("no-GPU mode", () => {
  let s: TestServer;
  let other: { PublicKey: string; PrivateKey: string };
  before(async () => {
    s = await startServer();
    other = await s.account("other");
  });
  after(() => s.close());

  const view = async (id: string, keys = s.keys): Promise<View> => {
    const res = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id }, keys);
    return (res.body.UHostSet as View[])[0] as View;
  };
  const machine = async (id: string) => {
    const row = await s.app.store.db.selectFrom("sim_machines").select("spec").where("id", "=", id).executeTakeFirstOrThrow();
    return JSON.parse(row.spec) as { cpu: number; memory: number; gpu: number; gpuDevices: string[] };
  };
  const stopped = async (params: Record<string, string | number> = {}, keys = s.keys): Promise<string> => {
    const id = await runningInstance(s, { ChargeType: "Postpay", ...params }, keys);
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id }, keys)).body.RetCode, 0);
    await s.until(async () => (await s.state(id, keys)) === "Stopped");
    return id;
  };
  const start = (id: string, extra: Record<string, string | boolean> = {}, keys = s.keys) => s.call("StartCompShareInstance", { ...REGION, UHostId: id, ...extra }, keys);
  const stop = async (id: string, keys = s.keys) => {
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id }, keys)).body.RetCode, 0);
    await s.until(async () => (await s.state(id, keys)) === "Stopped");
  };

  it("starts a Stopped pay-as-you-go 4090 without its GPU: the machine gets 1 CPU, 4 GB and no GPU, and Describe shows it", async () => {
    const id = await stopped();
    const full = await machine(id);
    assert.equal(full.gpu, 1);
    assert.equal((await view(id)).SupportWithoutGpuStart, true);
    assert.deepEqual((await view(id)).WithoutGpuSpec, { Cpu: 0, Memory: 0, Gpu: 0 });

    assert.equal((await start(id, { WithoutGpu: true })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    assert.deepEqual(await machine(id), { ...full, cpu: 1, memory: 4096, gpu: 0, gpuDevices: [] });
    assert.deepEqual((await view(id)).WithoutGpuSpec, { Cpu: 1, Memory: 4096, Gpu: 0 });
    const listed = await s.call("DescribeCompShareInstance", { ...REGION, WithoutGpu: true });
    assert.deepEqual((listed.body.UHostSet as View[]).map((v) => v.UHostId), [id]);

    // Started normally again, the machine has its GPU back.
    await stop(id);
    assert.equal((await start(id)).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    assert.deepEqual(await machine(id), full);
    assert.deepEqual((await view(id)).WithoutGpuSpec, { Cpu: 0, Memory: 0, Gpu: 0 });
    await stop(id);
  });

  it("takes the official CLI's WithoutGpuSpec=A; refuses a specification that is not offered with 230", async () => {
    const id = await stopped();
    const b = await start(id, { WithoutGpuSpec: "B" });
    assert.equal(b.body.RetCode, 230);
    assert.match(String(b.body.Message), /WithoutGpuSpec/);
    assert.equal(await s.state(id), "Stopped", "a refused start changes nothing");
    assert.equal((await start(id, { WithoutGpuSpec: "A" })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    assert.equal((await machine(id)).gpu, 0);
    await stop(id);
  });

  it("allows one instance per account at a time (226619); another account is not held back; a stop frees the slot", async () => {
    const a = await stopped();
    const b = await stopped();
    assert.equal((await start(a, { WithoutGpu: true })).body.RetCode, 0);
    const second = await start(b, { WithoutGpu: true });
    assert.equal(second.body.RetCode, 226619);
    assert.match(String(second.body.Message), new RegExp(`^WithoutGpuLimit: instance ${a} `));
    assert.equal(await s.state(b), "Stopped");

    const theirs = await stopped({}, other);
    assert.equal((await start(theirs, { WithoutGpu: true }, other)).body.RetCode, 0);
    await s.until(async () => (await s.state(theirs, other)) === "Running");

    await s.until(async () => (await s.state(a)) === "Running");
    await stop(a);
    assert.equal((await start(b, { WithoutGpu: true })).body.RetCode, 0);
    await s.until(async () => (await s.state(b)) === "Running");
    await stop(b);
    await stop(theirs, other);
  });

  it("accepts exactly one of two concurrent no-GPU starts of one account", async () => {
    const a = await stopped();
    const b = await stopped();
    const answers = await Promise.all([start(a, { WithoutGpu: true }), start(b, { WithoutGpu: true })]);
    assert.deepEqual(answers.map((r) => r.body.RetCode).sort(), [0, 226619]);
    const won = answers[0]?.body.RetCode === 0 ? a : b;
    await s.until(async () => (await s.state(won)) === "Running");
    await stop(won);
  });

  it("refuses where a rule forbids it: prepaid (230), a GPU type not listed (230), not Stopped (8905)", async () => {
    const month = await runningInstance(s, { ChargeType: "Month" });
    await stop(month);
    const prepaid = await start(month, { WithoutGpu: true });
    assert.equal(prepaid.body.RetCode, 230);
    assert.match(String(prepaid.body.Message), /pay-as-you-go/);
    assert.equal((await view(month)).SupportWithoutGpuStart, false);

    const p40 = await stopped({ GpuType: "P40", CPU: 6, Memory: 61440 });
    const unlisted = await start(p40, { WithoutGpu: true });
    assert.equal(unlisted.body.RetCode, 230);
    assert.match(String(unlisted.body.Message), /no-GPU mode is for/);
    assert.equal((await view(p40)).SupportWithoutGpuStart, false);

    const running = await runningInstance(s, { ChargeType: "Postpay" });
    assert.equal((await start(running, { WithoutGpu: true })).body.RetCode, 8905);
    await stop(running);
  });

  it("ResizeCompShareInstance WithoutGpu: the instance then starts without GPUs until a compute resize", async () => {
    const id = await stopped();
    const resized = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, WithoutGpu: true });
    assert.equal(resized.body.RetCode, 0, JSON.stringify(resized.body));
    assert.deepEqual((await view(id)).WithoutGpuSpec, { Cpu: 1, Memory: 4096, Gpu: 0 });
    assert.equal((await start(id)).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    assert.equal((await machine(id)).gpu, 0);
    await stop(id);

    const both = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, WithoutGpu: true, Cpu: 16, Memory: 65536, Gpu: 1 });
    assert.equal(both.body.RetCode, 230);
    assert.equal((await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 16, Memory: 65536, Gpu: 1 })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    assert.deepEqual((await view(id)).WithoutGpuSpec, { Cpu: 0, Memory: 0, Gpu: 0 });
    assert.equal((await start(id)).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    assert.equal((await machine(id)).gpu, 1);

    const notStopped = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, WithoutGpu: true });
    assert.equal(notStopped.body.RetCode, 8010);
    await stop(id);
    const month = await runningInstance(s, { ChargeType: "Month" });
    await stop(month);
    assert.equal((await s.call("ResizeCompShareInstance", { ...REGION, UHostId: month, WithoutGpu: true })).body.RetCode, 230);
  });

  it("bills an hour in no-GPU mode at the no-GPU price, 0.15 CNY", async () => {
    const id = await stopped();
    assert.equal((await start(id, { WithoutGpu: true })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
    await s.clock.advance(HOUR);
    await s.app.policies.pass();
    const hours = (await balance(s)).Ledger.filter((e) => e.Kind === "hour" && e.UHostId === id && e.PeriodEnd - e.PeriodStart === 3600);
    assert.equal(hours.length, 1);
    assert.equal(hours[0]?.Amount, -0.15);
    assert.match(hours[0]?.Note ?? "", /no-GPU/);
    await stop(id);
  });
});
