/**
 * The agent protocol end to end, with real agents (in this process) talking HTTP to a real
 * server in OCS_DRIVER=agent mode, and an in-memory backend: registration, placement on hosts,
 * operations run by the agent, the fence (a lower epoch refused, a redelivered command answered
 * from its record), the report's compare-and-set, an agent restarted mid-reboot, host leases,
 * and GPU health from a fake nvidia-smi and kernel log.
 */
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, gpu, type AgentLog, type GpuMode } from "@opencompshare/agent";
import { AGENT_PATH } from "@opencompshare/protocol";
import { CREATE, REGION, startServer, type TestServer } from "../helpers/server.js";
import { buildSysfs, smiEnv, writeFakeNvidiaSmi } from "./gpu/fakes.js";
import { MemoryBackend } from "./support/memory-backend.js";

const quiet: AgentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const emulated = (count = 8): GpuMode => ({ kind: "emulated", gpuType: "4090", count, memoryMb: 24576 });

interface Host {
  agent: Agent;
  backend: MemoryBackend;
  stateDir: string;
  token: string;
}

describe("the agent protocol", () => {
  let s: TestServer;
  const dirs: string[] = [];
  const agents: Agent[] = [];

  async function host(name: string, opts: { backend?: MemoryBackend; gpus?: GpuMode; stateDir?: string; token?: string } = {}): Promise<Host> {
    const token = opts.token ?? (await s.app.addHost(name));
    const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), `ocs-agent-${name}-`));
    if (!opts.stateDir) dirs.push(stateDir);
    const backend = opts.backend ?? new MemoryBackend();
    const agent = new Agent({ server: s.url, token, stateDir, backend, gpus: opts.gpus ?? emulated(), log: quiet, heartbeatMs: 100, pollWaitMs: 20_000 });
    await agent.start();
    agents.push(agent);
    return { agent, backend, stateDir, token };
  }

  const db = () => s.app.store.db;
  /**
   * A stopped agent's last word: a heartbeat or poll it sent just before it stopped may be taken
   * by the server after the test has moved the clock on (the machine is loaded), and mark the host
   * seen at the new time. The host is made to have last reported when its agent stopped.
   */
  async function lastHeardAt(hostId: string, at: number): Promise<void> {
    await db().updateTable("hosts").set({ last_seen: at }).where("id", "=", hostId).execute();
  }
  const hostOf = async (id: string) => (await db().selectFrom("instances").select("host_id").where("id", "=", id).executeTakeFirstOrThrow()).host_id;
  const commands = (id: string) => db().selectFrom("host_commands").selectAll().where("instance_id", "=", id).orderBy("created_at").execute();
  const epochOf = async (id: string) => Number((await db().selectFrom("instance_locks").select("epoch").where("instance_id", "=", id).executeTakeFirstOrThrow()).epoch);

  before(async () => {
    // The agents work in real time while the test moves the server's clock: a soft timeout far away keeps reboots soft.
    s = await startServer({ env: { OCS_DRIVER: "agent", OCS_HOST_LEASE_MS: "40000", OCS_SOFT_TIMEOUT_MS: "600000" } });
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  let a: Host;
  let instance: string;

  it("registers a host: its CPUs, memory, GPUs and images; an account's keys cannot reach the agent endpoints", async () => {
    a = await host("host-a");
    const row = await db().selectFrom("hosts").selectAll().where("id", "=", "host-a").executeTakeFirstOrThrow();
    assert.deepEqual([row.kind, row.gpu_type, Number(row.cpus), row.accelerator], ["agent", "4090", 64, "tcg"]);
    const gpus = await db().selectFrom("host_gpus").select(["device", "healthy"]).where("host_id", "=", "host-a").execute();
    assert.equal(gpus.length, 8);
    // The host's images are the ones listed.
    const images = await s.call("DescribeCompShareImages", REGION);
    assert.deepEqual((images.body.ImageSet as Array<{ CompShareImageId: string }>).map((i) => i.CompShareImageId), ["compshareImage-ubuntu2204"]);
    // No token, a wrong token, or a token for another host: refused.
    const post = (token: string | undefined, body: unknown) =>
      fetch(`${s.url}${AGENT_PATH}/heartbeat`, { method: "POST", headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    assert.equal((await post(undefined, { hostId: "host-a" })).status, 401);
    assert.equal((await post("host-a.wrong", { hostId: "host-a" })).status, 401);
    assert.equal((await post(`${s.keys.PublicKey}.${s.keys.PrivateKey}`, { hostId: "host-a" })).status, 401);
    assert.equal((await post(a.token, { hostId: "host-b" })).status, 403);
  });

  it("places a Create on the host and runs it through the agent: Running, with the login the host told", async () => {
    const res = await s.call("CreateCompShareInstance", { ...CREATE, Password: Buffer.from("Cr3ate-pass!").toString("base64") });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    instance = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(instance)) === "Running", 50);
    assert.equal(await hostOf(instance), "host-a");
    const machine = a.backend.machinesById.get(instance);
    assert.equal(machine?.power, "running");
    assert.equal(machine?.password, "Cr3ate-pass!", "the create's password reached the guest before its first boot");
    for (const c of await commands(instance)) assert.ok(!c.args.includes("Cr3ate-pass!") && !c.args.includes(instance), "command arguments are sealed at rest");
    assert.deepEqual(machine?.spec.gpuDevices, ["emulated:0"], "the spec names the emulated GPU placed; each backend decides what of it reaches the machine");
    const d = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": instance });
    const inst = (d.body.UHostSet as Array<{ SshLoginCommand: string; IPSet: Array<{ IP: string }> }>)[0];
    assert.equal(inst?.SshLoginCommand, "ssh -p 22022 root@127.0.0.1");
    assert.equal(inst?.IPSet[0]?.IP, "127.0.0.1");
  });

  it("reboots through the agent: one new boot, every command at the operation's epoch", async () => {
    const bootsBefore = a.backend.boots.get(instance)?.length ?? 0;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: instance });
    assert.equal(res.body.RetCode, 0);
    await s.until(async () => (await s.state(instance)) === "Running", 50);
    assert.equal(a.backend.boots.get(instance)?.length, bootsBefore + 1);
    const epoch = await epochOf(instance);
    const reboot = (await commands(instance)).filter((c) => c.method === "reboot");
    assert.deepEqual(
      reboot.map((c) => [c.status, Number(c.epoch)]),
      [["done", epoch]],
    );
  });

  it("refuses a command of a lower epoch than the host has seen, and it never acts (a stale replica)", async () => {
    const calls = a.backend.calls.get("reboot") ?? 0;
    const epoch = await epochOf(instance);
    await db()
      .insertInto("host_commands")
      .values({
        id: "cmd-stale",
        host_id: "host-a",
        instance_id: instance,
        operation_id: "op-stale",
        epoch: epoch - 1,
        method: "reboot",
        args: s.app.services.sealer.seal(JSON.stringify([instance, "hard", 0])),
        status: "pending",
        result: null,
        error_kind: null,
        error_message: null,
        progress: null,
        deliveries: 0,
        created_at: s.clock.now(),
        delivered_at: null,
        done_at: null,
      })
      .execute();
    await s.until(async () => (await db().selectFrom("host_commands").select("status").where("id", "=", "cmd-stale").executeTakeFirstOrThrow()).status !== "pending", 50);
    await s.until(async () => (await db().selectFrom("host_commands").select("status").where("id", "=", "cmd-stale").executeTakeFirstOrThrow()).status === "failed", 50);
    const row = await db().selectFrom("host_commands").selectAll().where("id", "=", "cmd-stale").executeTakeFirstOrThrow();
    assert.equal(row.error_kind, "stale");
    assert.match(row.error_message ?? "", /older than epoch/);
    assert.equal(a.backend.calls.get("reboot") ?? 0, calls, "the backend was never asked");
  });

  it("answers a command delivered again with its recorded result, without acting twice (a lost report)", async () => {
    const [done] = (await commands(instance)).filter((c) => c.method === "reboot" && c.status === "done");
    assert.ok(done);
    const calls = a.backend.calls.get("reboot") ?? 0;
    const boots = a.backend.boots.get(instance)?.length;
    await db().updateTable("host_commands").set({ status: "pending", result: null, done_at: null }).where("id", "=", done.id).execute();
    await s.until(async () => (await db().selectFrom("host_commands").select("status").where("id", "=", done.id).executeTakeFirstOrThrow()).status === "done", 50);
    assert.equal(a.backend.calls.get("reboot"), calls);
    assert.equal(a.backend.boots.get(instance)?.length, boots);
  });

  it("takes a report only by compare-and-set on the command's epoch, and only while it runs", async () => {
    const [done] = (await commands(instance)).filter((c) => c.method === "reboot" && c.status === "done");
    assert.ok(done);
    const report = (epoch: number) =>
      fetch(`${s.url}${AGENT_PATH}/commands/report`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${a.token}` },
        body: JSON.stringify({ hostId: "host-a", report: { id: done.id, epoch, ok: true, value: null } }),
      });
    await db().updateTable("host_commands").set({ status: "delivered" }).where("id", "=", done.id).execute();
    assert.equal((await report(Number(done.epoch) - 1)).status, 409, "a wrong epoch is refused");
    assert.equal((await report(Number(done.epoch))).status, 200);
    assert.equal((await report(Number(done.epoch))).status, 409, "a command that ended takes no second report");
  });

  it("resumes a reboot after the agent restarts in its middle: the operation succeeds once and the machine boots once", async () => {
    a.backend.actionMs = 1500;
    const boots = a.backend.boots.get(instance)?.length ?? 0;
    const res = await s.call("RebootCompShareInstance", { ...REGION, UHostId: instance });
    assert.equal(res.body.RetCode, 0);
    // The agent has the reboot in flight…
    await s.until(async () => (await commands(instance)).some((c) => c.method === "reboot" && c.status === "delivered"), 25);
    const machine = a.backend.machinesById.get(instance);
    await s.until(async () => machine?.inFlight.has("reboot") === true, 10);
    // …and goes away (the machine goes on: QEMU outlives its agent). A new agent, same state.
    await a.agent.stop();
    a = await host("host-a", { backend: a.backend, stateDir: a.stateDir, token: a.token });
    await s.until(async () => (await s.state(instance)) === "Running", 50, 10_000);
    a.backend.actionMs = 20;
    assert.equal(a.backend.boots.get(instance)?.length, boots + 1, "one boot");
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: instance });
    const reboots = (ops.body.OperationSet as Array<{ Action: string; Status: string }>).filter((o) => o.Action === "RebootCompShareInstance");
    assert.deepEqual(reboots.map((o) => o.Status), ["Succeeded", "Succeeded"]);
    const delivered = (await commands(instance)).filter((c) => c.method === "reboot" && c.status === "done").at(-1);
    assert.ok(delivered && Number(delivered.deliveries) >= 2, "the command was handed out again after the restart");
  });

  it("records a guest that powered itself off (or on), once its instance has been settled for 30 s", async () => {
    const machine = a.backend.machinesById.get(instance);
    assert.ok(machine);
    // Powered off from inside the guest, right after an operation: the record is too fresh to correct.
    machine.power = "stopped";
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await s.state(instance), "Running", "not within 30 s of the last change");
    await s.clock.advance(31_000);
    const at = s.clock.now();
    await s.until(async () => (await s.state(instance)) === "Stopped", 50);
    const row = await db().selectFrom("instances").select(["stop_time"]).where("id", "=", instance).executeTakeFirstOrThrow();
    assert.ok(Number(row.stop_time) >= at, "the stop time is when the host reported it");
    // Started outside the control plane: Running again, once settled.
    machine.power = "running";
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await s.state(instance), "Stopped");
    await s.clock.advance(31_000);
    await s.until(async () => (await s.state(instance)) === "Running", 50);
  });

  it("places on two hosts, most free GPUs first, and never on a host silent past its lease", async () => {
    const b = await host("host-b");
    const res = await s.call("CreateCompShareInstance", CREATE);
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running", 50);
    assert.equal(await hostOf(id), "host-b", "host-b has more free GPUs");
    // host-b stops heartbeating; 40 s later it is Unknown to placement.
    await b.agent.stop();
    const bStopped = s.clock.now();
    await s.clock.advance(41_000);
    await lastHeardAt("host-b", bStopped);
    await db().updateTable("hosts").set({ last_seen: s.clock.now() }).where("id", "=", "host-a").execute();
    const next = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(next.body.RetCode, 0, JSON.stringify(next.body));
    assert.equal(await hostOf((next.body.UHostIds as string[])[0] as string), "host-a");
    // With host-a silent too, nothing can be placed: ResourceNotEnough, and nothing created.
    await a.agent.stop();
    const aStopped = s.clock.now();
    await s.clock.advance(41_000);
    await lastHeardAt("host-a", aStopped);
    const none = await s.call("CreateCompShareInstance", CREATE);
    assert.equal(none.body.RetCode, 226604, JSON.stringify(none.body));
    a = await host("host-a", { backend: a.backend, stateDir: a.stateDir, token: a.token });
  });
});

describe("GPU health through the agent", () => {
  let s: TestServer;
  let agent: Agent;
  let dir: string;
  let kmsg: string;

  before(async () => {
    s = await startServer({ env: { OCS_DRIVER: "agent" } });
    dir = mkdtempSync(join(tmpdir(), "ocs-agent-gpu-"));
    const smi = await writeFakeNvidiaSmi(dir);
    const sysfs = await buildSysfs(join(dir, "sysfs"), []);
    kmsg = join(dir, "kmsg");
    writeFileSync(kmsg, "");
    const inventory = new gpu.GpuInventory({ nvidiaSmi: smi, env: smiEnv(dir, "nvidia-smi-8x4090.csv"), sysfsRoot: sysfs.sys, devRoot: sysfs.dev, kmsgPath: kmsg });
    agent = new Agent({ server: s.url, token: await s.app.addHost("gpu-host"), stateDir: join(dir, "state"), backend: new MemoryBackend(), gpus: { kind: "auto", inventory }, log: quiet, heartbeatMs: 100 });
    await agent.start();
  });
  after(async () => {
    await agent.stop();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers the GPUs nvidia-smi lists, gives whole GPUs to instances, and takes a GPU that fell off the bus out of placement", async () => {
    const devices = await s.app.store.db.selectFrom("host_gpus").select(["device"]).where("host_id", "=", "gpu-host").orderBy("idx").execute();
    assert.equal(devices.length, 8);
    assert.equal(devices[0]?.device, "0000:18:00.0");
    const res = await s.call("CreateCompShareInstance", { ...CREATE, GPU: 2, CPU: 32, Memory: 131072 });
    assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
    const id = (res.body.UHostIds as string[])[0] as string;
    await s.until(async () => (await s.state(id)) === "Running", 50);
    const given = await s.app.store.db.selectFrom("host_gpus").select("device").where("instance_id", "=", id).orderBy("idx").execute();
    assert.deepEqual(given.map((g) => g.device), ["0000:18:00.0", "0000:2a:00.0"]);
    // Xid 79 on the instance's first GPU: unhealthy at the next heartbeat, shown in Describe.
    appendFileSync(kmsg, "3,1234,5678901,-;NVRM: Xid (PCI:0000:18:00): 79, pid=0, GPU has fallen off the bus.\n");
    await s.until(async () => (await s.app.store.db.selectFrom("host_gpus").select("healthy").where("device", "=", "0000:18:00.0").executeTakeFirstOrThrow()).healthy === 0, 50);
    const d = await s.call("DescribeCompShareInstance", { ...REGION, "UHostIds.0": id });
    const info = ((d.body.UHostSet as Array<{ MonitorMessages: { GpuInfo: Array<Record<string, unknown>> } }>)[0]?.MonitorMessages.GpuInfo ?? []) as Array<Record<string, unknown>>;
    assert.equal(info[0]?.Healthy, false);
    assert.match(String((info[0]?.Reasons as string[])[0]), /79/);
    assert.equal(info[1]?.Healthy, true);
    // Six healthy free GPUs remain: six instances of one GPU fit, a seventh does not.
    const capacity = await s.call("CheckCompShareResourceCapacity", {
      ...REGION,
      GpuType: "4090",
      MachineType: "G",
      MinimalCpuPlatform: "Auto",
      CompShareImageId: CREATE.CompShareImageId,
      ChargeType: "Postpay",
      Disks: [{ IsBoot: true, Type: "CLOUD_SSD", Size: 100 }],
    });
    const specs = capacity.body.Specs as Array<{ Gpu: number; Mem: number; ResourceEnough: boolean }>;
    assert.equal(specs.find((x) => x.Gpu === 6 && x.Mem === 384)?.ResourceEnough, false, "6 GPUs need 96 CPUs: more than the host's 64");
    assert.equal(specs.find((x) => x.Gpu === 2 && x.Mem === 128)?.ResourceEnough, true);
    const free = await s.app.store.db.selectFrom("host_gpus").select((eb) => eb.fn.countAll<number>().as("n")).where("host_id", "=", "gpu-host").where("instance_id", "is", null).where("healthy", "=", 1).executeTakeFirstOrThrow();
    assert.equal(Number(free.n), 6);
    // The monitor shows the agent's GPU series per device.
    const m = await s.call("GetCompShareInstanceMonitor", { Region: REGION.Region, UHostIds: [id] });
    const util = ((m.body.Data as { List: Array<{ Metrics: Array<{ MetricKey: string; Results: Array<{ TagMap: Record<string, string> }> }> }> }).List[0]?.Metrics ?? []).find((x) => x.MetricKey === "cloudwatch_gpu_util");
    assert.deepEqual(util?.Results.map((r) => r.TagMap.gpu_bus_id), ["0000:18:00.0", "0000:2a:00.0"]);
    // …and the health the host reported: the GPU that fell off the bus is 0.
    const healthy = ((m.body.Data as { List: Array<{ Metrics: Array<{ MetricKey: string; Results: Array<{ TagMap: Record<string, string>; Values: Array<{ Value: number }> }> }> }> }).List[0]?.Metrics ?? []).find((x) => x.MetricKey === "ocs_gpu_healthy");
    assert.deepEqual(healthy?.Results.map((r) => [r.TagMap.gpu_bus_id, r.Values[0]?.Value]), [["0000:18:00.0", 0], ["0000:2a:00.0", 1]]);
  });
});
