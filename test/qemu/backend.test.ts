/**
 * The QEMU backend against real QEMU guests (TCG, one vCPU): the guest image built by
 * `npm run guest-image`, booted, rebooted soft and hard, powered off, resized, reinstalled,
 * snapshotted into a custom image that boots, given a hot-plugged data disk and a new password,
 * and found again by a new backend after the agent "restarts" — with a variant image whose
 * guest ignores ACPI and has no agent, to prove the hard fallback.
 *
 *   npm run test:qemu
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ImageProgress, MachineSpec, MachineStatus } from "@opencompshare/protocol";
import { QemuBackend } from "../../packages/agent/src/backends/qemu/index.js";
import type { BackendLog } from "../../packages/agent/src/backends/qemu/index.js";
import { IMAGE_ID } from "../../scripts/guest-image/build.js";
import { NOACPI_IMAGE_ID, bootLines, guestImage, haveSsh, imagesDir, killQemusUnder, qemuPidsUnder, sshLogin } from "./helpers.js";

/** Generous: TCG is slow and CI machines are noisy. */
const BOOT_MS = 120_000;
const TEST_MS = 300_000;
const never = (): AbortSignal => new AbortController().signal;
const within = (ms: number): AbortSignal => AbortSignal.timeout(ms);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const SPEC: MachineSpec = { cpu: 1, memory: 320, gpu: 0, gpuType: "", imageId: IMAGE_ID, diskGb: 2 };
/** The default root password of the guest image (scripts/guest-image/README.md). */
const DEFAULT_PASSWORD = "opencompshare";

const root = mkdtempSync(join(tmpdir(), "ocs-qemu-test-"));
const stateDir = join(root, "state");
const logLines: string[] = [];
const log: BackendLog = {
  info: (o, m) => void logLines.push(`info ${m} ${JSON.stringify(o)}`),
  warn: (o, m) => void logLines.push(`warn ${m} ${JSON.stringify(o)}`),
  error: (o, m) => void logLines.push(`error ${m} ${JSON.stringify(o)}`),
};
let images = "";
let backend: QemuBackend;
const backends: QemuBackend[] = [];

function newBackend(): QemuBackend {
  const b = new QemuBackend({ stateDir, imagesDir: images, accel: "tcg", log, imageCopyRate: 256 * 1024 * 1024 });
  backends.push(b);
  return b;
}

async function status(id: string): Promise<MachineStatus> {
  return backend.status(id, never());
}

/** Runs a shell command in the guest through the backend's guest agent. */
async function sh(id: string, script: string): Promise<string> {
  const r = await backend.guestExec(id, "/bin/sh", ["-c", script], within(90_000), 90_000);
  assert.equal(r.exitCode, 0, `guest command failed (${r.exitCode}): ${script}\n${r.stderr}`);
  return r.stdout;
}

/** The guest's MemTotal, kB. */
async function memTotalKb(id: string): Promise<number> {
  return Number(/MemTotal:\s+(\d+)/.exec(await sh(id, "cat /proc/meminfo"))?.[1]);
}

function record(id: string): { pending?: { action: string } } {
  return JSON.parse(readFileSync(join(stateDir, "machines", id, "machine.json"), "utf8")) as { pending?: { action: string } };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

describe("QEMU backend with real guests (TCG)", { timeout: 30 * 60_000 }, () => {
  before(async () => {
    const built = await guestImage();
    console.log(`# guest image ready in ${built.ms} ms: ${built.folder}`);
    images = imagesDir(root, built.folder);
    backend = newBackend();
  });

  // Even when the test process ends abruptly: no QEMU of this test outlives it.
  process.once("exit", () => killQemusUnder(stateDir));

  after(async () => {
    for (const b of backends) await b.close().catch(() => undefined);
    const killed = killQemusUnder(stateDir);
    if (killed.length > 0) console.log(`# killed leftover QEMU processes: ${killed.join(", ")}`);
    if (process.env.OCS_QEMU_TEST_LOG) console.log(logLines.map((l) => `# ${l}`).join("\n"));
    rmSync(root, { recursive: true, force: true });
  });

  describe("a guest with an agent and ACPI", () => {
    const A = "vm-a";
    let firstBoot: MachineStatus;
    let memAtFirstBoot = 0;
    let sshPort = 0;
    const customImage = "img-from-vm-a";

    it("provision: the machine exists, stopped, with an overlay boot disk; provisioning again changes nothing", { timeout: TEST_MS }, async () => {
      assert.equal((await status(A)).power, "absent");
      await backend.provision(A, SPEC, within(60_000));
      assert.deepEqual(await status(A), { power: "stopped", bootCount: 0 });
      await backend.provision(A, SPEC, within(60_000));
      assert.deepEqual(await status(A), { power: "stopped", bootCount: 0 });
      assert.ok(existsSync(join(stateDir, "machines", A, "boot.qcow2")));
      assert.deepEqual(await backend.machines(never()), [A]);
      assert.equal(await backend.access(A, never()), null);
    });

    it("powerOn: resolves once the guest reported a new boot id; bootCount 1; calling it again is a no-op", { timeout: TEST_MS }, async () => {
      const started = Date.now();
      const [one, two] = await Promise.allSettled([backend.powerOn(A, within(BOOT_MS)), backend.powerOn(A, within(BOOT_MS))]);
      assert.equal(one.status, "fulfilled", String((one as PromiseRejectedResult).reason));
      assert.equal(two.status, "fulfilled", "the joined powerOn");
      console.log(`# first boot: ${Date.now() - started} ms`);
      firstBoot = await status(A);
      assert.equal(firstBoot.power, "running");
      assert.equal(firstBoot.bootCount, 1, "two powerOn calls made one boot");
      assert.match(firstBoot.bootId ?? "", /^[0-9a-f-]{36}$/);
      assert.equal((await sh(A, "cat /proc/sys/kernel/random/boot_id")).trim(), firstBoot.bootId, "the boot id is the guest's");
      assert.ok((await backend.consoleOutput(A, 1 << 20, never())).includes(`ocs-boot-id: ${firstBoot.bootId}`));
      const t0 = Date.now();
      await backend.powerOn(A, within(10_000));
      assert.ok(Date.now() - t0 < 2000, "powerOn of a running machine returns at once");
      assert.deepEqual(await status(A), firstBoot);
      memAtFirstBoot = await memTotalKb(A);
      const access = await backend.access(A, never());
      assert.ok(access && access.ip === "127.0.0.1" && access.sshUser === "root" && access.sshPort > 0);
      sshPort = access.sshPort;
    });

    it("a running machine refuses reinstall, resize and detaching a disk, and goes on running", { timeout: TEST_MS }, async () => {
      await assert.rejects(backend.reinstall(A, IMAGE_ID, within(10_000)), /running/);
      await assert.rejects(backend.resize(A, { ...SPEC, memory: 512 }, within(10_000)), /running/);
      await assert.rejects(backend.detachDisk(A, "nope", within(10_000)), /running/);
      assert.deepEqual(await status(A), firstBoot);
    });

    it("soft reboot (guest agent): a new boot id, bootCount + 1; a second call joins the first", { timeout: TEST_MS }, async () => {
      const before = await status(A);
      const linesBefore = bootLines(await backend.consoleOutput(A, 1 << 22, never()));
      const started = Date.now();
      const first = backend.reboot(A, "soft", before.bootCount, within(BOOT_MS));
      await sleep(500);
      const second = backend.reboot(A, "soft", before.bootCount, within(BOOT_MS));
      assert.equal((await status(A)).power, "rebooting");
      await Promise.all([first, second]);
      console.log(`# soft reboot (agent): ${Date.now() - started} ms`);
      const after = await status(A);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, before.bootCount + 1, "one reboot for two calls");
      assert.notEqual(after.bootId, before.bootId);
      assert.equal((await sh(A, "cat /proc/sys/kernel/random/boot_id")).trim(), after.bootId);
      assert.equal(bootLines(await backend.consoleOutput(A, 1 << 22, never())), linesBefore + 1, "the guest booted exactly once more");
    });

    it("resetPassword of a running machine: SSH takes the new password and no longer the old", { timeout: TEST_MS }, async () => {
      const shadowBefore = await sh(A, "cat /etc/shadow");
      if (haveSsh()) {
        const old = await sshLogin(root, sshPort, "root", DEFAULT_PASSWORD);
        assert.ok(old.ok, `the image's default password logs in: ${old.output}`);
      }
      const password = "N3w pass:word!";
      await backend.resetPassword(A, password, within(90_000));
      assert.notEqual(await sh(A, "cat /etc/shadow"), shadowBefore, "/etc/shadow changed");
      if (haveSsh()) {
        const ok = await sshLogin(root, sshPort, "root", password);
        assert.ok(ok.ok, `login with the new password: ${ok.output}`);
        const refused = await sshLogin(root, sshPort, "root", DEFAULT_PASSWORD);
        assert.equal(refused.ok, false, "the old password no longer logs in");
      } else {
        console.log("# no ssh client: the password change is proven by /etc/shadow only");
      }
      assert.ok(!logLines.some((l) => l.includes(password)), "the password is never logged");
    });

    it("data disk: attachDisk hot-plugs it (/dev/vdb in the guest), resizeDisk grows it live; again is a no-op", { timeout: TEST_MS }, async () => {
      await backend.attachDisk(A, { id: "data-a1", sizeGb: 1 }, within(60_000));
      await until("vdb appears in the guest", async () => (await sh(A, "ls /sys/block")).includes("vdb"), 30_000);
      assert.equal((await sh(A, "cat /sys/block/vdb/serial")).trim(), "data-a1");
      assert.equal(Number((await sh(A, "cat /sys/block/vdb/size")).trim()) * 512, 1024 ** 3);
      await sh(A, "test -b /dev/vdb && echo block device");
      await backend.attachDisk(A, { id: "data-a1", sizeGb: 1 }, within(60_000));
      await backend.resizeDisk("data-a1", 2, within(60_000));
      await until("vdb is 2 GB in the guest", async () => Number((await sh(A, "cat /sys/block/vdb/size")).trim()) * 512 === 2 * 1024 ** 3, 30_000);
      assert.deepEqual(await backend.machines(never()), [A]);
    });

    it("snapshot of a running machine, then buildImage: real progress up to 100; the image is listed", { timeout: TEST_MS }, async () => {
      // Copies are rate-limited (imageCopyRate) so that they take long enough to be watched:
      // drive-backup counts the whole virtual disk, qemu-img convert only non-zero data, hence the random blob.
      await sh(A, "echo marker-from-vm-a > /root/marker && dd if=/dev/urandom of=/root/blob bs=1M count=256 2>/dev/null && sync && echo ok");
      const before = await status(A);
      const started = Date.now();
      await backend.snapshot(A, customImage, within(60_000));
      await backend.snapshot(A, customImage, within(60_000));
      const reported: ImageProgress[] = [];
      const sampled: ImageProgress[] = [];
      const build = backend.buildImage(customImage, within(TEST_MS), async (p) => void reported.push(p));
      let done = false;
      void build.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        sampled.push(await backend.imageProgress(customImage, never()));
        await sleep(300);
      }
      await build;
      console.log(`# image copy (drive-backup): ${Date.now() - started} ms, ${reported.length} reports: ${reported.map((p) => p.percent).join(" ")}`);
      const final = await backend.imageProgress(customImage, never());
      assert.equal(final.percent, 100);
      assert.equal(final.remainingMs, 0);
      assert.ok(final.totalMs > 0);
      assert.equal(reported.at(-1)?.percent, 100);
      for (const series of [reported, sampled]) {
        for (let i = 1; i < series.length; i++) assert.ok((series[i] as ImageProgress).percent >= (series[i - 1] as ImageProgress).percent, "progress never goes back");
        for (const p of series) assert.ok(p.percent >= 0 && p.percent <= 100 && p.remainingMs >= 0 && p.remainingMs <= p.totalMs);
      }
      assert.ok([...reported, ...sampled].some((p) => p.percent > 0 && p.percent < 100), "progress was seen part way");
      const image = (await backend.images(never())).find((i) => i.id === customImage);
      assert.ok(image, "the custom image is listed");
      assert.ok(existsSync(image.kernel) && existsSync(image.initrd) && existsSync(image.disk));
      assert.deepEqual(await status(A), before, "the machine went on, without a reboot");
      await backend.buildImage(customImage, within(10_000));
    });

    it("metrics: CPU and memory series of the QEMU process, as percentages; no GPU series", { timeout: TEST_MS }, async () => {
      const m = await backend.metrics(A, 600, never());
      assert.ok(m.cpu.length >= 2, `cpu points: ${m.cpu.length}`);
      assert.ok(m.memory.length >= 2, `memory points: ${m.memory.length}`);
      for (const p of [...m.cpu, ...m.memory]) assert.ok(p.v >= 0 && p.v <= 100 && p.t > 1_600_000_000);
      assert.ok(m.cpu.some((p) => p.v > 0), "the guest used some CPU");
      assert.deepEqual(m.gpus, []);
      const facts = await backend.facts(never());
      assert.equal(facts.accelerator, "tcg");
      assert.ok(facts.cpus >= 1 && facts.memory > 256);
    });

    it("the guest agent lists the guest's address (what bridge mode logs in to): 10.0.2.15 under user-mode networking", { timeout: TEST_MS }, async () => {
      assert.deepEqual(await backend.guestAddresses(A, within(30_000)), ["10.0.2.15"]);
      const access = await backend.access(A, never());
      assert.equal(access?.ip, "127.0.0.1", "user-mode networking logs in through the forwarded port");
    });

    it("agent restart: a new backend finds the running machine, with the same status, without acting", { timeout: TEST_MS }, async () => {
      const before = await status(A);
      const pids = qemuPidsUnder(stateDir);
      await backend.close();
      backend = newBackend();
      assert.deepEqual(await backend.machines(never()), [A]);
      assert.deepEqual(await status(A), before);
      assert.deepEqual(qemuPidsUnder(stateDir), pids, "the same QEMU process");
      assert.equal((await backend.facts(never())).accelerator, "tcg", "query-kvm through the reconnected QMP");
      assert.equal((await sh(A, "cat /proc/sys/kernel/random/boot_id")).trim(), before.bootId);
    });

    it("agent restart during a soft reboot: the reboot is joined, not repeated", { timeout: TEST_MS }, async () => {
      const before = await status(A);
      const linesBefore = bootLines(await backend.consoleOutput(A, 1 << 22, never()));
      const inFlight = backend.reboot(A, "soft", before.bootCount, within(BOOT_MS)).then(
        () => "resolved",
        (e: unknown) => `rejected: ${String(e)}`,
      );
      const downsBefore = (await backend.consoleOutput(A, 1 << 22, never())).split("ocs-guest: shutdown").length;
      await until("the reboot is recorded", () => record(A).pending?.action === "reboot", 30_000);
      await until("the guest goes down", async () => (await backend.consoleOutput(A, 1 << 22, never())).split("ocs-guest: shutdown").length > downsBefore, 30_000);
      // The agent "dies" with the reboot asked and not yet seen to complete.
      await backend.close();
      assert.match(await inFlight, /rejected/);
      backend = newBackend();
      const seen = await status(A);
      assert.ok(seen.power === "rebooting" || seen.power === "running", `after the restart: ${seen.power}`);
      await backend.reboot(A, "soft", before.bootCount, within(BOOT_MS));
      const after = await status(A);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, before.bootCount + 1, "one reboot, not two");
      assert.notEqual(after.bootId, before.bootId);
      await sleep(5000);
      assert.equal(bootLines(await backend.consoleOutput(A, 1 << 22, never())), linesBefore + 1, "the guest booted exactly once");
      assert.deepEqual(await status(A), after);
    });

    it("soft powerOff (guest agent): QEMU exits, the machine is stopped", { timeout: TEST_MS }, async () => {
      const before = await status(A);
      const started = Date.now();
      await backend.powerOff(A, "soft", within(BOOT_MS));
      console.log(`# soft power-off (agent): ${Date.now() - started} ms`);
      assert.deepEqual(await status(A), { power: "stopped", bootCount: before.bootCount });
      assert.deepEqual(qemuPidsUnder(join(stateDir, "machines", A)), []);
      assert.equal(await backend.access(A, never()), null);
      await assert.rejects(backend.reboot(A, "soft", before.bootCount, within(10_000)), /not running/);
      await backend.powerOff(A, "hard", within(10_000));
      await backend.powerOff(A, "soft", within(10_000));
    });

    it("snapshot of a stopped machine: qemu-img convert with progress to 100; the machine stays stopped and boots after", { timeout: TEST_MS }, async () => {
      const offline = "img-offline-vm-a";
      const before = await status(A);
      await backend.snapshot(A, offline, within(60_000));
      const reported: ImageProgress[] = [];
      const started = Date.now();
      await backend.buildImage(offline, within(TEST_MS), async (p) => void reported.push(p));
      console.log(`# image copy (qemu-img convert): ${Date.now() - started} ms, ${reported.length} reports`);
      assert.equal(reported.at(-1)?.percent, 100);
      for (let i = 1; i < reported.length; i++) assert.ok((reported[i] as ImageProgress).percent >= (reported[i - 1] as ImageProgress).percent);
      assert.ok(reported.some((p) => p.percent > 0 && p.percent < 100), "progress was seen part way");
      assert.deepEqual(await status(A), before);
      const image = (await backend.images(never())).find((i) => i.id === offline);
      assert.ok(image && existsSync(image.disk));
      await backend.deleteImage(offline, within(30_000));
      assert.ok(!(await backend.images(never())).some((i) => i.id === offline));
    });

    it("resize and a password set while stopped: the next boot has more memory and a bigger disk, and the password before powerOn resolves", { timeout: TEST_MS }, async () => {
      await backend.resize(A, { ...SPEC, memory: 512, diskGb: 3 }, within(60_000));
      const password = "Stopped-Pass-42";
      await backend.resetPassword(A, password, within(60_000));
      assert.equal((await status(A)).power, "stopped");
      await backend.powerOn(A, within(BOOT_MS));
      const mem = await memTotalKb(A);
      assert.ok(mem > memAtFirstBoot + 150 * 1024, `MemTotal ${mem} kB should exceed ${memAtFirstBoot} kB by ~190 MB`);
      assert.equal(Number((await sh(A, "cat /sys/block/vda/size")).trim()) * 512, 3 * 1024 ** 3);
      assert.equal((await sh(A, "cat /sys/block/vdb/serial")).trim(), "data-a1", "the data disk is attached at boot too");
      assert.ok(!existsSync(join(stateDir, "machines", A, "password.pending")), "the pending password was applied");
      if (haveSsh()) {
        const port = (await backend.access(A, never()))?.sshPort ?? 0;
        const ok = await sshLogin(root, port, "root", password);
        assert.ok(ok.ok, `login with the password set while stopped: ${ok.output}`);
      }
      assert.equal((await sh(A, "cat /root/marker")).trim(), "marker-from-vm-a", "the root file system persists across boots");
    });

    it("reinstall: a file written in the guest is gone afterwards; the machine boots again", { timeout: TEST_MS }, async () => {
      await sh(A, "echo before-reinstall > /root/probe && sync");
      await backend.powerOff(A, "hard", within(30_000));
      await backend.detachDisk(A, "data-a1", within(30_000));
      const before = await status(A);
      await backend.reinstall(A, IMAGE_ID, within(60_000));
      assert.deepEqual(await status(A), before);
      await backend.powerOn(A, within(BOOT_MS));
      const after = await status(A);
      assert.equal(after.bootCount, before.bootCount + 1);
      assert.equal((await sh(A, "test -e /root/probe && echo present || echo absent")).trim(), "absent");
      assert.equal((await sh(A, "test -e /root/marker && echo present || echo absent")).trim(), "absent");
      assert.ok(!(await sh(A, "ls /sys/block")).includes("vdb"), "the detached disk is not attached");
      await backend.deleteDisk("data-a1", within(10_000));
      await backend.deleteDisk("data-a1", within(10_000));
    });

    it("a machine from the custom image boots with the marker file; the image is deleted once unused", { timeout: TEST_MS }, async () => {
      const B = "vm-b";
      await backend.provision(B, { ...SPEC, imageId: customImage }, within(60_000));
      await assert.rejects(backend.deleteImage(customImage, within(10_000)), /vm-b/);
      await backend.powerOn(B, within(BOOT_MS));
      assert.equal((await sh(B, "cat /root/marker")).trim(), "marker-from-vm-a");
      await backend.destroy(B, within(60_000));
      assert.equal((await status(B)).power, "absent");
      await backend.deleteImage(customImage, within(30_000));
      assert.ok(!(await backend.images(never())).some((i) => i.id === customImage));
      await assert.rejects(backend.imageProgress(customImage, never()));
      await backend.deleteImage(customImage, within(10_000));
    });

    it("destroy of a running machine: absent, its QEMU and files gone; destroying again is a no-op", { timeout: TEST_MS }, async () => {
      await backend.destroy(A, within(60_000));
      assert.deepEqual(await status(A), { power: "absent", bootCount: 0 });
      assert.deepEqual(qemuPidsUnder(join(stateDir, "machines", A)), []);
      assert.ok(!existsSync(join(stateDir, "machines", A)));
      await backend.destroy(A, within(10_000));
      await assert.rejects(backend.powerOn(A, within(10_000)), /does not exist/);
    });
  });

  describe("a guest that ignores ACPI and has no agent: the hard fallback", () => {
    const C = "vm-c";
    let booted: MachineStatus;

    it("powerOn reads the boot id from the serial console (no agent)", { timeout: TEST_MS }, async () => {
      await backend.provision(C, { ...SPEC, memory: 256, imageId: NOACPI_IMAGE_ID }, within(60_000));
      await backend.powerOn(C, within(BOOT_MS));
      booted = await status(C);
      assert.equal(booted.power, "running");
      assert.equal(booted.bootCount, 1);
      assert.ok((await backend.consoleOutput(C, 1 << 20, never())).includes(`ocs-boot-id: ${booted.bootId}`));
    });

    it("soft reboot never completes (ACPI ignored); aborted, the machine is consistent; hard reboot gives a new boot id", { timeout: TEST_MS }, async () => {
      const started = Date.now();
      await assert.rejects(backend.reboot(C, "soft", booted.bootCount, within(12_000)));
      assert.ok(Date.now() - started < 15_000, "the abort was prompt");
      const mid = await status(C);
      assert.ok(mid.power === "rebooting" || mid.power === "running", mid.power);
      assert.equal(mid.bootCount, 1);
      assert.equal(mid.bootId, booted.bootId);
      await backend.reboot(C, "hard", booted.bootCount, within(BOOT_MS));
      const after = await status(C);
      assert.equal(after.power, "running");
      assert.equal(after.bootCount, 2);
      assert.notEqual(after.bootId, booted.bootId);
      booted = after;
    });

    it("soft powerOff does not complete; aborted, the machine runs on; hard powerOff stops it at once", { timeout: TEST_MS }, async () => {
      await assert.rejects(backend.powerOff(C, "soft", within(8_000)));
      assert.deepEqual(await status(C), booted);
      const started = Date.now();
      await backend.powerOff(C, "hard", within(30_000));
      assert.ok(Date.now() - started < 10_000, `hard power-off took ${Date.now() - started} ms`);
      assert.deepEqual(await status(C), { power: "stopped", bootCount: 2 });
      assert.deepEqual(qemuPidsUnder(join(stateDir, "machines", C)), []);
    });

    it("a hard powerOff during a soft one in flight cuts it short: both calls end with the machine stopped", { timeout: TEST_MS }, async () => {
      await backend.powerOn(C, within(BOOT_MS));
      assert.equal((await status(C)).bootCount, 3);
      const soft = backend.powerOff(C, "soft", within(BOOT_MS));
      await sleep(4000);
      assert.equal((await status(C)).power, "stopping");
      await backend.powerOff(C, "hard", within(30_000));
      await soft;
      assert.equal((await status(C)).power, "stopped");
      await backend.destroy(C, within(60_000));
      assert.equal((await status(C)).power, "absent");
    });
  });
});
