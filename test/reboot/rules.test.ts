/** Every rule of the seed for RebootCompShareInstance, in the documented order of checks. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { armFault } from "@opencompshare/server/testing";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

describe("RebootCompShareInstance", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it("reboots a Running instance: Rebooting, then Running, with a final operation record", async () => {
    const id = await s.running();
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.deepEqual(res.body, { Action: "RebootCompShareInstanceResponse", RetCode: 0, UHostId: id });
    assert.equal(res.status, 200);
    assert.match(res.requestId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(await s.state(id), "Rebooting");
    await s.until(async () => (await s.state(id)) === "Running");
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
    const reboot = (ops.body.OperationSet as Array<Record<string, unknown>>).find((o) => o.Action === "RebootCompShareInstance");
    assert.equal(reboot?.Status, "Succeeded");
    assert.equal(reboot?.RequestId, res.requestId);
    assert.ok((reboot?.EndTime as number) >= (reboot?.StartTime as number));
  });

  it("refuses a duplicate with InstanceOperationInProgress naming the instance, the holder and the expiry", async () => {
    const id = await s.running();
    const first = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(first.body.RetCode, 0);
    const second = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(second.body.RetCode, 226610);
    const msg = second.body.Message ?? "";
    assert.match(msg, /^InstanceOperationInProgress: /);
    assert.ok(msg.includes(id), msg);
    assert.ok(msg.includes("RebootCompShareInstance"), msg);
    const expiry = new Date(s.clock.now() + s.config.lockTtlMs).toISOString();
    assert.ok(msg.includes(expiry), `${msg} should name ${expiry}`);
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("accepts exactly one of 200 concurrent duplicate reboots", async () => {
    const id = await s.running();
    const answers = await Promise.all(Array.from({ length: 200 }, () => s.call("RebootCompShareInstance", { ...REGION, UHostId: id })));
    const codes = answers.map((a) => a.body.RetCode);
    assert.equal(codes.filter((c) => c === 0).length, 1);
    assert.equal(codes.filter((c) => c === 226610).length, 199);
    await s.until(async () => (await s.state(id)) === "Running");
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 });
    const reboots = (ops.body.OperationSet as Array<Record<string, unknown>>).filter((o) => o.Action === "RebootCompShareInstance");
    assert.equal(reboots.length, 1);
    assert.equal(reboots[0]?.Status, "Succeeded");
  });

  it("refuses an instance that is not Running with InstanceStateInvalid (8905)", async () => {
    const id = await s.running();
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 8905);
    assert.match(res.body.Message ?? "", /^InstanceStateInvalid: .*Stopped/);
  });

  it("refuses while a custom image is being made (226611), after the snapshot released the lock", async () => {
    const id = await s.running();
    const img = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: id, Name: "img" });
    assert.equal(img.body.RetCode, 0);
    const imageId = img.body.CompShareImageId as string;
    // While the snapshot holds the lock, the lock answers first.
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 226610);
    await s.until(async () => {
      const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      return (ops.body.OperationSet as Array<Record<string, unknown>>).some((o) => o.Phase === "building");
    });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 226611);
    assert.match(res.body.Message ?? "", new RegExp(`^InstanceImageMaking: .*${id}`));
    await s.until(async () => {
      const r = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
      return (r.body.ImageSet as Array<{ Status: string }>)[0]?.Status === "Available";
    });
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("refuses while the instance is being reclaimed (226612)", async () => {
    const id = await s.running();
    // Only a Stopped instance may be deleted.
    assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Stopped");
    await armFault(s.app.store.db, { method: "destroy", instanceId: id, mode: "slow", delayMs: 60_000 });
    assert.equal((await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => {
      const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      return (ops.body.OperationSet as Array<Record<string, unknown>>).some((o) => o.Phase === "releasing");
    });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 226612);
    assert.match(res.body.Message ?? "", new RegExp(`^InstanceRecycling: .*${id}`));
    await s.until(async () => (await s.state(id)) === undefined, 1000);
  });

  it("refuses while a background task runs (226613)", async () => {
    const id = await s.running();
    await armFault(s.app.store.db, { method: "resetPassword", instanceId: id, mode: "slow", delayMs: 20_000 });
    const reset = await s.call("ResetCompShareInstancePassword", { ...REGION, UHostId: id, Password: Buffer.from("N3w-pass!").toString("base64") });
    assert.equal(reset.body.RetCode, 0);
    await s.until(async () => {
      const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      return (ops.body.OperationSet as Array<Record<string, unknown>>).some((o) => o.Phase === "resetting");
    });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 226613);
    assert.match(res.body.Message ?? "", new RegExp(`^InstanceBackgroundTask: .*${id}.*ResetPassword`));
    await s.until(async () => {
      const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
      return (ops.body.OperationSet as Array<Record<string, unknown>>).every((o) => o.Status !== "Running");
    }, 1000);
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("checks in order: parameters, then existence, then the lock, then the state", async () => {
    const missing = await s.call("RebootCompShareInstance", REGION);
    assert.equal(missing.body.RetCode, 220);
    assert.equal(missing.body.Message, "Missing params [UHostId]");
    const unknown = await s.call("RebootCompShareInstance", { ...REGION, UHostId: "uhost-nope" });
    assert.equal(unknown.body.RetCode, 8039);
    assert.match(unknown.body.Message ?? "", /^InstanceNotFound: /);
    // A duplicate of an accepted reboot is answered by the lock, not by the state (Rebooting).
    const id = await s.running();
    await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(await s.state(id), "Rebooting");
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 226610);
    await s.until(async () => (await s.state(id)) === "Running");
  });

  it("creates with the seed's parameters", async () => {
    const res = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(res.body.RetCode, 0);
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running");
  });
});
