/**
 * Faults under a real backend (OCS_DRIVER=agent, a real agent over HTTP, an in-memory backend):
 * a fault armed with ArmCompShareFault travels with the host command, and the host's agent applies
 * it before the backend acts. A `fail` never reaches the backend and fails the reboot with the
 * fault's message; a `hang` holds the soft reboot until the soft timeout, and the hard reboot that
 * follows boots the machine once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, type AgentLog } from "@opencompshare/agent";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { MemoryBackend } from "./support/memory-backend.js";

const quiet: AgentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("faults applied by a host's agent", () => {
  let s: TestServer;
  let agent: Agent;
  const stateDir = mkdtempSync(join(tmpdir(), "ocs-agent-faults-"));
  const backend = new MemoryBackend();

  before(async () => {
    s = await startServer({ env: { OCS_DRIVER: "agent", OCS_TESTING: "1", OCS_SOFT_TIMEOUT_MS: "20000", OCS_HOST_LEASE_MS: "600000" } });
    const token = await s.app.addHost("host-f");
    agent = new Agent({ server: s.url, token, stateDir, backend, gpus: { kind: "emulated", gpuType: "4090", count: 8, memoryMb: 24576 }, log: quiet, heartbeatMs: 100, pollWaitMs: 20_000 });
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await s.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const running = async (): Promise<string> => {
    const created = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    const id = (created.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running", 50);
    return id;
  };
  const operation = async (id: string, requestId: string | null) => {
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
    return (ops.body.OperationSet as Array<{ RequestId: string; Status: string; ErrorMessage: string }>).find((o) => o.RequestId === requestId);
  };

  it("a fail fault fails the reboot at the host with its message; the backend never reboots", async () => {
    const id = await running();
    const reboots = backend.calls.get("reboot") ?? 0;
    const armed = await s.call("ArmCompShareFault", { Method: "reboot", Mode: "fail", UHostId: id, Message: "PCIe link down" });
    assert.equal(armed.body.RetCode, 0, JSON.stringify(armed.body));
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    await s.until(async () => (await operation(id, res.requestId))?.Status === "Failed", 50);
    assert.match(String((await operation(id, res.requestId))?.ErrorMessage), /PCIe link down/);
    assert.equal(backend.calls.get("reboot") ?? 0, reboots, "the agent applied the fault before the backend acted");
    const command = await s.app.store.db.selectFrom("host_commands").select(["fault", "status"]).where("instance_id", "=", id).where("method", "=", "reboot").executeTakeFirstOrThrow();
    assert.deepEqual([JSON.parse(command.fault ?? "null"), command.status], [{ mode: "fail", delayMs: 0, message: "PCIe link down" }, "failed"]);
    assert.equal(await s.state(id), "Running");
  });

  it("a hang fault holds the soft reboot at the host; past the soft timeout the hard reboot boots once", async () => {
    const id = await running();
    const boots = backend.boots.get(id)?.length ?? 0;
    await s.call("ArmCompShareFault", { Method: "reboot", Mode: "hang", UHostId: id });
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: id });
    assert.equal(res.body.RetCode, 0);
    await s.until(async () => (await s.app.store.db.selectFrom("host_commands").select("status").where("instance_id", "=", id).where("method", "=", "reboot").where("status", "=", "delivered").executeTakeFirst()) !== undefined, 50);
    assert.equal(backend.boots.get(id)?.length ?? 0, boots, "hung: nothing booted");
    await s.until(async () => (await operation(id, res.requestId))?.Status === "Succeeded", 250);
    assert.equal(backend.boots.get(id)?.length, boots + 1, "the hard reboot booted the machine once");
    const faults = await s.call("DescribeCompShareFaults");
    const hang = (faults.body.FaultSet as Array<{ Mode: string; Fired: number }>).find((f) => f.Mode === "hang");
    assert.equal(hang?.Fired, 1);
  });
});
