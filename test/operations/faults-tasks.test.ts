/**
 * Injected driver faults in the operations that set a condition on the instance (a background
 * task, recycling, imaging): reinstall, resize, password reset, a custom image, destroy. The
 * operation ends Failed with its record, the condition is cleared, the lock released, and the
 * instance is usable again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { CREATE, REGION } from "../helpers/server.js";
import { b64, helpers, serverUnderFaults } from "./helpers.js";

describe("operation engine under injected driver faults: reinstall, resize, password, image, destroy", () => {
  const s = serverUnderFaults({ env: { OCS_LOCK_TTL_S: "60", OCS_SOFT_TIMEOUT_MS: "5000" } });
  const h = helpers(() => s);

  it("(f) reinstall fails: Install Fail, background task cleared, lock free", async () => {
    const id = await h.stoppedInstance();
    await armFault(h.db(), { method: "reinstall", mode: "fail", instanceId: id });
    const res = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-pytorch24" });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    assert.equal(await s.state(id), "Install Fail");
    const r = await h.row(id);
    assert.equal(r?.task, null);
    assert.equal(r?.task_op_id, null);
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    // Usable: a reinstall from Install Fail is accepted (no InstanceBackgroundTask) and works.
    const retry = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(retry.body.RetCode, 0, JSON.stringify(retry.body));
    assert.equal((await h.ended(id, retry)).op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
  });

  it("(g) resize fails: back to Stopped with the old CPU, memory and GPUs, capacity restored", async () => {
    const id = await h.stoppedInstance();
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "resize", mode: "fail", instanceId: id });
    const res = await s.call("ResizeCompShareInstance", { ...REGION, UHostId: id, Cpu: 32, Memory: 131072, Gpu: 2 });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    const inst = await h.instance(id);
    assert.equal(inst?.State, "Stopped");
    assert.equal(inst?.CPU, CREATE.CPU);
    assert.equal(inst?.Memory, CREATE.Memory);
    assert.equal(inst?.GPU, CREATE.GPU);
    assert.equal(await h.gpusUsed(), usedBefore, "the reserved GPU is given back");
    const r = await h.row(id);
    assert.equal(r?.task, null);
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 0, JSON.stringify(start.body));
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("(h) password reset fails: task cleared, old password kept, instance usable", async () => {
    const id = await s.running();
    const oldPassword = (await h.instance(id))?.Password;
    await armFault(h.db(), { method: "resetPassword", mode: "fail", instanceId: id });
    const res = await s.call("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: b64("N3w-pass!") });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    const inst = await h.instance(id);
    assert.equal(inst?.State, "Running");
    assert.equal(inst?.Password, oldPassword);
    const r = await h.row(id);
    assert.equal(r?.task, null);
    assert.equal(r?.task_op_id, null);
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("(i) image build fails: image UnAvailable with a reason, instance no longer imaging", async () => {
    const id = await s.running();
    const res = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: id, Name: "doomed" });
    assert.equal(res.body.RetCode, 0);
    const imageId = res.body.CompShareImageId as string;
    await armFault(h.db(), { method: "buildImage", mode: "fail", instanceId: imageId });
    const { op, phases } = await h.ended(id, res);
    assert.ok(phases.includes("building") || phases.includes("snapshot"), phases.join(" → "));
    h.assertFailed(op, /injected failure/);
    const images = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
    const image = (images.body.ImageSet as Array<Record<string, unknown>>)[0];
    assert.equal(image?.Status, "UnAvailable");
    assert.match(String(image?.FailedReason), /injected failure/);
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("(i) the snapshot fails: image UnAvailable, lock released, instance no longer imaging", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "snapshot", mode: "fail", instanceId: id });
    const res = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: id, Name: "doomed-snapshot" });
    assert.equal(res.body.RetCode, 0);
    const imageId = res.body.CompShareImageId as string;
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    const images = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
    assert.equal((images.body.ImageSet as Array<Record<string, unknown>>)[0]?.Status, "UnAvailable");
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("(j) destroy fails: terminate Failed, recycling cleared, instance still listed and usable", async () => {
    const id = await s.running();
    await s.stop(id);
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "destroy", mode: "fail", instanceId: id });
    const res = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    const inst = await h.instance(id);
    assert.ok(inst, "the instance is still listed");
    assert.equal(inst.State, "Stopped", "still Stopped after the destroy failed");
    assert.equal(Number((await h.row(id))?.recycling), 0);
    assert.equal(await h.lockHolder(id), null);
    assert.equal(await h.gpusUsed(), usedBefore, "the GPUs stay with the instance");
    await h.nothingToRecover();
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 0, `no longer recycling: ${JSON.stringify(start.body)}`);
    await s.until(async () => (await s.state(id)) === "Running");
    await s.stop(id);
    const again = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(again.body.RetCode, 0);
    await s.until(async () => (await h.instance(id)) === undefined);
    assert.equal(await h.gpusUsed(), usedBefore - CREATE.GPU);
  });
});
