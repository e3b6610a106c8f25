/**
 * A host cut off in the middle of a reboot (issue 27, defect 2): the soft reboot reaches the
 * host, the host is cut off from the control plane (its agent stops; the machine goes on, as a
 * QEMU outlives its agent), the guest finishes the soft reboot meanwhile, and the control plane's
 * soft timeout passes, so it falls back to a hard reboot. When the host is back, the hard reboot
 * carries the boot count the operation started from: the host compares before it acts, finds the
 * new boot, and does not reset. One operation, one boot, and the record says the soft reboot
 * finished late. A real server (OCS_DRIVER=agent), real agents over HTTP, an in-memory backend.
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
    s = await startServer({ env: { OCS_DRIVER: "agent", OCS_HOST_LEASE_MS: "120000", OCS_SOFT_TIMEOUT_MS: String(SOFT_TIMEOUT_MS) } });
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
});
