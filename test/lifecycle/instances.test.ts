/** The instance lifecycle, end to end through the HTTP API, against compshare-api.md. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { NestedValue } from "@opencompshare/protocol";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

interface Disk {
  DiskId: string;
  IsBoot: string;
  Size: number;
  DiskType: string;
}

interface Inst {
  UHostId: string;
  Name: string;
  ChargeType: string;
  ExpireTime: number;
  IsExpire: string;
  State: string;
  CPU: number;
  Memory: number;
  GPU: number;
  GpuType: string;
  MachineType: string;
  CompShareImageId: string;
  CompShareImageName: string;
  Password: string;
  StopSchedulerTime: number;
  SchedulerStopTime: number;
  TotalDiskSpace: number;
  DiskSet: Disk[];
}

interface Listing {
  total: number;
  set: Inst[];
}

async function list(s: TestServer, params: Record<string, NestedValue> = {}): Promise<Listing> {
  const res = await s.call("DescribeCompShareInstance", { ...REGION, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return { total: res.body.TotalCount as number, set: res.body.UHostSet as Inst[] };
}

async function one(s: TestServer, id: string): Promise<Inst> {
  const { set } = await list(s, { "UHostIds.0": id });
  assert.equal(set.length, 1, `instance ${id} should be listed`);
  return set[0] as Inst;
}

async function create(s: TestServer, params: Record<string, NestedValue> = {}): Promise<string[]> {
  const res = await s.call("CreateCompShareInstance", { ...CREATE, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return res.body.UHostIds as string[];
}

async function allRunning(s: TestServer, ids: string[]): Promise<void> {
  await s.until(async () => {
    const { set } = await list(s, { UHostIds: ids, Limit: 100 });
    return set.length === ids.length && set.every((i) => i.State === "Running");
  });
}

async function stopped(s: TestServer): Promise<string> {
  const id = await s.running();
  assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
  await s.until(async () => (await s.state(id)) === "Stopped");
  return id;
}

/** Waits until no operation of the instance is still running. */
async function idle(s: TestServer, id: string): Promise<void> {
  await s.until(async () => {
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
    return (ops.body.OperationSet as Array<{ Status: string }>).every((o) => o.Status !== "Running");
  });
}

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

describe("instance lifecycle", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  describe("CreateCompShareInstance", () => {
    it("creates an instance that goes Initializing, then Running, with the requested shape", async () => {
      const res = await s.call("CreateCompShareInstance", CREATE);
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
      assert.equal(res.body.Action, "CreateCompShareInstanceResponse");
      const ids = res.body.UHostIds as string[];
      assert.equal(ids.length, 1);
      const id = ids[0] as string;
      assert.match(id, /^uhost-/);
      assert.equal(await s.state(id), "Initializing");
      await s.until(async () => (await s.state(id)) === "Running");
      const inst = await one(s, id);
      assert.equal(inst.CPU, CREATE.CPU);
      assert.equal(inst.Memory, CREATE.Memory);
      assert.equal(inst.GPU, CREATE.GPU);
      assert.equal(inst.GpuType, CREATE.GpuType);
      assert.equal(inst.MachineType, CREATE.MachineType);
      assert.equal(inst.CompShareImageId, CREATE.CompShareImageId);
    });

    it("keeps the base64 Password given at creation", async () => {
      const password = b64("Cr3ate-pass");
      const [id] = await create(s, { Password: password });
      assert.equal((await one(s, id as string)).Password, password);
      await allRunning(s, [id as string]);
    });

    it("reads Quantity as the purchase duration, as the official SDKs document it: one instance, prepaid that long", async () => {
      const now = s.clock.now();
      const months = await create(s, { Quantity: 3, ChargeType: "Month", Name: "trainer" });
      assert.equal(months.length, 1);
      const inst = await one(s, months[0] as string);
      assert.equal(inst.Name, "trainer");
      assert.equal(inst.ChargeType, "Month");
      const expected = new Date(now);
      expected.setUTCMonth(expected.getUTCMonth() + 3);
      assert.equal(inst.ExpireTime, Math.floor(expected.getTime() / 1000));
      assert.equal(inst.IsExpire, "No");
      // Quantity 0 (to the end of the month) is not supported, as CompShare's create page says.
      const zero = await s.call("CreateCompShareInstance", { ...CREATE, Quantity: 0, ChargeType: "Month" });
      assert.equal(zero.body.RetCode, 230, JSON.stringify(zero.body));
      assert.match(zero.body.Message ?? "", /^Params \[Quantity\] not available/);
      // Dynamic (按时) is bought by the hour: Quantity hours. Pay as you go never expires.
      const at = s.clock.now();
      const [dynamic] = await create(s, { Quantity: 5, ChargeType: "Dynamic" });
      assert.equal((await one(s, dynamic as string)).ExpireTime, Math.floor((at + 5 * 3_600_000) / 1000));
      const [postpay] = await create(s, { ChargeType: "Postpay" });
      assert.equal((await one(s, postpay as string)).ExpireTime, 0);
      await allRunning(s, [months[0] as string, dynamic as string, postpay as string]);
    });

    it("accepts Disks with exactly one boot disk and lists the boot disk first", async () => {
      const [id] = await create(s, {
        Disks: [
          { IsBoot: false, Size: 200, Type: "CLOUD_SSD" },
          { IsBoot: true, Size: 80, Type: "CLOUD_SSD" },
        ],
      });
      const inst = await one(s, id as string);
      assert.deepEqual(
        inst.DiskSet.map((d) => [d.IsBoot, d.Size]),
        [
          ["True", 80],
          ["False", 200],
        ],
      );
      assert.equal(inst.TotalDiskSpace, 280);
      await allRunning(s, [id as string]);
    });

    it("refuses Disks with no boot disk or with two, creating nothing", async () => {
      const before = (await list(s)).total;
      for (const disks of [
        [{ IsBoot: false, Size: 100, Type: "CLOUD_SSD" }],
        [
          { IsBoot: true, Size: 50, Type: "CLOUD_SSD" },
          { IsBoot: true, Size: 60, Type: "CLOUD_SSD" },
        ],
      ]) {
        const res = await s.call("CreateCompShareInstance", { ...CREATE, Disks: disks });
        assert.equal(res.body.RetCode, 230, JSON.stringify(res.body));
        assert.match(res.body.Message ?? "", /^Params \[Disks\] not available: exactly one disk has IsBoot true/);
      }
      assert.equal((await list(s)).total, before);
    });

    it("refuses an unknown GpuType with 230 naming GpuType", async () => {
      const res = await s.call("CreateCompShareInstance", { ...CREATE, GpuType: "B200-nope" });
      assert.equal(res.body.RetCode, 230);
      assert.match(res.body.Message ?? "", /^Params \[GpuType\] not available: cn-wlcb-01 does not sell B200-nope/);
    });

    it("refuses a MachineType other than G with 230 naming MachineType", async () => {
      const res = await s.call("CreateCompShareInstance", { ...CREATE, MachineType: "X" });
      assert.equal(res.body.RetCode, 230);
      assert.match(res.body.Message ?? "", /^Params \[MachineType\] not available/);
    });

    it("refuses an unknown image with ImageNotFound (226614), creating nothing", async () => {
      const before = (await list(s)).total;
      const res = await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: "compshareImage-nope" });
      assert.equal(res.body.RetCode, 226614);
      assert.match(res.body.Message ?? "", /^ImageNotFound: .*compshareImage-nope/);
      assert.equal((await list(s)).total, before);
    });
  });

  describe("Stop, Start and Terminate", () => {
    it("stops a Running instance: Stopping, then Stopped", async () => {
      const id = await s.running();
      const res = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
      assert.deepEqual(res.body, { Action: "StopCompShareInstanceResponse", RetCode: 0, UHostId: id });
      assert.equal(await s.state(id), "Stopping");
      await s.until(async () => (await s.state(id)) === "Stopped");
    });

    it("starts a Stopped instance: Starting, then Running", async () => {
      const id = await stopped(s);
      const res = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
      assert.deepEqual(res.body, { Action: "StartCompShareInstanceResponse", RetCode: 0, UHostId: id });
      assert.equal(await s.state(id), "Starting");
      await s.until(async () => (await s.state(id)) === "Running");
    });

    it("refuses to start a Running instance or stop a Stopped one with InstanceStateInvalid (8905)", async () => {
      const id = await s.running();
      const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
      assert.equal(start.body.RetCode, 8905);
      assert.match(start.body.Message ?? "", new RegExp(`^InstanceStateInvalid: .*${id}`));
      assert.equal(await s.state(id), "Running");
      await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
      await s.until(async () => (await s.state(id)) === "Stopped");
      const stop = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
      assert.equal(stop.body.RetCode, 8905);
      assert.match(stop.body.Message ?? "", /^InstanceStateInvalid: /);
    });

    it("terminates: the instance leaves Describe and later calls answer InstanceNotFound (8039)", async () => {
      const id = await s.running();
      const before = (await list(s)).total;
      const res = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
      assert.deepEqual(res.body, { Action: "TerminateCompShareInstanceResponse", RetCode: 0, UHostId: id, InRecycle: "Yes" });
      await s.until(async () => (await s.state(id)) === undefined);
      assert.equal((await list(s)).total, before - 1);
      assert.equal((await list(s, { "UHostIds.0": id })).total, 0);
      for (const action of ["StartCompShareInstance", "TerminateCompShareInstance", "RebootCompShareInstance"]) {
        const later = await s.call(action, { ...REGION, UHostId: id });
        assert.equal(later.body.RetCode, 8039, `${action}: ${JSON.stringify(later.body)}`);
        assert.match(later.body.Message ?? "", new RegExp(`^InstanceNotFound: .*${id}`));
      }
      // The operation records stay (docs/extensions.md): the Terminate ended Succeeded.
      const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      assert.equal(ops.body.RetCode, 0);
      const terminate = (ops.body.OperationSet as Array<Record<string, unknown>>).find((o) => o.Action === "TerminateCompShareInstance");
      assert.equal(terminate?.Status, "Succeeded");
      assert.equal(terminate?.RequestId, res.requestId);
    });
  });

  describe("ResetCompShareInstancePassword", () => {
    it("sets the new base64 password, shown by Describe when done", async () => {
      const id = await s.running();
      const password = b64("N3w-pass!word");
      assert.notEqual((await one(s, id)).Password, password);
      const res = await s.call("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: password });
      assert.deepEqual(res.body, { Action: "ResetCompShareInstancePasswordResponse", RetCode: 0, UHostId: id });
      await idle(s, id);
      const inst = await one(s, id);
      assert.equal(inst.Password, password);
      assert.equal(inst.State, "Running");
    });

    it("refuses a Password that is not base64 with 230", async () => {
      const id = await s.running();
      const res = await s.call("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: "not base64!" });
      assert.equal(res.body.RetCode, 230);
      assert.equal(res.body.Message, "Params [Password] not available: the password base64-encoded, at most 512 characters");
    });
  });

  describe("ReinstallCompShareInstance", () => {
    it("refuses a Running instance with InstanceMustBeStopped (8010)", async () => {
      const id = await s.running();
      const res = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-pytorch24" });
      assert.equal(res.body.RetCode, 8010);
      assert.match(res.body.Message ?? "", new RegExp(`^InstanceMustBeStopped: .*${id}`));
      assert.equal((await one(s, id)).CompShareImageId, CREATE.CompShareImageId);
    });

    it("reinstalls a Stopped instance: Initializing, then Running on the new image, with the new password", async () => {
      const id = await stopped(s);
      const password = b64("reinstalled-pass");
      const res = await s.call("ReinstallCompShareInstance", {
        ...REGION,
        UHostId: id,
        CompShareImageId: "compshareImage-pytorch24",
        Password: password,
      });
      assert.deepEqual(res.body, { Action: "ReinstallCompShareInstanceResponse", RetCode: 0, UHostId: id });
      assert.equal(await s.state(id), "Initializing");
      await s.until(async () => (await s.state(id)) === "Running");
      const inst = await one(s, id);
      assert.equal(inst.CompShareImageId, "compshareImage-pytorch24");
      assert.equal(inst.CompShareImageName, "PyTorch 2.4 Ubuntu 22.04");
      assert.equal(inst.Password, password);
    });

    it("refuses an unknown image with ImageNotFound (226614) and leaves the instance Stopped", async () => {
      const id = await stopped(s);
      const res = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-nope" });
      assert.equal(res.body.RetCode, 226614);
      assert.match(res.body.Message ?? "", /^ImageNotFound: /);
      const inst = await one(s, id);
      assert.equal(inst.State, "Stopped");
      assert.equal(inst.CompShareImageId, CREATE.CompShareImageId);
    });
  });

  describe("ResizeCompShareInstance", () => {
    it("refuses a Running instance with InstanceMustBeStopped (8010)", async () => {
      const id = await s.running();
      const res = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 });
      assert.equal(res.body.RetCode, 8010);
      assert.match(res.body.Message ?? "", new RegExp(`^InstanceMustBeStopped: .*${id}`));
      assert.equal((await one(s, id)).CPU, CREATE.CPU);
    });

    it("resizes a Stopped instance through Resizing, ending Stopped with the new CPU, Memory and GPU, then the boot disk", async () => {
      const id = await stopped(s);
      const before = await one(s, id);
      const boot = before.DiskSet.find((d) => d.IsBoot === "True");
      assert.ok(boot);
      // A compute resize and a disk resize are separate requests, as CompShare's page says.
      const both = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2, DiskSpace: boot.Size + 50 });
      assert.equal(both.body.RetCode, 230, JSON.stringify(both.body));
      const partial = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32 });
      assert.equal(partial.body.RetCode, 220, JSON.stringify(partial.body));
      assert.equal(partial.body.Message, "Missing params [Memory, Gpu]");
      const odd = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 20, Memory: 131072, Gpu: 2 });
      assert.equal(odd.body.RetCode, 230, JSON.stringify(odd.body));
      assert.match(odd.body.Message ?? "", /^Params \[Cpu\] not available/);
      const res = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 });
      assert.deepEqual(res.body, { Action: "ResizeCompShareInstanceResponse", RetCode: 0, UHostId: id });
      assert.equal(await s.state(id), "Resizing");
      await s.until(async () => (await s.state(id)) === "Stopped");
      const disk = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, DiskSpace: boot.Size + 50 });
      assert.equal(disk.body.RetCode, 0, JSON.stringify(disk.body));
      await s.until(async () => (await s.state(id)) === "Stopped" && (await one(s, id)).TotalDiskSpace === before.TotalDiskSpace + 50);
      const inst = await one(s, id);
      assert.equal(inst.CPU, 32);
      assert.equal(inst.Memory, 131072);
      assert.equal(inst.GPU, 2);
      const grown = inst.DiskSet.find((d) => d.IsBoot === "True");
      assert.equal(grown?.DiskId, boot.DiskId);
      assert.equal(grown?.Size, boot.Size + 50);
      // It starts again with its new shape.
      assert.equal((await s.call("StartCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
      await s.until(async () => (await s.state(id)) === "Running");
      assert.equal((await one(s, id)).CPU, 32);
    });

    it("refuses to shrink a disk with 230 and changes nothing", async () => {
      const id = await stopped(s);
      const before = await one(s, id);
      const boot = before.DiskSet.find((d) => d.IsBoot === "True");
      assert.ok(boot);
      const res = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, DiskSpace: boot.Size - 10 });
      assert.equal(res.body.RetCode, 230);
      assert.match(res.body.Message ?? "", /^Params \[DiskSpace\] not available: disks only grow/);
      const inst = await one(s, id);
      assert.equal(inst.State, "Stopped");
      assert.equal(inst.CPU, before.CPU);
      assert.deepEqual(inst.DiskSet, before.DiskSet);
      // Nothing holds the instance: a valid resize is accepted right away.
      assert.equal((await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 })).body.RetCode, 0);
      await s.until(async () => (await s.state(id)) === "Stopped");
      assert.equal((await one(s, id)).CPU, 32);
    });

    it("grows the disk named by DiskId, and refuses a DiskId the instance does not have", async () => {
      const [id] = await create(s, {
        Disks: [
          { IsBoot: true, Size: 50, Type: "CLOUD_SSD" },
          { IsBoot: false, Size: 100, Type: "CLOUD_SSD" },
        ],
      });
      await allRunning(s, [id as string]);
      assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id as string })).body.RetCode, 0);
      await s.until(async () => (await s.state(id as string)) === "Stopped");
      const data = (await one(s, id as string)).DiskSet.find((d) => d.IsBoot === "False");
      assert.ok(data);
      const unknown = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id as string, DiskId: "bsi-nope", DiskSpace: 500 });
      assert.equal(unknown.body.RetCode, 230);
      assert.match(unknown.body.Message ?? "", /^Params \[DiskId\] not available/);
      const res = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id as string, DiskId: data.DiskId, DiskSpace: 300 });
      assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
      // A data disk grows as a disk task: the instance stays Stopped meanwhile.
      await idle(s, id as string);
      const inst = await one(s, id as string);
      assert.deepEqual(
        inst.DiskSet.map((d) => [d.DiskId, d.IsBoot, d.Size]),
        [
          [inst.DiskSet[0]?.DiskId, "True", 50],
          [data.DiskId, "False", 300],
        ],
      );
      assert.equal(inst.TotalDiskSpace, 350);
    });
  });

  describe("ModifyCompShareInstanceName", () => {
    it("renames the instance", async () => {
      const id = await s.running();
      const res = await s.call("ModifyCompShareInstanceName", { ...REGION, UHostId: id, Name: "renamed-box" });
      assert.deepEqual(res.body, { Action: "ModifyCompShareInstanceNameResponse", RetCode: 0, UHostId: id });
      assert.equal((await one(s, id)).Name, "renamed-box");
    });
  });

  describe("Update/DeleteCompShareStopScheduler", () => {
    it("refuses a stop time less than 5 minutes ahead with 230, under either name", async () => {
      const id = await s.running();
      const soon = Math.floor(s.clock.now() / 1000) + 60;
      const res = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, StopTime: soon });
      assert.equal(res.body.RetCode, 230);
      assert.match(res.body.Message ?? "", /^Params \[StopTime\] not available: at least 5 minutes from now/);
      const docs = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, SchedulerStopTime: soon });
      assert.match(docs.body.Message ?? "", /^Params \[SchedulerStopTime\] not available/);
      const none = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id });
      assert.equal(none.body.RetCode, 220);
      assert.equal((await one(s, id)).StopSchedulerTime, 0);
    });

    it("shows a future StopTime in StopSchedulerTime, and Delete clears it", async () => {
      const id = await s.running();
      const at = Math.floor(s.clock.now() / 1000) + 24 * 3600;
      const res = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, StopTime: at });
      assert.deepEqual(res.body, { Action: "UpdateCompShareStopSchedulerResponse", RetCode: 0, UHostId: id });
      assert.equal((await one(s, id)).StopSchedulerTime, at);
      assert.equal((await one(s, id)).SchedulerStopTime, at);
      const later = await s.call("UpdateCompShareStopScheduler", { ...REGION, UHostId: id, SchedulerStopTime: at + 600 });
      assert.equal(later.body.RetCode, 0);
      assert.equal((await one(s, id)).SchedulerStopTime, at + 600);
      const del = await s.call("DeleteCompShareStopScheduler", { ...REGION, UHostId: id });
      assert.deepEqual(del.body, { Action: "DeleteCompShareStopSchedulerResponse", RetCode: 0, UHostId: id });
      assert.equal((await one(s, id)).StopSchedulerTime, 0);
    });
  });
});

describe("DescribeCompShareInstance paging and order", () => {
  let s: TestServer;
  const created: string[] = [];
  before(async () => {
    s = await startServer();
    // 105 instances: 100 at once, then 5 more, one second apart.
    created.push(...(await Promise.all(Array.from({ length: 100 }, () => create(s)))).flat());
    for (let i = 0; i < 5; i++) {
      await s.clock.advance(1000);
      created.push(...(await create(s)));
    }
    await s.until(async () => {
      const a = await list(s, { Limit: 100 });
      const b = await list(s, { Offset: 100, Limit: 100 });
      return [...a.set, ...b.set].filter((i) => i.State === "Running").length === created.length;
    });
  });
  after(async () => {
    await s.close();
  });

  it("answers TotalCount and a default page of 20", async () => {
    const { total, set } = await list(s);
    assert.equal(total, 105);
    assert.equal(set.length, 20);
  });

  it("caps Limit at 100", async () => {
    const { total, set } = await list(s, { Limit: 500 });
    assert.equal(total, 105);
    assert.equal(set.length, 100);
  });

  it("pages with Offset and Limit through every instance exactly once", async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 105; offset += 30) {
      const { total, set } = await list(s, { Offset: offset, Limit: 30 });
      assert.equal(total, 105);
      assert.equal(set.length, Math.min(30, 105 - offset));
      seen.push(...set.map((i) => i.UHostId));
    }
    assert.equal(new Set(seen).size, 105);
    assert.deepEqual([...seen].sort(), [...created].sort());
    assert.deepEqual((await list(s, { Offset: 200 })).set, []);
  });

  it("lists the newest first", async () => {
    const { set } = await list(s, { Limit: 6 });
    assert.deepEqual(
      set.slice(0, 5).map((i) => i.UHostId),
      created.slice(100).reverse(),
    );
    assert.ok(created.slice(0, 100).includes(set[5]?.UHostId ?? ""));
  });

  it("filters by UHostIds.N, ignoring ids that are not the caller's", async () => {
    const pick = [created[3] as string, created[103] as string];
    const res = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": pick[0], "UHostIds.1": pick[1], "UHostIds.2": "uhost-nope" });
    assert.equal(res.body.RetCode, 0);
    assert.equal(res.body.TotalCount, 2);
    assert.deepEqual((res.body.UHostSet as Inst[]).map((i) => i.UHostId).sort(), [...pick].sort());
  });
});

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
