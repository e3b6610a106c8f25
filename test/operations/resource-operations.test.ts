/**
 * A detached disk's resize and delete, and a custom image's delete and publish, are operations of their own
 * (no instance, no lock): each answer is what it was when the handler called the driver itself,
 * and behind it there is a record that ends Succeeded or Failed, the resource's transitional
 * status only while it runs, and a failure that puts the resource back. Recovery settles a disk
 * or an image left transitional with no operation. Time is the ManualClock's.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { armFault, clearFaults } from "@opencompshare/server/testing";
import type { Answer } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

describe("operations on detached disks and custom images", () => {
  let s: TestServer;
  let owner: { account_id: string; project_id: string };
  let source: string;
  before(async () => {
    s = await startServer();
    source = await s.running();
    owner = await s.app.store.db.selectFrom("instances").select(["account_id", "project_id"]).where("id", "=", source).executeTakeFirstOrThrow();
  });
  afterEach(async () => {
    await clearFaults(s.app.store.db);
  });
  after(async () => {
    await s.close();
  });

  const db = () => s.app.store.db;
  let n = 0;
  /** A detached disk of the caller's, as DetachCompshareDisk leaves one. */
  async function detachedDisk(sizeGb = 100): Promise<string> {
    const id = `bsi-resource${++n}`;
    const now = s.clock.now();
    await db()
      .insertInto("disks")
      .values({ id, ...owner, zone: REGION.Zone, name: id, size_gb: sizeGb, disk_type: "CLOUD_SSD", charge_type: "Dynamic", status: "Available", instance_id: null, device: "", host_id: null, op_id: null, paid_amount: 0, period_start: now, expire_time: 0, created_at: now, updated_at: now })
      .execute();
    return id;
  }
  const disk = (id: string) => db().selectFrom("disks").select(["status", "size_gb", "op_id"]).where("id", "=", id).executeTakeFirstOrThrow();
  const opsOn = (id: string) => db().selectFrom("operations").selectAll().where("instance_id", "=", id).orderBy("started_at").execute();
  const events = (opId: string, kind: string) =>
    db().selectFrom("events").select("id").where("kind", "=", kind).where("data", "like", `%${opId}%`).execute();

  /** Until the driver call has taken its armed `hang`: its deadline is on the clock from then on. */
  const hung = (id: string) =>
    s.until(async () => (await db().selectFrom("machine_faults").select("remaining").where("instance_id", "=", id).executeTakeFirst())?.remaining === 0, 0, 500);

  /** The request's one operation on `id`, ended as `status`, reported once. */
  async function endedOnce(id: string, answer: Answer, action: string, status: "succeeded" | "failed") {
    const ops = await opsOn(id);
    assert.equal(ops.length, 1, JSON.stringify(ops));
    const op = ops[0]!;
    assert.deepEqual([op.action, op.status, op.request_id, op.lock_token], [action, status, answer.requestId, null]);
    assert.ok(Number(op.ended_at) > 0);
    assert.equal((await events(op.id, `operation.${status}`)).length, 1);
    assert.equal((await events(op.id, "operation.accepted")).length, 1);
    return op;
  }

  it("resizes a detached disk by an operation: the same answer, then Available with the new size", async () => {
    const id = await detachedDisk(100);
    const res = await s.call("ResizeCompShareDisk", { ...REGION, UDiskId: id, Size: 150 });
    assert.deepEqual(res.body, { Action: "ResizeCompShareDiskResponse", RetCode: 0, UDiskId: id });
    assert.deepEqual(await disk(id), { status: "Available", size_gb: 150, op_id: null });
    const op = await endedOnce(id, res, "ResizeCompShareDisk", "succeeded");
    assert.equal(op.phase, "done");
  });

  it("a resize the driver fails answers 8433 as before, and leaves the disk Available with its old size", async () => {
    const id = await detachedDisk(100);
    await armFault(db(), { method: "resizeDisk", mode: "fail", instanceId: id });
    const res = await s.call("ResizeCompShareDisk", { ...REGION, UDiskId: id, Size: 150 });
    assert.equal(res.body.RetCode, 8433, JSON.stringify(res.body));
    assert.match(res.body.Message ?? "", /^ServiceError: internal error, request .*; nothing was changed$/);
    assert.deepEqual(await disk(id), { status: "Available", size_gb: 100, op_id: null });
    const op = await endedOnce(id, res, "ResizeCompShareDisk", "failed");
    assert.match(op.error_message, /injected failure/);
    // The disk is free: a resize is accepted again.
    assert.equal((await s.call("ResizeCompShareDisk", { ...REGION, UDiskId: id, Size: 150 })).body.RetCode, 0);
  });

  it("deletes a detached disk by an operation: the same answer, gone from Describe, deleting it again succeeds", async () => {
    const id = await detachedDisk();
    const res = await s.call("DeleteCompshareDisk", { ...REGION, UDiskId: id });
    assert.deepEqual(res.body, { Action: "DeleteCompshareDiskResponse", RetCode: 0, UDiskId: id });
    assert.equal((await disk(id)).status, "Deleted");
    const listed = await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: id });
    assert.equal(listed.body.TotalCount, 0);
    await endedOnce(id, res, "DeleteCompshareDisk", "succeeded");
    const again = await s.call("DeleteCompshareDisk", { ...REGION, UDiskId: id });
    assert.deepEqual(again.body, { Action: "DeleteCompshareDiskResponse", RetCode: 0, UDiskId: id });
    assert.equal((await opsOn(id)).length, 1, "a deleted disk is not deleted twice");
  });

  it("a delete that hangs waits for the driver's deadline on the clock: 8433, the disk Available again", async () => {
    const id = await detachedDisk();
    await armFault(db(), { method: "deleteDisk", mode: "hang", instanceId: id });
    const pending = s.call("DeleteCompshareDisk", { ...REGION, UDiskId: id });
    await hung(id);
    // While it runs, the disk shows Deleting and refuses another change.
    const busy = await s.call("ResizeCompShareDisk", { ...REGION, UDiskId: id, Size: 200 });
    assert.equal(busy.body.RetCode, 8434, JSON.stringify(busy.body));
    const shown = await s.call("DescribeCompshareDisk", { ...REGION, UDiskId: id });
    assert.equal((shown.body.DiskSet as Array<{ Status: string }>)[0]?.Status, "Deleting");
    await s.clock.advance(30_000);
    const res = await pending;
    assert.equal(res.body.RetCode, 8433, JSON.stringify(res.body));
    assert.deepEqual(await disk(id), { status: "Available", size_gb: 100, op_id: null });
    const op = await endedOnce(id, res, "DeleteCompshareDisk", "failed");
    assert.equal(Number(op.error_code), 110, "recorded as the driver's timeout");
  });

  it("deletes a custom image by an operation; a failed delete answers 8433 and puts the image back", async () => {
    const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: source, Name: "doomed" });
    const imageId = made.body.CompShareImageId as string;
    await s.until(async () => (await db().selectFrom("images").select("status").where("id", "=", imageId).executeTakeFirst())?.status === "Available", 1000);
    const before = await db().selectFrom("images").select(["op_id"]).where("id", "=", imageId).executeTakeFirstOrThrow();

    await armFault(db(), { method: "deleteImage", mode: "fail", instanceId: imageId });
    const failed = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    assert.equal(failed.body.RetCode, 8433, JSON.stringify(failed.body));
    const back = await db().selectFrom("images").select(["status", "op_id"]).where("id", "=", imageId).executeTakeFirstOrThrow();
    assert.deepEqual(back, { status: "Available", op_id: before.op_id });
    const listed = await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId });
    assert.equal(listed.body.TotalCount, 1);

    // The records are listed by their start: the second starts a millisecond later on the clock.
    await s.clock.advance(1);
    const res = await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    assert.deepEqual(res.body, { Action: "TerminateCompShareCustomImageResponse", RetCode: 0 });
    assert.equal(await db().selectFrom("images").select("id").where("id", "=", imageId).executeTakeFirst(), undefined);
    const ops = await opsOn(imageId);
    assert.deepEqual(ops.map((o) => [o.action, o.status, o.request_id]), [
      ["TerminateCompShareCustomImage", "failed", failed.requestId],
      ["TerminateCompShareCustomImage", "succeeded", res.requestId],
    ]);
  });

  it("publishes a custom image by an operation of the new version; a failed copy answers 8433 and takes the version and its new group back", async () => {
    const [box] = (await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: "compshareImage-pytorch24", ChargeType: "Postpay" })).body.UHostIds as string[];
    await s.until(async () => (await s.state(box as string)) === "Running", 1000);
    const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: box as string, Name: "published" });
    const imageId = made.body.CompShareImageId as string;
    await s.until(async () => (await db().selectFrom("images").select("status").where("id", "=", imageId).executeTakeFirst())?.status === "Available", 1000);
    const versions = () => db().selectFrom("images").select(["id", "status", "group_id"]).where("source_image_id", "=", imageId).where("type", "=", "Community").execute();
    const groups = async () => (await db().selectFrom("community_groups").select("id").where("account_id", "=", owner.account_id).execute()).map((g) => g.id);
    const groupsBefore = await groups();

    await armFault(db(), { method: "publishImage", mode: "fail", instanceId: imageId });
    const failed = await s.call("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: imageId, CommunityImageName: "pub", VersionName: "v1.0" });
    assert.equal(failed.body.RetCode, 8433, JSON.stringify(failed.body));
    assert.deepEqual(await versions(), [], "the version is taken back");
    assert.deepEqual(await groups(), groupsBefore, "and the group this publish made");
    const failedOps = await db().selectFrom("operations").select(["action", "status", "request_id"]).where("action", "=", "PublishCompShareImage").execute();
    assert.deepEqual(failedOps, [{ action: "PublishCompShareImage", status: "failed", request_id: failed.requestId }]);

    const res = await s.call("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: imageId, CommunityImageName: "pub", VersionName: "v1.0" });
    assert.deepEqual(res.body, { Action: "PublishCompShareImageResponse", RetCode: 0 });
    const [version] = await versions();
    assert.equal(version?.status, "Reviewing");
    await endedOnce(version?.id as string, res, "PublishCompShareImage", "succeeded");
    // A second version in the same group: the group is kept whatever becomes of it.
    await armFault(db(), { method: "publishImage", mode: "fail", instanceId: imageId });
    const again = await s.call("PublishCompShareImage", { Region: REGION.Region, CompShareImageId: imageId, GroupId: version?.group_id as string, VersionName: "v2.0" });
    assert.equal(again.body.RetCode, 8433, JSON.stringify(again.body));
    assert.deepEqual((await versions()).map((v) => v.id), [version?.id]);
    assert.ok((await groups()).includes(version?.group_id as string));
  });

  it("an image being deleted reads as gone: not listed, not deleted twice, not booted", async () => {
    const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: source, Name: "slow" });
    const imageId = made.body.CompShareImageId as string;
    await s.until(async () => (await db().selectFrom("images").select("status").where("id", "=", imageId).executeTakeFirst())?.status === "Available", 1000);
    await armFault(db(), { method: "deleteImage", mode: "hang", instanceId: imageId });
    const pending = s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId });
    await hung(imageId);
    assert.equal((await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId })).body.TotalCount, 0);
    assert.equal((await s.call("TerminateCompShareCustomImage", { ...REGION, CompShareImageId: imageId })).body.RetCode, 226614);
    assert.equal((await s.call("GetCompShareImageCreateProgress", { ...REGION, CompShareImageId: imageId })).body.RetCode, 226614);
    assert.equal((await s.call("CreateCompShareInstance", { ...CREATE, CompShareImageId: imageId })).body.RetCode, 226614);
    await s.clock.advance(30_000);
    assert.equal((await pending).body.RetCode, 8433);
    assert.equal((await s.call("DescribeCompShareCustomImages", { ...REGION, CompShareImageId: imageId })).body.TotalCount, 1, "back after the failure");
    assert.equal((await opsOn(imageId)).length, 1);
  });

  it("recovery settles a disk left Resizing or Deleting with no operation (a server from before), and an image left Deleting", async () => {
    const resizing = await detachedDisk(100);
    const deleting = await detachedDisk(100);
    const failing = await detachedDisk(100);
    await db().updateTable("disks").set({ status: "Resizing" }).where("id", "=", resizing).execute();
    await db().updateTable("disks").set({ status: "Deleting" }).where("id", "in", [deleting, failing]).execute();
    await armFault(db(), { method: "deleteDisk", mode: "fail", instanceId: failing });
    const made = await s.call("CreateCompShareCustomImage", { ...REGION, UHostId: source, Name: "orphan" });
    const imageId = made.body.CompShareImageId as string;
    await s.until(async () => (await db().selectFrom("images").select("status").where("id", "=", imageId).executeTakeFirst())?.status === "Available", 1000);
    await db().updateTable("images").set({ status: "Deleting" }).where("id", "=", imageId).execute();

    const report = await s.app.recovery.pass();
    assert.ok(report.reconciled >= 4, JSON.stringify(report));
    assert.deepEqual(await disk(resizing), { status: "Available", size_gb: 100, op_id: null });
    assert.equal((await disk(deleting)).status, "Deleted");
    assert.equal((await disk(failing)).status, "Available", "the driver could not delete it: put back");
    assert.equal(await db().selectFrom("images").select("id").where("id", "=", imageId).executeTakeFirst(), undefined);
  });

  it("recovery leaves a disk alone while its operation runs", async () => {
    const id = await detachedDisk();
    await armFault(db(), { method: "resizeDisk", mode: "hang", instanceId: id });
    const pending = s.call("ResizeCompShareDisk", { ...REGION, UDiskId: id, Size: 300 });
    await hung(id);
    await s.app.recovery.pass();
    assert.equal((await disk(id)).status, "Resizing");
    await s.clock.advance(30_000);
    assert.equal((await pending).body.RetCode, 8433);
    assert.deepEqual(await disk(id), { status: "Available", size_gb: 100, op_id: null });
  });
});
