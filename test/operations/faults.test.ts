/**
 * Fault injection through the API: a driver call fails, hangs or is slow, and the operation
 * engine must end the operation with a record, leave the instance in a consistent state,
 * release the lock and clear the conditions (task, recycling, imaging) it set.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { armFault, clearFaults } from "@opencompshare/server/testing";
import type { MachineStatus } from "@opencompshare/server";
import type { Answer } from "../helpers/client.js";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";

interface Op {
  OperationId: string;
  UHostId: string;
  Action: string;
  Status: string;
  Phase: string;
  RequestId: string;
  StartTime: number;
  EndTime: number;
  ErrorCode: number;
  ErrorMessage: string;
}

const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** Helpers bound to one server. */
function helpers(s: () => TestServer) {
  const db = () => s().app.store.db;

  async function ops(id: string): Promise<Op[]> {
    const res = await s().call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id, Limit: 100 });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    return res.body.OperationSet as Op[];
  }

  /** The operation a request started (matched by its RequestId). */
  async function opOf(id: string, answer: Answer): Promise<Op> {
    assert.equal(answer.body.RetCode, 0, JSON.stringify(answer.body));
    const op = (await ops(id)).find((o) => o.RequestId === answer.requestId);
    assert.ok(op, `no operation recorded for request ${answer.requestId}`);
    return op;
  }

  /** Moves the clock until the operation ends; returns it, with every phase seen on the way. */
  async function ended(id: string, answer: Answer, stepMs = 250): Promise<{ op: Op; phases: string[] }> {
    const phases: string[] = [];
    let op = await opOf(id, answer);
    await s().until(async () => {
      op = await opOf(id, answer);
      if (phases[phases.length - 1] !== op.Phase) phases.push(op.Phase);
      return op.Status !== "Running";
    }, stepMs);
    return { op, phases };
  }

  async function instance(id: string): Promise<Record<string, unknown> | undefined> {
    const res = await s().call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    return (res.body.UHostSet as Array<Record<string, unknown>> | undefined)?.[0];
  }

  async function row(id: string) {
    return db()
      .selectFrom("instances")
      .select(["state", "task", "task_op_id", "recycling", "cpu", "memory", "gpu"])
      .where("id", "=", id)
      .executeTakeFirst();
  }

  async function lockHolder(id: string): Promise<string | null> {
    const lock = await db().selectFrom("instance_locks").select(["holder_op_id"]).where("instance_id", "=", id).executeTakeFirst();
    return lock?.holder_op_id ?? null;
  }

  async function gpusUsed(gpuType = CREATE.GpuType): Promise<number> {
    const given = await db()
      .selectFrom("host_gpus")
      .innerJoin("hosts", "hosts.id", "host_gpus.host_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("hosts.zone", "=", REGION.Zone)
      .where("hosts.gpu_type", "=", gpuType)
      .where("host_gpus.instance_id", "is not", null)
      .executeTakeFirstOrThrow();
    return Number(given.n);
  }

  /** The machine as the driver reports it once any action in flight has ended. */
  async function settled(id: string): Promise<MachineStatus> {
    const pending = s().app.services.machines.settle(id, { signal: new AbortController().signal });
    let done = false;
    pending.then(
      () => (done = true),
      () => (done = true),
    );
    await s().until(async () => done);
    return pending;
  }

  async function stoppedInstance(): Promise<string> {
    const id = await s().running();
    assert.equal((await s().call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
    await s().until(async () => (await s().state(id)) === "Stopped");
    return id;
  }

  /** A reboot is accepted, and ends with the instance Running. */
  async function rebootWorks(id: string): Promise<void> {
    const res = await s().call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0, `a new reboot should be accepted: ${JSON.stringify(res.body)}`);
    const { op } = await ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.equal(await s().state(id), "Running");
  }

  /** Nothing was left for recovery to repair: no orphaned operation, no instance stuck in a transitional state. */
  async function nothingToRecover(): Promise<void> {
    assert.deepEqual(await s().app.recovery.pass(), { resumed: 0, reconciled: 0 });
  }

  /** The failure is recorded on the operation. */
  function assertFailed(op: Op, message: RegExp): void {
    assert.equal(op.Status, "Failed");
    assert.equal(op.Phase, "failed");
    assert.notEqual(op.ErrorCode, 0, "a failed operation records an ErrorCode");
    assert.match(op.ErrorMessage, message);
    assert.ok(op.EndTime >= op.StartTime && op.EndTime > 0);
  }

  return { db, ops, opOf, ended, instance, row, lockHolder, gpusUsed, settled, stoppedInstance, rebootWorks, nothingToRecover, assertFailed };
}

describe("operation engine under injected driver faults", () => {
  let s: TestServer;
  const h = helpers(() => s);
  before(async () => {
    s = await startServer({ env: { OCS_LOCK_TTL_S: "60", OCS_SOFT_TIMEOUT_MS: "5000" } });
  });
  afterEach(async () => {
    await clearFaults(s.app.store.db);
  });
  after(async () => {
    await s.close();
  });

  it("(a) reboot fails: operation Failed with its error, instance Running as the driver reports, lock released", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    assert.equal(op.Action, "RebootCompShareInstance");
    assert.equal((await h.settled(id)).power, "running");
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("(b) reboot hangs: the runner's deadline aborts it before the lock TTL; failure recorded, not Rebooting, lock released", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "hang", instanceId: id });
    await armFault(h.db(), { method: "hardReboot", mode: "hang", instanceId: id });
    const acceptedAt = s.clock.now();
    const ttlEnds = acceptedAt + s.config.lockTtlMs;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    assert.equal(await s.state(id), "Rebooting");
    const { op } = await h.ended(id, res);
    assert.ok(s.clock.now() < ttlEnds, "the operation should end before its lock's TTL");
    h.assertFailed(op, /reboot/);
    assert.ok(op.EndTime < op.StartTime + s.config.lockTtlMs / 1000);
    const state = await s.state(id);
    assert.notEqual(state, "Rebooting");
    assert.equal(state, "Running", "the hang never touched the machine: it runs");
    assert.equal(await h.lockHolder(id), null);
    // Accepted while the TTL has not run out: the lock was released, not merely expired.
    const again = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.ok(s.clock.now() < ttlEnds);
    assert.equal(again.body.RetCode, 0, JSON.stringify(again.body));
    const second = await h.ended(id, again);
    assert.equal(second.op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
    await h.nothingToRecover();
  });

  it("(c) a soft reboot slower than OCS_SOFT_TIMEOUT_MS falls back to a hard reboot and succeeds", async () => {
    const id = await s.running();
    const bootsBefore = (await h.settled(id)).bootCount;
    await armFault(h.db(), { method: "reboot", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op, phases } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.equal(op.Phase, "done");
    assert.equal(op.ErrorCode, 0);
    assert.ok(phases.includes("hard-reboot"), `phases seen: ${phases.join(" → ")}`);
    assert.ok(
      s.logs.some((l) => l.includes("falling back to hard") && l.includes(id)),
      "the fallback is logged",
    );
    assert.equal(await s.state(id), "Running");
    const machine = await h.settled(id);
    assert.equal(machine.power, "running");
    assert.ok(machine.bootCount > bootsBefore, "the machine did reboot");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

  it("(d) a soft stop slower than OCS_SOFT_TIMEOUT_MS falls back to a hard power-off: Stopped", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "powerOff", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("StopCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    assert.equal(op.Status, "Succeeded");
    assert.equal(op.Phase, "done");
    assert.equal(op.ErrorCode, 0);
    // The hard power-off is instant, so its phase is too brief to observe: the log proves the fallback.
    assert.ok(
      s.logs.some((l) => l.includes("soft powerOff timed out; falling back to hard") && l.includes(id)),
      "the fallback is logged",
    );
    assert.equal(await s.state(id), "Stopped");
    assert.equal((await h.settled(id)).power, "stopped");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
  });

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

  it("a status call that hangs is cut at its deadline: the operation fails and the instance stays Running", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "status", mode: "hang", instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /status/);
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
    await h.nothingToRecover();
    await h.rebootWorks(id);
  });

  it("a `slow` fault on status delays it: slower than its deadline, the operation fails like a hang", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "status", mode: "slow", delayMs: 60_000, instanceId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /status/);
    assert.equal(await s.state(id), "Running");
    assert.equal(await h.lockHolder(id), null);
  });

  it("(j) destroy fails: terminate Failed, recycling cleared, instance still listed and usable", async () => {
    const id = await s.running();
    const usedBefore = await h.gpusUsed();
    await armFault(h.db(), { method: "destroy", mode: "fail", instanceId: id });
    const res = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    h.assertFailed(op, /injected failure/);
    const inst = await h.instance(id);
    assert.ok(inst, "the instance is still listed");
    assert.equal(inst.State, "Stopped", "terminate powered it off before the destroy failed");
    assert.equal(Number((await h.row(id))?.recycling), 0);
    assert.equal(await h.lockHolder(id), null);
    assert.equal(await h.gpusUsed(), usedBefore, "the GPUs stay with the instance");
    await h.nothingToRecover();
    const start = await s.call("StartCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(start.body.RetCode, 0, `no longer recycling: ${JSON.stringify(start.body)}`);
    await s.until(async () => (await s.state(id)) === "Running");
    const again = await s.call("TerminateCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(again.body.RetCode, 0);
    await s.until(async () => (await h.instance(id)) === undefined);
    assert.equal(await h.gpusUsed(), usedBefore - CREATE.GPU);
  });

  it("(k) a fault with times 1 fires once only", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id, times: 1 });
    const first = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    h.assertFailed((await h.ended(id, first)).op, /injected failure/);
    const left = await h.db().selectFrom("sim_faults").select("remaining").where("instance_id", "=", id).executeTakeFirstOrThrow();
    assert.equal(Number(left.remaining), 0);
    const second = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal((await h.ended(id, second)).op.Status, "Succeeded");
    assert.equal(await s.state(id), "Running");
  });

  it("(k) a fault with times 2 fires twice, then no more", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: id, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
      h.assertFailed((await h.ended(id, res)).op, /injected failure/);
      assert.equal(await s.state(id), "Running");
    }
    await h.rebootWorks(id);
  });

  it("(k) a fault armed for one instance does not fire for another", async () => {
    const target = await s.running();
    const other = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "fail", instanceId: target });
    await h.rebootWorks(other);
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: target });
    h.assertFailed((await h.ended(target, res)).op, /injected failure/);
  });
});

describe("operation engine: a soft reboot that hangs through the whole lock budget", () => {
  let s: TestServer;
  const h = helpers(() => s);
  before(async () => {
    // The default soft timeout (60 s) is as long as the lock's TTL.
    s = await startServer({ env: { OCS_LOCK_TTL_S: "60" } });
  });
  after(async () => {
    await s.close();
  });

  it("ends before the lock TTL with the lock released, and leaves the instance in the state its machine settles in", async () => {
    const id = await s.running();
    await armFault(h.db(), { method: "reboot", mode: "hang", instanceId: id });
    const ttlEnds = s.clock.now() + s.config.lockTtlMs;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const { op } = await h.ended(id, res);
    assert.ok(s.clock.now() < ttlEnds, "the operation should end before its lock's TTL");
    assert.notEqual(op.Status, "Running");
    if (op.Status === "Failed") assert.notEqual(op.ErrorCode, 0);
    assert.equal(await h.lockHolder(id), null);
    assert.notEqual(await s.state(id), "Rebooting");
    const machine = await h.settled(id);
    assert.equal(machine.power, "running");
    assert.equal(await s.state(id), "Running", `operation ${op.Status}: ${op.ErrorMessage}`);
  });
});
