/**
 * QemuBackend: the Backend interface with one QEMU process per machine. State lives on disk
 * under `stateDir` (machines/<id>/ and disks/), images under `imagesDir`; a new QemuBackend on
 * the same directories finds running machines by pidfile and QMP socket and goes on where the
 * previous one stopped. Each machine's actions run in its own queue (see machine-queue.ts), with
 * joining of calls in flight and hard actions cutting soft ones short, as the driver interface says.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, RebootResult } from "@opencompshare/protocol";
import type { Backend, BootImage, HostFacts } from "../backend.js";
import { ImageBuilds } from "./builds.js";
import { guestSize } from "./command-line.js";
import { DataDisks } from "./disks.js";
import type { ExecResult } from "./guest-agent.js";
import { ImageStore } from "./images.js";
import { allocatePort } from "../common/ports.js";
import { listRecords as listMachines } from "../common/record-dir.js";
import { Runtimes } from "../common/runtimes.js";
import { MachineDir } from "./machine.js";
import { backendContext, type QemuBackendOptions } from "./options.js";
import { boot, hardOff, hardReboot, softOff, softReboot } from "./power.js";
import { recover } from "./recovery.js";
import { MachineRuntime, type BackendContext } from "./runtime.js";
import { abortable, sleep, throwIfAborted } from "../common/waits.js";

const GB = 1024 ** 3;

/** The Backend of a QEMU host: one daemonized QEMU process per machine. */
export class QemuBackend implements Backend {
  readonly name = "qemu";
  private readonly ctx: BackendContext;
  private readonly machinesRoot: string;
  private readonly runtimes: Runtimes<MachineRuntime>;
  private readonly builds: ImageBuilds;
  private readonly disks: DataDisks;
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(opts: QemuBackendOptions) {
    const stateDir = resolve(opts.stateDir);
    this.machinesRoot = join(stateDir, "machines");
    this.ctx = backendContext(opts, (bind) => this.allocatePort(bind));
    this.runtimes = new Runtimes(
      (id) => new MachineRuntime(new MachineDir(this.machinesRoot, id), this.ctx),
      (id) => new MachineDir(this.machinesRoot, id).exists(),
    );
    this.disks = new DataDisks(this.ctx, this.machinesRoot, (id) => this.runtimes.get(id));
    this.builds = new ImageBuilds(this.ctx, (machineId) => (listMachines(this.machinesRoot).includes(machineId) ? this.runtimes.get(machineId) : undefined));
    this.ready = recover(this.machinesRoot, this.ctx, (id) => this.runtimes.get(id), this.builds);
    this.ready.catch((error: unknown) => this.ctx.log.error({ err: String(error) }, "recovery failed"));
  }

  /** The runtime of a machine that exists; throws otherwise. */
  private async existing(id: string, signal: AbortSignal): Promise<MachineRuntime> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    if (this.closed) throw new Error("the QEMU backend is closed");
    MachineDir.check(id);
    const rt = this.runtimes.get(id);
    if (!rt.dir.exists()) throw new Error(`machine ${id} does not exist`);
    return rt;
  }

  private async allocatePort(bind: string): Promise<number> {
    return allocatePort(bind, new Set(listMachines(this.machinesRoot).map((id) => this.runtimes.get(id).dir.read()?.sshPort)));
  }

  async facts(signal: AbortSignal): Promise<HostFacts> {
    await abortable(this.ready, signal);
    let accelerator = this.ctx.accel;
    for (const id of listMachines(this.machinesRoot)) {
      const rt = this.runtimes.get(id);
      if (!rt.pid()) continue;
      const kvm = await rt
        .qmp(signal)
        .then((qmp) => qmp.execute<{ enabled: boolean; present: boolean }>("query-kvm", undefined, { signal }))
        .catch(() => undefined);
      if (kvm) accelerator = kvm.enabled ? "kvm" : "tcg";
      break;
    }
    return { cpus: cpus().length, memory: Math.floor(totalmem() / 1024 / 1024), accelerator };
  }

  async images(signal: AbortSignal): Promise<BootImage[]> {
    await abortable(this.ready, signal);
    return this.ctx.images.list();
  }

  async machines(signal: AbortSignal): Promise<string[]> {
    await abortable(this.ready, signal);
    return listMachines(this.machinesRoot);
  }

  async hasImage(imageId: string, signal: AbortSignal): Promise<boolean> {
    await abortable(this.ready, signal);
    return this.ctx.images.get(imageId) !== undefined || this.ctx.images.build(imageId) !== undefined;
  }

  async hasDisk(diskId: string, signal: AbortSignal): Promise<boolean> {
    await abortable(this.ready, signal);
    try {
      return existsSync(this.disks.diskPath(diskId));
    } catch {
      return false;
    }
  }

  async provision(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    MachineDir.check(id);
    const rt = this.runtimes.get(id);
    if (rt.dir.exists()) return;
    await rt.queue.run(
      {
        key: "provision",
        shownAs: "busy",
        work: async (s) => {
          if (rt.dir.exists()) return;
          const image = this.ctx.images.get(spec.imageId);
          if (!image) throw new Error(`image ${spec.imageId} is not on this host`);
          // A folder without machine.json is what a provision that did not finish left.
          rmSync(rt.dir.dir, { recursive: true, force: true });
          mkdirSync(rt.dir.dir, { recursive: true });
          await this.ctx.qemuImg.createOverlay(image.disk, rt.dir.bootDisk, spec.diskGb, s);
          for (const d of spec.dataDisks ?? []) await this.disks.ensureDiskFile(d, s);
          const sshPort = await this.allocatePort(this.ctx.sshBind);
          throwIfAborted(s);
          rt.dir.write({ id, spec, sshPort, bootIds: [], bootCount: 0, runOffset: 0, createdAt: Date.now() });
          this.ctx.log.info({ machine: id, image: spec.imageId, cpu: spec.cpu, memory: spec.memory, diskGb: spec.diskGb }, "machine provisioned");
        },
      },
      signal,
    );
  }

  /** Power actions in flight (booting or rebooting) on the machine. */
  private booting(rt: MachineRuntime): boolean {
    return rt.queue.keys().some((k) => k === "boot" || k.startsWith("reboot"));
  }

  async powerOn(id: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    if (rt.pid() && !rt.record().pending && rt.queue.idle()) return;
    await rt.queue.run({ key: "boot", shownAs: "starting", work: (s) => boot(rt, s) }, signal);
  }

  async powerOff(id: string, mode: PowerMode, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    if (!rt.pid() && !this.booting(rt)) {
      if (rt.record().pending) rt.stopped("already stopped");
      return;
    }
    if (mode === "soft") {
      await rt.queue.run(
        {
          key: "off-soft",
          shownAs: "stopping",
          joins: ["off-hard"],
          afterPreempt: async () => {
            if (rt.pid()) throw new Error(`machine ${id} is still running`);
          },
          work: (s) => softOff(rt, s),
        },
        signal,
      );
    } else {
      await rt.queue.run(
        {
          key: "off-hard",
          shownAs: "stopping",
          preempts: ["off-soft", "boot", "reboot-soft", "reboot-hard", "password", "snapshot", "disk", "password-after-boot"],
          keepWhenAbandoned: true,
          work: (s) => hardOff(rt, s),
        },
        signal,
      );
    }
  }

  async reboot(id: string, mode: PowerMode, fromBootCount: number, signal: AbortSignal): Promise<RebootResult> {
    const rt = await this.existing(id, signal);
    if (!rt.pid() && !this.booting(rt)) throw new Error(`machine ${id} is not running`);
    // Compare, then act: a reboot that finished while nobody watched is not done again. Compared
    // here, and again when the queue runs the work (a soft reboot in flight may finish meanwhile).
    let alreadyBooted = false;
    const unlessBooted = (work: (s: AbortSignal) => Promise<void>) => async (s: AbortSignal) => {
      if (rt.bootedSince(fromBootCount)) alreadyBooted = true;
      else await work(s);
    };
    if (rt.bootedSince(fromBootCount)) alreadyBooted = true;
    else if (mode === "soft") {
      const from = rt.record().bootIds.at(-1);
      const rebooted = async (): Promise<void> => {
        const r = rt.record();
        if (!rt.pid() || r.pending || r.bootIds.at(-1) === from) throw new Error(`machine ${id} did not boot again`);
      };
      await rt.queue.run(
        { key: "reboot-soft", shownAs: "rebooting", joins: ["reboot-hard"], afterPreempt: rebooted, work: unlessBooted((s) => softReboot(rt, s)) },
        signal,
      );
    } else {
      await rt.queue.run(
        { key: "reboot-hard", shownAs: "rebooting", preempts: ["reboot-soft", "off-soft"], work: unlessBooted((s) => hardReboot(rt, s)) },
        signal,
      );
    }
    if (alreadyBooted) this.ctx.log.info({ machine: id, mode, fromBootCount }, "reboot asked of a machine that has booted since: not done again");
    return { alreadyBooted };
  }

  async status(id: string, signal: AbortSignal): Promise<MachineStatus> {
    await abortable(this.ready, signal);
    const rt = this.runtimes.known(id);
    const rec = rt?.dir.read();
    if (!rt) return { power: "absent", bootCount: 0 };
    // Being provisioned: there is no machine.json yet.
    if (!rec) return rt.queue.shownAs() ? { power: "busy", bootCount: 0 } : { power: "absent", bootCount: 0 };
    const pid = rt.pid();
    const bootId = pid ? rec.bootIds.at(-1) : undefined;
    const base: MachineStatus = bootId ? { power: "running", bootCount: rec.bootCount, bootId } : { power: "stopped", bootCount: rec.bootCount };
    const shown = rt.queue.shownAs();
    if (shown) return { ...base, power: shown };
    if (!pid) return { ...base, power: "stopped" };
    const pending = rt.livePending(rec);
    if (pending) return { ...base, power: pending.action === "boot" ? "starting" : "rebooting" };
    return { ...base, power: "running" };
  }

  async settle(id: string, signal: AbortSignal): Promise<MachineStatus> {
    await abortable(this.ready, signal);
    const rt = this.runtimes.known(id);
    if (!rt) return { power: "absent", bootCount: 0 };
    for (;;) {
      await rt.queue.settled(signal);
      const rec = rt.dir.read();
      // A boot nobody waits for any more: the monitor records it when the guest reports it.
      if (rec && rt.livePending(rec) && rt.pid()) {
        rt.startMonitor();
        await sleep(250, signal);
        continue;
      }
      if (rt.queue.idle()) return this.status(id, signal);
    }
  }

  async snapshot(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    ImageStore.check(imageId);
    await rt.queue.run(
      {
        key: `snapshot:${imageId}`,
        work: async (s) => {
          const build = this.ctx.images.build(imageId);
          if (build && build.state !== "failed") return;
          if (!build && this.ctx.images.get(imageId)) throw new Error(`image ${imageId} already exists`);
          if (build) this.ctx.images.remove(imageId);
          const rec = rt.record();
          const source = this.ctx.images.get(rec.spec.imageId);
          if (!source) throw new Error(`machine ${id}: its image ${rec.spec.imageId} is gone, so the copy would have no kernel`);
          if (rt.pid()) await this.builds.startOnline(rt, imageId, source, s);
          else this.builds.startOffline(rt, imageId, source);
        },
      },
      signal,
    );
  }

  async buildImage(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    await this.builds.wait(imageId, signal, onProgress);
  }

  async imageProgress(imageId: string, signal: AbortSignal): Promise<ImageProgress> {
    await abortable(this.ready, signal);
    return this.builds.progress(imageId);
  }

  async deleteImage(imageId: string, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    ImageStore.check(imageId);
    const users = listMachines(this.machinesRoot).filter((m) => this.runtimes.get(m).dir.read()?.spec.imageId === imageId);
    if (users.length > 0) throw new Error(`image ${imageId} is the base disk of machine(s) ${users.join(", ")}: reinstall or destroy them first`);
    if (!this.ctx.images.build(imageId) && this.ctx.images.get(imageId)) throw new Error(`image ${imageId} is a platform image: it is not deleted through the backend`);
    await this.builds.cancel(imageId);
    this.ctx.images.remove(imageId);
    this.ctx.log.info({ image: imageId }, "image deleted");
  }

  async publishImage(imageId: string, _asImageId: string, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    throw new Error(`image ${imageId} is a virtual machine's: only images of container instances are published to the community`);
  }

  async reinstall(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    if (rt.pid()) throw new Error(`machine ${id} is running: reinstall needs it stopped`);
    await rt.queue.run(
      {
        key: `reinstall:${imageId}`,
        shownAs: "busy",
        work: async (s) => {
          if (rt.pid()) throw new Error(`machine ${id} is running: reinstall needs it stopped`);
          const image = this.ctx.images.get(imageId);
          if (!image) throw new Error(`image ${imageId} is not on this host`);
          const fresh = `${rt.dir.bootDisk}.new`;
          rmSync(fresh, { force: true });
          await this.ctx.qemuImg.createOverlay(image.disk, fresh, rt.record().spec.diskGb, s);
          renameSync(fresh, rt.dir.bootDisk);
          rt.dir.update((r) => {
            r.spec = { ...r.spec, imageId };
          });
          this.ctx.log.info({ machine: id, image: imageId }, "machine reinstalled");
        },
      },
      signal,
    );
  }

  async resize(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    if (rt.pid()) throw new Error(`machine ${id} is running: resize needs it stopped`);
    await rt.queue.run(
      {
        key: "resize",
        shownAs: "busy",
        work: async (s) => {
          if (rt.pid()) throw new Error(`machine ${id} is running: resize needs it stopped`);
          const info = await this.ctx.qemuImg.info(rt.dir.bootDisk, s);
          if (spec.diskGb * GB > info.virtualSize) await this.ctx.qemuImg.grow(rt.dir.bootDisk, spec.diskGb, s);
          else if (spec.diskGb * GB < info.virtualSize) this.ctx.log.warn({ machine: id, diskGb: spec.diskGb }, "boot disks are never shrunk; kept its size");
          rt.dir.update((r) => {
            r.spec = { ...spec, imageId: r.spec.imageId, dataDisks: r.spec.dataDisks };
          });
          this.ctx.log.info({ machine: id, cpu: spec.cpu, memory: spec.memory, diskGb: spec.diskGb }, "machine resized");
        },
      },
      signal,
    );
  }

  async resetPassword(id: string, password: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    // Calls with the same password join; the password itself is never part of a log line.
    const key = `password:${createHash("sha256").update(password).digest("hex").slice(0, 12)}`;
    await rt.queue.run(
      {
        key,
        work: async (s) => {
          if (!rt.pid()) {
            rt.dir.setPendingPassword(password);
            this.ctx.log.info({ machine: id }, "password recorded for the next boot");
            return;
          }
          if (!(await rt.waitForAgent(this.ctx.agentWaitMs, s))) throw new Error(`machine ${id}: the guest agent does not answer, the password was not changed`);
          const user = this.ctx.images.get(rt.record().spec.imageId)?.sshUser ?? "root";
          await rt.ga.setPassword(user, password, { signal: s, timeoutMs: 15_000 });
          rt.dir.clearPendingPassword();
          this.ctx.log.info({ machine: id, user }, "password set through the guest agent");
        },
      },
      signal,
    );
  }

  async destroy(id: string, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    try {
      MachineDir.check(id);
    } catch {
      return;
    }
    const rt = this.runtimes.get(id);
    if (!existsSync(rt.dir.dir)) return;
    await rt.queue.run(
      {
        key: "destroy",
        shownAs: "busy",
        preempts: rt.queue.keys(),
        keepWhenAbandoned: true,
        work: async (s) => {
          if (rt.pid()) await hardOff(rt, s);
          rt.stopMonitor();
          rt.dir.remove();
          this.ctx.log.info({ machine: id }, "machine destroyed");
        },
      },
      signal,
    );
    this.runtimes.forget(id, rt);
    rt.close();
  }

  async attachDisk(id: string, disk: MachineDisk, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await this.disks.attachDisk(rt, disk, signal);
  }

  async detachDisk(id: string, diskId: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await this.disks.detachDisk(rt, diskId, signal);
  }

  async resizeDisk(diskId: string, sizeGb: number, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    await this.disks.resizeDisk(diskId, sizeGb, signal);
  }

  async deleteDisk(diskId: string, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    this.disks.deleteDisk(diskId);
  }

  async consoleOutput(id: string, bytes: number, signal: AbortSignal): Promise<string> {
    const rt = await this.existing(id, signal);
    return rt.serial.tail(bytes);
  }

  async metrics(id: string, seconds: number, signal: AbortSignal): Promise<MachineMetrics> {
    const rt = await this.existing(id, signal);
    const pid = rt.pid();
    if (pid) rt.metrics.sample(pid, 500);
    const size = guestSize(rt.record().spec);
    return rt.metrics.series(seconds, size.cpu, size.memory);
  }

  async access(id: string, signal: AbortSignal): Promise<MachineAccess | null> {
    const rt = await this.existing(id, signal);
    if (!rt.pid()) return null;
    const rec = rt.record();
    const sshUser = this.ctx.images.get(rec.spec.imageId)?.sshUser ?? "root";
    if (!this.ctx.bridge) return { ip: this.ctx.sshHost, sshPort: rec.sshPort, sshUser };
    // On a bridge the guest's own address is the login; the guest agent knows it.
    const addresses = await this.guestAddresses(id, signal).catch(() => []);
    return { ip: addresses[0] ?? "", sshPort: 22, sshUser };
  }

  /** The running guest's IPv4 addresses, as its agent lists them (what bridge mode logs in to). */
  async guestAddresses(id: string, signal: AbortSignal): Promise<string[]> {
    const rt = await this.existing(id, signal);
    return rt.ga.ipv4Addresses({ signal, timeoutMs: 5000 });
  }

  /**
   * Runs a program in the guest through its agent and waits for it (diagnostics and tests: the
   * agent's channel takes one client, the backend's). Not part of the Backend interface.
   */
  async guestExec(id: string, path: string, args: string[], signal: AbortSignal, timeoutMs = 60_000): Promise<ExecResult> {
    const rt = await this.existing(id, signal);
    if (!rt.pid()) throw new Error(`machine ${id} is not running`);
    return rt.ga.exec(path, args, { signal, timeoutMs });
  }

  /**
   * Lets go of every machine as a crash of the agent would (QEMU processes go on; calls in
   * flight are rejected). A new QemuBackend on the same directories picks them up.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.ready.catch(() => undefined);
    this.builds.close();
    for (const rt of this.runtimes.values()) rt.close();
    this.runtimes.clear();
  }
}
