/**
 * What crosses the agent protocol is checked against its schemas, never cast: the control plane
 * answers a body that does not match with a 400 naming the field and changes nothing, and the
 * agent's executor refuses a command whose arguments break the machine contract before the
 * backend sees it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Executor, FenceStore } from "@opencompshare/agent";
import { AGENT_PATH } from "@opencompshare/protocol";
import { startServer, type TestServer } from "../helpers/server.js";
import { MemoryBackend } from "./support/memory-backend.js";

const REGISTRATION = {
  bootId: "b-1",
  agentVersion: "0.1.0",
  cpuPlatform: "Amd/Auto",
  cpus: 32,
  memory: 131072,
  accelerator: "tcg",
  gpus: [{ device: "emulated:0", gpuType: "4090", model: "emulated 4090", memoryMb: 24576 }],
  images: [{ id: "compshareImage-ubuntu2204", name: "Ubuntu", osName: "Ubuntu 22.04", sizeGb: 50 }],
};

describe("agent protocol bodies", () => {
  let s: TestServer;
  let token: string;
  const hostId = "bodies-host";
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${s.url}${AGENT_PATH}${path}`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: string } };
  };
  const hostRow = () => s.app.store.db.selectFrom("hosts").selectAll().where("id", "=", hostId).executeTakeFirst();

  before(async () => {
    s = await startServer({ env: { OCS_DRIVER: "agent" } });
    token = await s.app.addHost(hostId);
  });
  after(async () => {
    await s.close();
  });

  it("a registration that does not match is a 400 naming each field, and registers nothing", async () => {
    const before = await hostRow();
    const bad = await post("/register", { ...REGISTRATION, hostId, cpus: "many", accelerator: "xen", gpus: [{ device: "emulated:0" }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error ?? "", /cpus: expected an integer/);
    assert.match(bad.body.error ?? "", /accelerator: one of kvm, tcg/);
    assert.match(bad.body.error ?? "", /gpus\.0\.gpuType: required/);
    assert.deepEqual(await hostRow(), before);
    const good = await post("/register", { ...REGISTRATION, hostId });
    assert.equal(good.status, 200, JSON.stringify(good.body));
  });

  it("a heartbeat keeps null readings as null, and refuses a machine without its boot count", async () => {
    const gpu = { device: "emulated:0", healthy: true, reasons: [], temperatureC: null, utilGpu: 12.5, memoryUsedMb: null, memoryTotalMb: 24576, eccUncorrected: null, xids: [] };
    const ok = await post("/heartbeat", { hostId, bootId: "b-1", gpus: [gpu], machines: [], images: ["compshareImage-ubuntu2204"] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const bad = await post("/heartbeat", { hostId, bootId: "b-1", gpus: [gpu], machines: [{ id: "uhost-x", power: "running" }], images: [] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "machines.0.bootCount: required");
  });

  it("a poll or a report that does not match is a 400", async () => {
    const poll = await post("/commands/poll", { hostId, running: "all", waitMs: 0 });
    assert.equal(poll.status, 400);
    assert.equal(poll.body.error, "running: expected a list");
    const report = await post("/commands/report", { hostId, report: { id: "cmd-1", epoch: -1, ok: false, error: { kind: "odd", message: "x" } } });
    assert.equal(report.status, 400);
    assert.match(report.body.error ?? "", /report\.epoch: at least 0/);
    assert.match(report.body.error ?? "", /report\.error\.kind: one of stale, refused/);
  });

  it("the executor refuses arguments that break the contract, and the backend never sees the call", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "ocs-bodies-"));
    try {
      const backend = new MemoryBackend();
      const executor = new Executor({ backend, fences: new FenceStore(stateDir) });
      const ac = new AbortController();
      const command = { id: "cmd-bad", instanceId: "uhost-1", operationId: "op-1", epoch: 1 };
      const reboot = await executor.execute({ ...command, method: "reboot", args: ["uhost-1", "gently", 1] }, ac.signal);
      assert.deepEqual(reboot, { id: "cmd-bad", epoch: 1, ok: false, error: { kind: "refused", message: "reboot: args.1 one of soft, hard" } });
      const provision = await executor.execute({ ...command, id: "cmd-bad-2", method: "provision", args: ["uhost-1", { cpu: 1 }] }, ac.signal);
      assert.match("error" in provision ? provision.error.message : "", /^provision: args\.1\.memory required/);
      assert.equal(backend.calls.size, 0);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
