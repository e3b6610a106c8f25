/**
 * The instance lifecycle, end to end through the HTTP API, against compshare-api.md: create,
 * stop, start, terminate, reset the password, reinstall, resize, rename, and the stop scheduler.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CREATE, REGION } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";
import { allRunning, b64, create, idle, list, one, stopped } from "./helpers.js";

describe("instance lifecycle", () => {
  const s = serverForSuite();

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
      await s.stop(id);
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
