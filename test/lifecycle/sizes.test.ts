/**
 * Disk sizes: every action that sizes a disk takes the limits DescribeAvailableCompShareInstanceTypes
 * reports (a system disk up to its MaximalSize, a data disk from its MinimalSize to its
 * MaximalSize): CreateCompShareInstance, ResizeCompShareInstance (the system disk, or a data disk
 * by DiskId), CreateAndAttachCompshareDisk, ResizeCompShareDisk and
 * GetCompShareAttachedDiskUpgradePrice. Beyond them: 230 naming the parameter and the range, and
 * nothing changes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { allRunning, one, stopped } from "./helpers.js";

const POSTPAY = { ...CREATE, ChargeType: "Postpay" };

interface AvailableDisk {
  Name: string;
  MinimalSize?: number;
  MaximalSize: number;
}

describe("disk sizes", () => {
  let s: TestServer;
  /** What the server itself reports for the 4090's CLOUD_SSD. */
  let system: AvailableDisk;
  let data: AvailableDisk;
  before(async () => {
    s = await startServer();
    const res = await s.call("DescribeAvailableCompShareInstanceTypes", { ...REGION, "MachineTypes.0": "4090" });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const [type] = res.body.AvailableInstanceTypes as Array<{ Disks: Array<{ BootDisk: AvailableDisk[]; DataDisk: AvailableDisk[] }> }>;
    system = type?.Disks[0]?.BootDisk.find((d) => d.Name === "CLOUD_SSD") as AvailableDisk;
    data = type?.Disks[0]?.DataDisk.find((d) => d.Name === "CLOUD_SSD") as AvailableDisk;
  });
  after(() => s.close());

  const refusal = async (action: string, params: Record<string, unknown>): Promise<string> => {
    const res = await s.call(action, { ...REGION, ...params } as never);
    assert.equal(res.body.RetCode, 230, `${action}: ${JSON.stringify(res.body)}`);
    return res.body.Message as string;
  };

  it("the server reports a system disk of up to 1000 GB and a data disk of 10 to 1500 GB, for every type", async () => {
    assert.deepEqual([system.MinimalSize, system.MaximalSize, data.MinimalSize, data.MaximalSize], [undefined, 1000, 10, 1500]);
    const all = await s.call("DescribeAvailableCompShareInstanceTypes", REGION);
    for (const t of all.body.AvailableInstanceTypes as Array<{ Name: string; Disks: Array<{ BootDisk: AvailableDisk[]; DataDisk: AvailableDisk[] }> }>) {
      for (const d of t.Disks[0]?.BootDisk ?? []) assert.equal(d.MaximalSize, system.MaximalSize, `${t.Name} ${d.Name}`);
      for (const d of t.Disks[0]?.DataDisk ?? []) assert.deepEqual([d.MinimalSize, d.MaximalSize], [data.MinimalSize, data.MaximalSize], `${t.Name} ${d.Name}`);
    }
  });

  it("CreateCompShareInstance takes disks within those sizes and refuses one beyond", async () => {
    const disks = (boot: number, extra: number) => ({
      Disks: [
        { IsBoot: true, Size: boot, Type: "CLOUD_SSD" },
        { IsBoot: false, Size: extra, Type: "CLOUD_SSD" },
      ],
    });
    const before = (await s.call("DescribeCompShareInstance", REGION)).body.TotalCount;
    assert.match(await refusal("CreateCompShareInstance", { ...POSTPAY, ...disks(system.MaximalSize + 1, 100) }), /^Params \[Disks\.0\.Size\] not available: a system disk of \d+ to 1000 GB$/);
    assert.equal(await refusal("CreateCompShareInstance", { ...POSTPAY, ...disks(100, data.MaximalSize + 1) }), "Params [Disks.1.Size] not available: a data disk of 10 to 1500 GB");
    assert.equal(await refusal("CreateCompShareInstance", { ...POSTPAY, ...disks(100, (data.MinimalSize as number) - 1) }), "Params [Disks.1.Size] not available: a data disk of 10 to 1500 GB");
    assert.equal((await s.call("DescribeCompShareInstance", REGION)).body.TotalCount, before, "nothing was made");
    // The price of a Create takes the same sizes.
    const quote = { GpuType: "4090", Gpu: 1, Cpu: 16, Memory: 65536, ChargeType: "Postpay" };
    assert.equal(await refusal("GetCompShareInstancePrice", { ...quote, ...disks(100, data.MaximalSize + 1) }), "Params [Disks.1.Size] not available: a data disk of 10 to 1500 GB");
    assert.equal(await refusal("GetCompShareInstancePrice", { ...quote, ...disks(system.MaximalSize + 1, 100) }), "Params [Disks.0.Size] not available: a system disk of at most 1000 GB");
    const ok = await s.call("CreateCompShareInstance", { ...POSTPAY, ...disks(system.MaximalSize, data.MaximalSize) });
    assert.equal(ok.body.RetCode, 0, JSON.stringify(ok.body));
    const [id] = ok.body.UHostIds as string[];
    assert.deepEqual((await one(s, id as string)).DiskSet.map((d) => d.Size).sort((a, b) => a - b), [system.MaximalSize, data.MaximalSize].sort((a, b) => a - b));
  });

  it("ResizeCompShareInstance grows a system disk to its MaximalSize, no further (2000 GB: 230), and a data disk to its own", async () => {
    const res = await s.call("CreateCompShareInstance", { ...POSTPAY, Disks: [{ IsBoot: true, Size: 100, Type: "CLOUD_SSD" }, { IsBoot: false, Size: 100, Type: "CLOUD_SSD" }] });
    const [id] = res.body.UHostIds as string[];
    await allRunning(s, [id as string]);
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id as string })).body.RetCode, 0);
    await s.until(async () => (await s.state(id as string)) === "Stopped");
    const before = await one(s, id as string);
    const boot = before.DiskSet.find((d) => d.IsBoot === "True");
    const dataDisk = before.DiskSet.find((d) => d.IsBoot !== "True");
    assert.ok(boot && dataDisk);
    assert.equal(await refusal("ResizeCompShareInstance", { UHostId: id, DiskSpace: 2000 }), "Params [DiskSpace] not available: a system disk of at most 1000 GB");
    // Named by DiskId, the system disk has the same range.
    assert.equal(await refusal("ResizeCompShareInstance", { UHostId: id, DiskId: boot.DiskId, DiskSpace: system.MaximalSize + 1 }), "Params [DiskSpace] not available: a system disk of at most 1000 GB");
    assert.equal(await refusal("ResizeCompShareInstance", { UHostId: id, DiskId: dataDisk.DiskId, DiskSpace: data.MaximalSize + 1 }), "Params [DiskSpace] not available: a data disk of 10 to 1500 GB");
    assert.equal(await refusal("GetCompShareAttachedDiskUpgradePrice", { UHostId: id, DiskId: boot.DiskId, DiskSpace: system.MaximalSize + 1 }), "Params [DiskSpace] not available: a system disk of at most 1000 GB");
    assert.equal(await refusal("GetCompShareAttachedDiskUpgradePrice", { UHostId: id, DiskId: dataDisk.DiskId, DiskSpace: data.MaximalSize + 1 }), "Params [DiskSpace] not available: a data disk of 10 to 1500 GB");
    const unchanged = await one(s, id as string);
    assert.deepEqual([unchanged.State, unchanged.DiskSet], ["Stopped", before.DiskSet]);

    assert.equal((await s.call("GetCompShareAttachedDiskUpgradePrice", { ...REGION, UHostId: id as string, DiskId: boot.DiskId, DiskSpace: system.MaximalSize })).body.RetCode, 0);
    const grown = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id as string, DiskSpace: system.MaximalSize });
    assert.equal(grown.body.RetCode, 0, JSON.stringify(grown.body));
    await s.until(async () => (await s.state(id as string)) === "Stopped" && (await one(s, id as string)).DiskSet.some((d) => d.IsBoot === "True" && d.Size === system.MaximalSize));
    const dataGrown = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id as string, DiskId: dataDisk.DiskId, DiskSpace: data.MaximalSize });
    assert.equal(dataGrown.body.RetCode, 0, JSON.stringify(dataGrown.body));
    await s.until(async () => (await one(s, id as string)).DiskSet.some((d) => d.DiskId === dataDisk.DiskId && d.Size === data.MaximalSize));
  });

  it("CreateAndAttachCompshareDisk and ResizeCompShareDisk: a data disk of MinimalSize to MaximalSize", async () => {
    const id = await stopped(s);
    const attach = (size: number) => s.call("CreateAndAttachCompshareDisk", { ...REGION, UHostId: id, Size: size, DiskType: "SSDDataDisk", Name: "d", ChargeType: "Postpay" });
    for (const size of [(data.MinimalSize as number) - 1, data.MaximalSize + 1]) {
      const res = await attach(size);
      assert.equal(res.body.RetCode, 230, JSON.stringify(res.body));
      assert.equal(res.body.Message, "Params [Size] not available: a data disk of 10 to 1500 GB");
    }
    const made = await attach(data.MinimalSize as number);
    assert.equal(made.body.RetCode, 0, JSON.stringify(made.body));
    const disk = made.body.UDiskId as string;
    const inUse = async (size: number) => {
      const got = await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: disk });
      const [d] = got.body.DiskSet as Array<{ Status: string; Size: number }>;
      return d?.Status === "InUse" && d.Size === size;
    };
    await s.until(() => inUse(data.MinimalSize as number));
    assert.equal(await refusal("ResizeCompShareDisk", { UDiskId: disk, Size: data.MaximalSize + 1 }), "Params [Size] not available: a data disk of 10 to 1500 GB");
    assert.equal((await s.call("ResizeCompShareDisk", { ...REGION, UDiskId: disk, Size: data.MaximalSize })).body.RetCode, 0);
    await s.until(() => inUse(data.MaximalSize));
  });
});
