/**
 * Real guests through the whole control plane, as a user meets them:
 *
 * - fleet mode: `ocs serve` with OCS_DRIVER=agent and `ocs agent` as separate processes. The
 *   official Python SDK creates an instance and reboots it; the console shows a new boot id; SSH
 *   with Describe's SshLoginCommand and password runs a command in the guest, and so does the
 *   password after ResetCompShareInstancePassword; `kill -9` of the agent in the middle of a
 *   reboot leaves one reboot operation and one new boot; a guest powered off from inside is
 *   recorded Stopped;
 * - one box: `ocs serve` with OCS_DRIVER=qemu (the agent in the server's process) lists the
 *   built guest image with no further step, and boots it.
 *
 *   npm run test:qemu
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IMAGE_ID } from "../../scripts/guest-image/build.js";
import { pythonVenv } from "../compat/venv.js";
import { call, type Keys } from "../helpers/client.js";
import { bootIds, spawnAgent, type AgentProcess } from "../helpers/agent-process.js";
import { poll, spawnServer, type ServerProcess } from "../helpers/process.js";
import { ocs } from "../cli/run-ocs.js";
import { guestImage, imagesDir, killQemusUnder, qemuPidsUnder, sshLogin } from "./helpers.js";

const KEYS: Keys = { PublicKey: "e2e-public-key", PrivateKey: "e2e-private-key" };
const ZONE = { Region: "cn-wlcb", Zone: "cn-wlcb-01" };
const TEST_MS = 600_000;
const ROOT_DIR = new URL("../..", import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `ssh -p PORT root@HOST`, as Describe shows it. */
function parseLogin(command: string): { port: number; user: string; host: string } {
  const m = /^ssh -p (\d+) (\w+)@([\d.]+)$/.exec(command);
  assert.ok(m, `SshLoginCommand: ${command}`);
  return { port: Number(m[1]), user: m[2] as string, host: m[3] as string };
}

describe("real guests through the control plane (TCG)", { timeout: 40 * 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "ocs-e2e-"));
  const dataDir = join(root, "data");
  const agentState = join(root, "agent");
  let images = "";
  let python = "";
  let server: ServerProcess;
  let token = "";
  let agent: AgentProcess | undefined;
  const env = { OCS_DATA_DIR: dataDir, OCS_PUBLIC_KEY: KEYS.PublicKey, OCS_PRIVATE_KEY: KEYS.PrivateKey };

  const api = async (action: string, params: Record<string, unknown> = {}) => {
    const res = await call(server.url, KEYS, action, params as never);
    assert.equal(res.body.RetCode, 0, `${action}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const describeOne = async (id: string) => ((await api("DescribeCompShareInstance", { ...ZONE, "UHostIds.0": id })).UHostSet as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
  const serial = (id: string): string => {
    const file = join(agentState, "machines", id, "serial.log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };
  const until = async (what: string, cond: () => Promise<boolean>, ms = 300_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await cond().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(500);
    }
  };

  const startAgent = (): AgentProcess => spawnAgent(["--server", server.url, "--token", token, "--state-dir", agentState, "--images-dir", images, "--accel", "tcg", "--gpus", "emulated:4090x8", "--heartbeat-ms", "1000"]);

  process.once("exit", () => killQemusUnder(root));

  before(async () => {
    const built = await guestImage();
    images = imagesDir(root, built.folder);
    python = await pythonVenv(join(ROOT_DIR, "test/compat/python/requirements.txt"), "python", (l) => console.log(`# python: ${l}`));
    // Testing mode: the hung reboot below is armed over the wire, and the host's agent applies it.
    server = await spawnServer({ ...env, OCS_DRIVER: "agent", OCS_LOG_LEVEL: "warn", OCS_TESTING: "1" });
    const added = await ocs(["host", "add", "gpu-host-1"], env);
    assert.equal(added.code, 0, added.stderr);
    token = (JSON.parse(added.stdout) as { Token: string }).Token;
    agent = startAgent();
    await poll(async () => ((await call(server.url, KEYS, "DescribeCompShareImages", { ...ZONE, ImageType: "System" })).body.ImageSet as Array<{ CompShareImageId: string }>).some((i) => i.CompShareImageId === IMAGE_ID), 200, 300);
  });

  after(async () => {
    // Bounded: a process that does not stop on SIGTERM is killed, and the test says so.
    for (const p of [agent, server]) {
      if (!p) continue;
      p.child.kill("SIGTERM");
      const code = await Promise.race([p.exited, sleep(60_000).then(() => "timeout")]);
      if (code === "timeout") {
        p.child.kill("SIGKILL");
        assert.fail(`a process did not stop on SIGTERM within 60 s:\n${p.output()}`);
      }
    }
    const killed = killQemusUnder(root);
    if (killed.length > 0) console.log(`# killed leftover QEMU processes: ${killed.join(", ")}`);
    rmSync(root, { recursive: true, force: true });
  });

  let id = "";
  let login = { port: 0, user: "", host: "" };
  const PASSWORD = "E2e-first-pass";

  it("the official Python SDK creates a guest (Initializing → Running) and reboots it (Rebooting → Running): the console shows a new boot id", { timeout: TEST_MS }, async () => {
    const run = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(python, [join(ROOT_DIR, "test/qemu/sdk_lifecycle.py")], {
        env: { ...process.env, OCS_E2E_BASE_URL: server.url, OCS_E2E_PUBLIC_KEY: KEYS.PublicKey, OCS_E2E_PRIVATE_KEY: KEYS.PrivateKey, OCS_E2E_IMAGE_ID: IMAGE_ID, OCS_E2E_PASSWORD: PASSWORD, PYTHONDONTWRITEBYTECODE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("close", (code) => resolve({ code, out, err }));
    });
    assert.equal(run.code, 0, `${run.out}\n${run.err}\n${agent?.output() ?? ""}`);
    const r = JSON.parse(run.out.trim().split("\n").pop() as string) as { UHostId: string; Create: string[]; Reboot: string[]; SshLoginCommand: string; Password: string; IP: string };
    id = r.UHostId;
    assert.deepEqual(r.Create, ["Initializing", "Running"]);
    assert.deepEqual(r.Reboot, ["Rebooting", "Running"]);
    assert.equal(Buffer.from(r.Password, "base64").toString(), PASSWORD, "Describe's Password is the one given at create");
    login = parseLogin(r.SshLoginCommand);
    assert.equal(login.host, r.IP, "the login command names the instance's IP");
    const out = (await api("GetCompShareInstanceConsoleOutput", { ...ZONE, UHostId: id })).Output as string;
    const ids = bootIds(out);
    assert.equal(ids.length, 2, `two boots on the console:\n${out.slice(-2000)}`);
    assert.notEqual(ids[0], ids[1], "the reboot gave a new boot id");
  });

  it("ocs instance console prints the same tail, ending with the last boot id", { timeout: TEST_MS }, async () => {
    const printed = await ocs(["instance", "console", id], { UCLOUD_PUBLIC_KEY: KEYS.PublicKey, UCLOUD_PRIVATE_KEY: KEYS.PrivateKey, UCLOUD_BASE_URL: server.url, ...Object.fromEntries(Object.entries(ZONE).map(([k, v]) => [`UCLOUD_${k.toUpperCase()}`, v])) });
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(bootIds(printed.stdout).at(-1), bootIds(serial(id)).at(-1));
  });

  it("SSH with Describe's SshLoginCommand and password runs a command in the guest: its boot id is the console's last", { timeout: TEST_MS }, async () => {
    const inst = await describeOne(id);
    const password = Buffer.from(inst.Password as string, "base64").toString();
    const r = await sshLogin(root, login.port, login.user, password, "cat /proc/sys/kernel/random/boot_id");
    assert.ok(r.ok, r.output);
    const guestBootId = /ocs-ssh-login-ok\s+([0-9a-f-]{36})/.exec(r.output)?.[1];
    assert.equal(guestBootId, bootIds(serial(id)).at(-1));
  });

  it("after ResetCompShareInstancePassword the new password logs in and the old one no longer", { timeout: TEST_MS }, async () => {
    const fresh = "E2e-second-pass";
    await api("ResetCompShareInstancePassword", { ...ZONE, UHostId: id, Password: Buffer.from(fresh).toString("base64") });
    await until("the password task ends", async () => {
      const ops = (await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: id })).OperationSet as Array<{ Action: string; Status: string }>;
      const op = ops.find((o) => o.Action === "ResetCompShareInstancePassword");
      return op?.Status === "Succeeded";
    });
    const ok = await sshLogin(root, login.port, login.user, fresh);
    assert.ok(ok.ok, ok.output);
    const old = await sshLogin(root, login.port, login.user, PASSWORD);
    assert.equal(old.ok, false, "the old password is refused");
  });

  it("kill -9 of the agent in the middle of a reboot: the operation succeeds once and the guest boots once", { timeout: TEST_MS }, async () => {
    const before = bootIds(serial(id));
    const downs = (text: string) => text.split("ocs-guest: shutdown").length;
    const downsBefore = downs(serial(id));
    await api("RebootCompShareInstance", { ...ZONE, UHostId: id });
    await until("the guest goes down for the reboot", async () => downs(serial(id)) > downsBefore, 120_000);
    const killed = agent as AgentProcess;
    killed.child.kill("SIGKILL");
    assert.equal(await killed.exited, "SIGKILL");
    agent = startAgent();
    await until("Running again", async () => (await describeOne(id)).State === "Running");
    const after = bootIds(serial(id));
    assert.equal(after.length, before.length + 1, "exactly one new boot");
    assert.ok(!before.includes(after.at(-1) as string), "a new boot id");
    const ops = (await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: id })).OperationSet as Array<{ Action: string; Status: string }>;
    const reboots = ops.filter((o) => o.Action === "RebootCompShareInstance");
    assert.deepEqual(reboots.map((o) => o.Status), ["Succeeded", "Succeeded"], "the SDK's reboot and this one, each once");
    const guest = await sshLogin(root, login.port, login.user, "E2e-second-pass", "cat /proc/sys/kernel/random/boot_id");
    assert.ok(guest.output.includes(after.at(-1) as string), guest.output);
  });

  it("a fault armed over the wire hangs the real soft reboot at the host; past the soft timeout the hard reboot boots the guest once", { timeout: TEST_MS }, async () => {
    const before = bootIds(serial(id));
    const downs = (text: string) => text.split("ocs-guest: shutdown").length;
    const downsBefore = downs(serial(id));
    await api("ArmCompShareFault", { Method: "reboot", Mode: "hang", UHostId: id });
    await api("RebootCompShareInstance", { ...ZONE, UHostId: id });
    await until("the soft reboot reached the host", async () => {
      const faults = (await api("DescribeCompShareFaults")).FaultSet as Array<{ Fired: number }>;
      return faults[0]?.Fired === 1;
    });
    await sleep(3000);
    assert.equal(downs(serial(id)), downsBefore, "hung at the host: the guest was never asked to shut down");
    assert.equal((await describeOne(id)).State, "Rebooting");
    // The soft timeout (60 s by default) passes on the server's clock: the hard reboot follows.
    await api("AdvanceCompShareClock", { Seconds: 61 });
    await until("Running again", async () => (await describeOne(id)).State === "Running");
    const after = bootIds(serial(id));
    assert.equal(after.length, before.length + 1, "exactly one new boot");
    assert.ok(!before.includes(after.at(-1) as string), "a new boot id");
    const ops = (await api("DescribeCompShareInstanceOperations", { ...ZONE, UHostId: id })).OperationSet as Array<{ Action: string; Status: string }>;
    assert.equal(ops[0]?.Status, "Succeeded");
    await api("ClearCompShareFaults");
  });

  it("a guest powered off from inside is recorded Stopped (from the agent's heartbeat, once settled for 30 s)", { timeout: TEST_MS }, async () => {
    const r = await sshLogin(root, login.port, login.user, "E2e-second-pass", "(sleep 1; poweroff) >/dev/null 2>&1 &");
    assert.ok(r.ok, r.output);
    await until("Stopped", async () => (await describeOne(id)).State === "Stopped", 180_000);
    assert.equal(qemuPidsUnder(join(agentState, "machines", id)).length, 0, "its QEMU has exited");
  });

  it("TerminateCompShareInstance: the guest's files are gone", { timeout: TEST_MS }, async () => {
    await api("TerminateCompShareInstance", { ...ZONE, UHostId: id });
    await until("released", async () => ((await api("DescribeCompShareInstance", { ...ZONE, "UHostIds.0": id })).UHostSet as unknown[]).length === 0);
    assert.equal(existsSync(join(agentState, "machines", id)), false);
  });
});

describe("OCS_DRIVER=qemu: one box, its agent in the server's process (TCG)", { timeout: 20 * 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "ocs-e2e-box-"));
  const dataDir = join(root, "data");
  let server: ServerProcess;
  let qemuPids: number[] = [];
  process.once("exit", () => killQemusUnder(root));

  before(async () => {
    const built = await guestImage();
    const images = imagesDir(root, built.folder);
    server = await spawnServer({ OCS_DATA_DIR: dataDir, OCS_DRIVER: "qemu", OCS_IMAGES_DIR: images, OCS_AGENT_ACCEL: "tcg", OCS_PUBLIC_KEY: KEYS.PublicKey, OCS_PRIVATE_KEY: KEYS.PrivateKey, OCS_LOG_LEVEL: "warn" });
  });
  after(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
    killQemusUnder(root);
    rmSync(root, { recursive: true, force: true });
  });

  it("lists only the images this host can boot (the built one, with no further step), and boots one that SSH reaches", { timeout: TEST_MS }, async () => {
    let listed: string[] = [];
    await poll(async () => {
      const res = await call(server.url, KEYS, "DescribeCompShareImages", { ...ZONE, ImageType: "System" });
      listed = (res.body.ImageSet as Array<{ CompShareImageId: string }>).map((i) => i.CompShareImageId);
      return listed.includes(IMAGE_ID);
    }, 200, 300);
    assert.ok(!listed.includes("compshareImage-ubuntu2204"), `an image this host has no file for is not listed: ${listed.join(", ")}`);
    const created = await call(server.url, KEYS, "CreateCompShareInstance", { ...ZONE, MachineType: "G", GpuType: "4090", GPU: 1, CPU: 16, Memory: 65536, CompShareImageId: IMAGE_ID, ChargeType: "Postpay", Password: Buffer.from("Box-pass-1").toString("base64") });
    assert.equal(created.body.RetCode, 0, JSON.stringify(created.body));
    const id = (created.body.UHostIds as string[])[0] as string;
    let inst: Record<string, unknown>;
    const deadline = Date.now() + 300_000;
    for (;;) {
      inst = ((await call(server.url, KEYS, "DescribeCompShareInstance", { ...ZONE, "UHostIds.0": id })).body.UHostSet as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
      if (inst.State === "Running" || Date.now() > deadline) break;
      await sleep(500);
    }
    assert.equal(inst.State, "Running", server.output());
    const login = parseLogin(inst.SshLoginCommand as string);
    const r = await sshLogin(root, login.port, login.user, "Box-pass-1", "uname -r");
    assert.ok(r.ok, r.output);
    qemuPids = qemuPidsUnder(root);
    assert.equal(qemuPids.length, 1);
  });

  it("SIGTERM: the server exits 0, and the guest goes on running (found again by the next start)", { timeout: TEST_MS }, async () => {
    server.child.kill("SIGTERM");
    const code = await Promise.race([server.exited, sleep(60_000).then(() => "still running after 60 s")]);
    assert.equal(code, 0, server.output());
    assert.deepEqual(qemuPidsUnder(root), qemuPids);
  });
});
