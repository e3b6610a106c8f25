/**
 * Helpers of the operation tests: an operation as DescribeCompShareInstanceOperations answers it,
 * waiting for one to end, what it left behind (the instance, its row, the lock, the GPUs given,
 * the machine), and a suite server whose injected faults are cleared after each test.
 */
import assert from "node:assert/strict";
import { afterEach } from "node:test";
import type { MachineStatus } from "@opencompshare/server";
import { clearFaults } from "@opencompshare/server/testing";
import type { Answer } from "../helpers/client.js";
import { CREATE, REGION, type TestServer, type TestServerOptions } from "../helpers/server.js";
import { serverForSuite } from "../helpers/suite.js";

export interface Op {
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

export const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** Helpers bound to one server. */
export function helpers(s: () => TestServer) {
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

/** The describe block's server; the faults a test arms are cleared after it. */
export function serverUnderFaults(opts: TestServerOptions): TestServer {
  const s = serverForSuite(opts);
  afterEach(async () => {
    await clearFaults(s.app.store.db);
  });
  return s;
}
