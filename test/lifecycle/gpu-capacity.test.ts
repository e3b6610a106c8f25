/**
 * GPU capacity on one host of four GPUs: a Create or a resize that does not fit is refused with
 * ResourceNotEnough creating nothing, MaxCount is all or none, and a terminate or a shrink gives
 * the GPUs back, as CheckCompShareResourceCapacity answers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { allRunning, create, list, one } from "./helpers.js";

/** A 4090 size of `gpu` GPUs: 16 CPUs and 64 GB of memory per GPU (the catalog's 4090 sizes). */
const size = (gpu: number) => ({ GPU: gpu, CPU: 16 * gpu, Memory: 65536 * gpu });

describe("GPU capacity", () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ocs-catalog-"));
    const file = join(dir, "catalog.json");
    // One host with 4 GPUs (and room for their CPUs and memory): placement, not a pool, decides.
    const fleet = [{ zone: "cn-wlcb-01", gpuType: "4090", hosts: 1, gpusPerHost: 4, cpusPerHost: 64, memoryGbPerHost: 256, cpuPlatform: "Amd/EPYC3" }];
    writeFileSync(file, JSON.stringify({ fleet }));
    s = await startServer({ env: { OCS_CATALOG: file } });
  });
  after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function capacity(): Promise<Map<number, boolean>> {
    const res = await s.call("CheckCompShareResourceCapacity", {
      ...REGION,
      GpuType: "4090",
      MachineType: "G",
      MinimalCpuPlatform: "Auto",
      CompShareImageId: CREATE.CompShareImageId,
      ChargeType: "Postpay",
      Disks: [{ IsBoot: true, Type: "CLOUD_SSD", Size: 100 }],
    });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const specs = res.body.Specs as Array<{ Gpu: number; Cpu: number; Mem: number; ResourceEnough: boolean }>;
    return new Map(specs.filter((x) => x.Mem === 64 * x.Gpu).map((x) => [x.Gpu, x.ResourceEnough]));
  }

  it("refuses with ResourceNotEnough (226604) creating nothing, and gives capacity back on terminate", async () => {
    const [first] = await create(s, size(2));
    await allRunning(s, [first as string]);
    assert.equal((await list(s)).total, 1);
    // The capacity check answers from the same free resources: 2 more GPUs fit, 3 do not.
    const now = await capacity();
    assert.equal(now.get(2), true);
    assert.equal(now.get(3), false);

    const tooMany = await s.call("CreateCompShareInstance", { ...CREATE, ...size(3) });
    assert.equal(tooMany.body.RetCode, 226604, JSON.stringify(tooMany.body));
    assert.match(tooMany.body.Message ?? "", /^ResourceNotEnough: .*4090/);
    assert.equal((await list(s)).total, 1);

    // Terminating the first gives its 2 GPUs back: the refused Create now fits.
    await s.stop(first as string);
    assert.equal((await s.call("TerminateCompShareInstance", { ...REGION, UHostId: first as string })).body.RetCode, 0);
    await s.until(async () => (await list(s)).total === 0);
    assert.equal((await capacity()).get(4), true);
    const retry = await s.call("CreateCompShareInstance", { ...CREATE, ...size(3) });
    assert.equal(retry.body.RetCode, 0, JSON.stringify(retry.body));
    const [second] = retry.body.UHostIds as string[];
    await allRunning(s, [second as string]);
    // 3 of 4 in use: one more fits, two do not.
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, ...size(2) })).body.RetCode, 226604);
    const last = await create(s, size(1));
    await allRunning(s, last);
    assert.equal((await list(s)).total, 2);
    assert.equal((await capacity()).get(1), false);
  });

  it("creates MaxCount instances all or none", async () => {
    // Every GPU is in use: two instances of one GPU each do not fit, and neither is created.
    const res = await s.call("CreateCompShareInstance", { ...CREATE, ...size(1), MaxCount: 2 });
    assert.equal(res.body.RetCode, 226604, JSON.stringify(res.body));
    assert.match(res.body.Message ?? "", /instance 1 of 2/);
    assert.equal((await list(s)).total, 2);
  });

  it("reserves GPUs when a resize grows and gives them back when it shrinks", async () => {
    // The previous test left all 4 GPUs in use (3 + 1).
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, ...size(1) })).body.RetCode, 226604);
    const { set } = await list(s);
    const big = set.find((i) => i.GPU === 3);
    assert.ok(big);
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: big.UHostId })).body.RetCode, 0);
    await s.until(async () => (await s.state(big.UHostId)) === "Stopped");
    const { GPU: gpu4, CPU: cpu4, Memory: mem4 } = size(4);
    const grow = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: big.UHostId, Gpu: gpu4, Cpu: cpu4, Memory: mem4 });
    assert.equal(grow.body.RetCode, 226604, JSON.stringify(grow.body));
    assert.equal((await one(s, big.UHostId)).GPU, 3);
    const { GPU: gpu1, CPU: cpu1, Memory: mem1 } = size(1);
    assert.equal((await s.call("ResizeCompShareInstance", { ...REGION, UHostId: big.UHostId, Gpu: gpu1, Cpu: cpu1, Memory: mem1 })).body.RetCode, 0);
    await s.until(async () => (await s.state(big.UHostId)) === "Stopped");
    assert.equal((await one(s, big.UHostId)).GPU, 1);
    const fits = await create(s, size(2));
    await allRunning(s, fits);
  });
});
