/**
 * Injected driver faults in a Create: provisioning or the first boot fails, the instance is
 * Install Fail and keeps its GPUs, and it can be terminated (giving them back) or reinstalled.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { CREATE, REGION } from "../helpers/server.js";
import { helpers, serverUnderFaults } from "./helpers.js";

describe("operation engine under injected driver faults: create", () => {
  const s = serverUnderFaults({ env: { OCS_LOCK_TTL_S: "60", OCS_SOFT_TIMEOUT_MS: "5000" } });
  const h = helpers(() => s);

  it("(e) provisioning fails: Install Fail, operation Failed, the instance's GPU still accounted", async () => {
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "provision", mode: "fail" });
    const res = await s.call("CreateCompShareInstance", { ...CREATE, GPU: 2, CPU: 32, Memory: 131072 });
    assert.equal(res.body.RetCode, 0);
    const id = (res.body.UHostIds as string[])[0] as string;
    const { op } = await h.ended(id, res);
    assert.equal(op.Action, "CreateCompShareInstance");
    h.assertFailed(op, /injected failure/);
    assert.equal(await s.state(id), "Install Fail");
    assert.equal(await h.gpusUsed(), usedBefore + 2, "the instance still holds its GPUs");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

  it("(e) an instance whose provisioning failed can be terminated, and gives its GPUs back", async () => {
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "provision", mode: "fail" });
    const res = await s.call("CreateCompShareInstance", { ...CREATE, GPU: 2, CPU: 32, Memory: 131072 });
    const id = (res.body.UHostIds as string[])[0] as string;
    await h.ended(id, res);
    assert.equal(await s.state(id), "Install Fail");
    const term = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(term.body.RetCode, 0, JSON.stringify(term.body));
    const { op } = await h.ended(id, term);
    assert.equal(op.Status, "Succeeded", `terminate: ${op.ErrorMessage}`);
    assert.equal(await h.instance(id), undefined, "the instance disappears from Describe");
    assert.equal(await h.gpusUsed(), usedBefore, "its GPUs are given back");
  });

  it("(e) an instance whose provisioning failed can be reinstalled (Reinstall is allowed from Install Fail)", async () => {
    await armFault(h.db(), { method: "provision", mode: "fail" });
    const res = await s.call("CreateCompShareInstance", CREATE);
    const id = (res.body.UHostIds as string[])[0] as string;
    await h.ended(id, res);
    assert.equal(await s.state(id), "Install Fail");
    const reinstall = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(reinstall.body.RetCode, 0, JSON.stringify(reinstall.body));
    const { op } = await h.ended(id, reinstall);
    assert.equal(op.Status, "Succeeded", `reinstall: ${op.ErrorMessage}`);
    assert.equal(await s.state(id), "Running");
  });

  it("(e) a machine that does not exist is Install Fail, not unknown: a failed reinstall of one leaves it Install Fail, and Start is refused", async () => {
    await armFault(h.db(), { method: "provision", mode: "fail" });
    const res = await s.call("CreateCompShareInstance", CREATE);
    const id = (res.body.UHostIds as string[])[0] as string;
    await h.ended(id, res);
    await armFault(h.db(), { method: "provision", mode: "fail" });
    const reinstall = await s.call("ReinstallCompShareInstance", { ...REGION, UHostId: id, CompShareImageId: "compshareImage-ubuntu2204" });
    assert.equal(reinstall.body.RetCode, 0, JSON.stringify(reinstall.body));
    h.assertFailed((await h.ended(id, reinstall)).op, /injected failure/);
    assert.equal(await s.state(id), "Install Fail");
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 8905, "no machine to start: reinstall or terminate it");
    await h.nothingToRecover();
  });

  it("(e) booting a new instance fails: Install Fail; it can be terminated and its GPU comes back", async () => {
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "powerOn", mode: "fail" });
    const res = await s.call("CreateCompShareInstance", CREATE);
    const id = (res.body.UHostIds as string[])[0] as string;
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    assert.equal(await s.state(id), "Install Fail");
    assert.equal(await h.gpusUsed(), usedBefore + CREATE.GPU);
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    const term = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(term.body.RetCode, 0);
    assert.equal((await h.ended(id, term)).op.Status, "Succeeded");
    assert.equal(await h.instance(id), undefined);
    assert.equal(await h.gpusUsed(), usedBefore);
  });
});
