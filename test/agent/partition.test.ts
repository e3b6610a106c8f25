/**
 * A host cut off in the middle of a reboot (issue 27, defect 2): the soft reboot reaches the
 * host, the host is cut off from the control plane (its agent stops; the machine goes on, as a
 * QEMU outlives its agent), the guest finishes the soft reboot meanwhile, and the control plane's
 * soft timeout passes, so it falls back to a hard reboot. When the host is back, the hard reboot
 * carries the boot count the operation started from: the host compares before it acts, finds the
 * new boot, and does not reset. One operation, one boot, and the record says the soft reboot
 * finished late. A host silent past its lease gets no command at all: the action is refused at
 * once (HostUnavailable), the instance keeps its state. A real server (OCS_DRIVER=agent), real
 * agents over HTTP, an in-memory backend.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Agent, type AgentLog } from "@opencompshare/agent";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { MemoryBackend } from "./support/memory-backend.js";

const quiet: AgentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SOFT_TIMEOUT_MS = 5000;
const HOST_LEASE_MS = 120_000;

describe("a host cut off during a reboot, past the soft timeout", () => {
  let s: TestServer;
  const stateDir = mkdtempSync(join(tmpdir(), "ocs-agent-partition-"));
  const backend = new MemoryBackend();
  const agents: Agent[] = [];
  let token: string;

  async function connect(): Promise<Agent> {
    const agent = new Agent({ server: s.url, token, stateDir, backend, gpus: { kind: "emulated", gpuType: "4090", count: 8, memoryMb: 24576 }, log: quiet, heartbeatMs: 100, pollWaitMs: 20_000 });
    await agent.start();
    agents.push(agent);
    return agent;
  }

  before(async () => {
    // The host's lease is far longer than the cut, so the host is not given up on meanwhile.
    s = await startServer({ env: { OCS_DRIVER: "agent", OCS_HOST_LEASE_MS: String(HOST_LEASE_MS), OCS_SOFT_TIMEOUT_MS: String(SOFT_TIMEOUT_MS) } });
    token = await s.app.addHost("host-p");
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await s.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("the hard fallback finds the soft reboot done: no reset, one boot, the operation Succeeded with phase soft-finished-late", async () => {
    const agent = await connect();
    const created = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    const id = (created.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running", 50);
    const bootsBefore = backend.boots.get(id)?.length ?? 0;

    backend.actionMs = 400;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    const machine = backend.machinesById.get(id);
    await s.until(async () => machine?.inFlight.has("reboot") === true, 10);
    // Cut off: the agent neither polls nor reports. The guest finishes its soft reboot meanwhile.
    await agent.stop();
    for (let i = 0; i < 100 && (backend.boots.get(id)?.length ?? 0) === bootsBefore; i++) await sleep(20);
    assert.equal(backend.boots.get(id)?.length, bootsBefore + 1, "the soft reboot finished on the host");
    // The control plane hears nothing past its soft timeout, and falls back to a hard reboot.
    await s.until(async () => s.logs.some((l) => l.includes("falling back to hard") && l.includes(id)), 500);
    // The host comes back.
    await connect();
    await s.until(async () => (await s.state(id)) === "Running", 50, 4000);
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
    const reboot = (ops.body.OperationSet as Array<{ Action: string; Status: string; Phase: string; RequestId: string }>).find((o) => o.RequestId === res.requestId);
    assert.deepEqual([reboot?.Action, reboot?.Status, reboot?.Phase], ["RebootCompShareInstance", "Succeeded", "soft-finished-late"]);
    assert.equal(backend.boots.get(id)?.length, bootsBefore + 1, "one boot: the hard reboot was not done on top of the soft one");
    const hard = await s.app.store.db.selectFrom("host_commands").select(["method", "status"]).where("instance_id", "=", id).where("method", "=", "reboot").execute();
    assert.ok(hard.length >= 2, `the soft and the hard reboot commands were both sent: ${JSON.stringify(hard)}`);
  });

  it("a host silent past its lease: an action on its instance is refused at once (226620), nothing changes, the state stays readable; accepted again once it reports", async () => {
    const id = (await s.app.store.db.selectFrom("instances").select("id").where("state", "=", "Running").executeTakeFirstOrThrow()).id;
    for (const a of agents.splice(0)) await a.stop();
    await s.clock.advance(HOST_LEASE_MS + 1000);
    const opsBefore = ((await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as unknown[]).length;
    for (const action of ["RebootCompShareInstance", "StopCompShareInstance"]) {
      const res = await s.call(action, { ...REGION, UHostId: id });
      assert.equal(res.body.RetCode, 226620, JSON.stringify(res.body));
      assert.match(String(res.body.Message), /^HostUnavailable: the host of instance \S+ has not reported for \d+ s \(its lease is 120 s\); nothing was changed; try again once it reports$/);
    }
    assert.equal(await s.state(id), "Running", "the instance keeps its state: never empty, never transitional");
    assert.equal(((await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id })).body.OperationSet as unknown[]).length, opsBefore, "no operation was recorded");
    // For another account the instance does not exist (8039): whose host is silent is not told.
    const other = await s.account("mallory");
    assert.equal((await s.call("RebootCompShareInstance", { ...REGION, UHostId: id }, other)).body.RetCode, 8039);
    await connect();
    await s.until(async () => (await s.call("RebootCompShareInstance", { ...REGION, UHostId: id })).body.RetCode === 0, 100, 200);
    await s.until(async () => (await s.state(id)) === "Running", 50, 4000);
  });
});
