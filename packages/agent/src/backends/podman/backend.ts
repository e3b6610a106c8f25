/**
 * PodmanBackend: the Backend interface with one podman container per machine, as CompShare runs
 * its base and community images: root on port 23. State lives under `stateDir` (containers/<id>/
 * and container-builds/), podman's storage under its own root; a new PodmanBackend on the same
 * folders finds its containers (conmon keeps them running while the agent is down) and finishes a
 * start or reboot the previous one was in the middle of. Each machine's actions run in its own
 * queue, with joining and preemption as the machine contract says.
 */
import { rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, RebootResult } from "@opencompshare/protocol";
import type { Backend, HostFacts, HostImage } from "../backend.js";
import { abortable, throwIfAborted } from "../common/waits.js";
import { ContainerBuilds } from "./builds.js";
import { ContainerRuntime } from "./container.js";
import { effectiveSize } from "../common/effective-size.js";
import { allocatePort } from "../common/ports.js";
import { listRecords as listContainers, RecordDir, sweepDeleted } from "../common/record-dir.js";
import { Runtimes } from "../common/runtimes.js";
import { ContainerDir } from "./container-dir.js";
import { attachDisk, deleteDisk, detachDisk } from "./disk-actions.js";
import { DISK_MOUNT } from "./disks.js";
import { ContainerImages } from "./images.js";
import { installInit } from "./init-script.js";
import { ContainerMetrics } from "./metrics.js";
import { podmanContext, type PodmanBackendOptions, type PodmanContext } from "./options.js";

export class PodmanBackend implements Backend {
  readonly name = "podman";
  private readonly ctx: PodmanContext;
  private readonly root: string;
  private readonly runtimes: Runtimes<ContainerRuntime>;
  private readonly images_: ContainerImages;
  private readonly builds: ContainerBuilds;
  private readonly metrics_ = new ContainerMetrics();
  private readonly ready: Promise<void>;
  private closed = false;

  constructor(opts: PodmanBackendOptions) {
    this.ctx = podmanContext(opts);
    this.root = join(this.ctx.stateDir, "containers");
    this.runtimes = new Runtimes(
      (id) => new ContainerRuntime(new ContainerDir(this.root, id), this.ctx, () => this.allocatePort()),
      (id) => new ContainerDir(this.root, id).exists(),
    );
    installInit(this.ctx.initDir);
    this.ctx.cdi.writeEmulatedSpec(opts.emulatedGpus ?? 0);
    this.images_ = new ContainerImages(this.ctx.imagesDir, this.ctx.registry, this.ctx.log);
    this.builds = new ContainerBuilds(this.ctx);
    this.ready = this.recover();
    this.ready.catch((error: unknown) => this.ctx.log.error({ err: String(error) }, "recovery failed"));
  }

  /** The CDI spec this backend writes for its emulated GPUs (when it has stand-ins for them). */
  get cdiSpecFile(): string {
    return this.ctx.cdi.specFile;
  }

  /** Finishes what a previous agent left in flight: starts and reboots, and image builds. */
  private async recover(): Promise<void> {
    const signal = new AbortController().signal;
    sweepDeleted(this.root);
    for (const id of listContainers(this.root)) {
      const rt = this.runtimes.get(id);
      const rec = rt.dir.read();
      if (!rec?.pending) continue;
      const state = await rt.inspect(signal);
      rt.observe(state);
      const pending = rt.dir.read()?.pending;
      if (!pending) continue;
      this.ctx.log.warn({ machine: id, action: pending.action }, "finishing a start the previous agent did not see end");
      void rt.queue.run({ key: "boot", shownAs: pending.action === "boot" ? "starting" : "rebooting", work: (s) => rt.boot(pending, s) }, signal).catch((error: unknown) => {
        this.ctx.log.error({ machine: id, err: String(error) }, "could not finish the start");
      });
    }
    this.builds.resume();
  }

  private async existing(id: string, signal: AbortSignal): Promise<ContainerRuntime> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    if (this.closed) throw new Error("the podman backend is closed");
    RecordDir.check(id);
    const rt = this.runtimes.get(id);
    if (!rt.dir.exists()) throw new Error(`machine ${id} does not exist`);
    return rt;
  }

  /** A free host port: none that a container of this host holds, for SSH or a published port. */
  private async allocatePort(): Promise<number> {
    const held = listContainers(this.root).flatMap((id) => {
      const rec = this.runtimes.get(id).dir.read();
      return rec ? [rec.sshPort, ...(rec.published ?? []).map((p) => p.hostPort)] : [];
    });
    return allocatePort(this.ctx.sshBind, new Set(held));
  }

  async facts(signal: AbortSignal): Promise<HostFacts> {
    await abortable(this.ready, signal);
    // Containers run on the host's kernel, at native speed.
    return { cpus: cpus().length, memory: Math.floor(totalmem() / 1024 / 1024), accelerator: "kvm" };
  }

  async images(signal: AbortSignal): Promise<HostImage[]> {
    await abortable(this.ready, signal);
    return this.images_.list(signal);
  }

  async machines(signal: AbortSignal): Promise<string[]> {
    await abortable(this.ready, signal);
    return listContainers(this.root);
  }

  /** Whether this backend runs the image (a platform container image, or a custom one in the registry). */
  async hasImage(imageId: string, signal: AbortSignal): Promise<boolean> {
    return (await this.images_.get(imageId, signal)) !== undefined || this.builds.get(imageId) !== undefined;
  }

  async hasDisk(diskId: string, signal: AbortSignal): Promise<boolean> {
    await abortable(this.ready, signal);
    return this.ctx.disks.exists(diskId);
  }

  async provision(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    RecordDir.check(id);
    const rt = this.runtimes.get(id);
    if (rt.dir.exists()) return;
    await rt.queue.run(
      {
        key: "provision",
        shownAs: "busy",
        work: async (s) => {
          if (rt.dir.exists()) return;
          const image = await this.images_.get(spec.imageId, s);
          if (!image) throw new Error(`image ${spec.imageId} is not on this host nor in the registry`);
          if ((spec.dataDisks ?? []).length > 1) throw new Error(`a container takes one data disk, at ${DISK_MOUNT}; asked for ${spec.dataDisks?.length}`);
          for (const d of spec.dataDisks ?? []) await this.ctx.disks.ensure(d, s);
          rmSync(rt.dir.dir, { recursive: true, force: true });
          await rt.pull(image, s);
          const sshPort = await this.allocatePort();
          const { devices, published } = await rt.create({ spec, reference: image.reference, sshPort }, s);
          rt.dir.write({ id, spec, reference: image.reference, sshPort, devices, published, bootIds: [], bootCount: 0, createdAt: Date.now() });
          this.ctx.log.info({ machine: id, image: spec.imageId, cpu: spec.cpu, memory: spec.memory }, "container provisioned");
        },
      },
      signal,
    );
  }

  // Each action enters the machine's queue before it looks at podman (a look is a process, and a
  // settle() or a joining call asked meanwhile must find the action in flight).
  async powerOn(id: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await rt.queue.run(
      {
        key: "boot",
        shownAs: "starting",
        work: async (s) => {
          const state = await rt.inspect(s);
          rt.observe(state);
          if (state?.running && !rt.record().pending) return;
          await rt.boot({ action: "boot", mode: "hard", ...from(rt), startedAt: Date.now() }, s);
        },
      },
      signal,
    );
  }

  async powerOff(id: string, mode: PowerMode, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    const stopped = async (): Promise<void> => {
      if ((await rt.inspect(signal))?.running) throw new Error(`machine ${id} is still running`);
    };
    const work = (sig: "TERM" | "KILL") => async (s: AbortSignal) => {
      await rt.stop(sig, s);
      rt.dir.update((r) => {
        delete r.pending;
      });
    };
    if (mode === "soft") {
      await rt.queue.run({ key: "off-soft", shownAs: "stopping", joins: ["off-hard"], afterPreempt: stopped, work: work("TERM") }, signal);
    } else {
      await rt.queue.run(
        {
          key: "off-hard",
          shownAs: "stopping",
          preempts: ["off-soft", "boot", "reboot-soft", "reboot-hard", "password", "snapshot"],
          keepWhenAbandoned: true,
          work: work("KILL"),
        },
        signal,
      );
    }
  }

  async reboot(id: string, mode: PowerMode, fromBootCount: number, signal: AbortSignal): Promise<RebootResult> {
    const rt = await this.existing(id, signal);
    let alreadyBooted = rt.bootedSince(fromBootCount);
    if (!alreadyBooted) {
      // Compare, then act, again when the queue runs the work: a soft reboot in flight may finish meanwhile.
      const work = (sig: "TERM" | "KILL") => async (s: AbortSignal) => {
        const state = await rt.inspect(s);
        rt.observe(state);
        if (rt.bootedSince(fromBootCount)) {
          alreadyBooted = true;
          return;
        }
        if (!state?.running) throw new Error(`machine ${id} is not running`);
        // Recorded before the stop: an agent killed between the stop and the start finishes the reboot when it comes back.
        const pending = { action: "reboot" as const, mode, ...from(rt), startedAt: Date.now() };
        rt.dir.update((r) => {
          r.pending = pending;
        });
        await rt.stop(sig, s);
        await rt.boot(pending, s);
      };
      const rebooted = async (): Promise<void> => {
        if (!rt.bootedSince(fromBootCount)) throw new Error(`machine ${id} did not boot again`);
      };
      if (mode === "soft") await rt.queue.run({ key: "reboot-soft", shownAs: "rebooting", joins: ["reboot-hard"], afterPreempt: rebooted, work: work("TERM") }, signal);
      else await rt.queue.run({ key: "reboot-hard", shownAs: "rebooting", preempts: ["reboot-soft", "off-soft"], work: work("KILL") }, signal);
    }
    if (alreadyBooted) this.ctx.log.info({ machine: id, mode, fromBootCount }, "reboot asked of a machine that has booted since: not done again");
    return { alreadyBooted };
  }

  async status(id: string, signal: AbortSignal): Promise<MachineStatus> {
    await abortable(this.ready, signal);
    const rt = this.runtimes.known(id);
    if (!rt) return { power: "absent", bootCount: 0 };
    if (!rt.dir.exists()) return rt.queue.shownAs() ? { power: "busy", bootCount: 0 } : { power: "absent", bootCount: 0 };
    const state = await rt.inspect(signal);
    const bootId = rt.observe(state);
    const rec = rt.record();
    const base: MachineStatus = state?.running && bootId ? { power: "running", bootCount: rec.bootCount, bootId } : { power: "stopped", bootCount: rec.bootCount };
    const shown = rt.queue.shownAs();
    if (shown) return { ...base, power: shown };
    if (!state?.running) return { ...base, power: "stopped" };
    if (rec.pending || !bootId) return { ...base, power: rec.pending?.action === "reboot" ? "rebooting" : "starting" };
    return base;
  }

  async settle(id: string, signal: AbortSignal): Promise<MachineStatus> {
    await abortable(this.ready, signal);
    const rt = this.runtimes.known(id);
    if (!rt) return { power: "absent", bootCount: 0 };
    await rt.queue.settled(signal);
    return this.status(id, signal);
  }

  async snapshot(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    RecordDir.check(imageId);
    await rt.queue.run(
      {
        key: `snapshot:${imageId}`,
        work: async (s) => {
          const build = this.builds.get(imageId);
          if (build && build.state !== "failed") return;
          if (this.images_.platform(imageId)) throw new Error(`image ${imageId} is a platform image`);
          if (!(await rt.inspect(s))) await rt.create(rt.record(), s);
          await this.builds.start(imageId, id, rt.dir.container, s);
        },
      },
      signal,
    );
  }

  async buildImage(imageId: string, signal: AbortSignal, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    await abortable(this.ready, signal);
    await this.builds.wait(imageId, signal, onProgress);
    this.images_.invalidate();
  }

  async imageProgress(imageId: string, signal: AbortSignal): Promise<ImageProgress> {
    await abortable(this.ready, signal);
    return this.builds.progress(imageId);
  }

  async deleteImage(imageId: string, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    RecordDir.check(imageId);
    if (this.images_.platform(imageId)) throw new Error(`image ${imageId} is a platform image: it is not deleted through the backend`);
    // Containers made from it keep their own copy of its layers; the registry's goes.
    await this.builds.forget(imageId);
    await this.ctx.registry?.deleteImage(imageId, signal);
    this.images_.invalidate();
    this.ctx.log.info({ image: imageId }, "image deleted");
  }

  async publishImage(imageId: string, asImageId: string, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    RecordDir.check(imageId);
    RecordDir.check(asImageId);
    const registry = this.ctx.registry;
    if (!registry) throw new Error("this host has no registry (OCS_REGISTRY): a community version lives in one");
    if (this.images_.platform(imageId)) throw new Error(`image ${imageId} is a platform image: only custom images are published`);
    if (this.builds.get(imageId) && this.builds.progress(imageId).percent < 100) throw new Error(`image ${imageId} is still being made`);
    await registry.publish(imageId, asImageId, signal);
    this.images_.invalidate();
    this.ctx.log.info({ image: imageId, version: asImageId }, "image published to the community namespace");
  }

  async reinstall(id: string, imageId: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await rt.queue.run(
      {
        key: `reinstall:${imageId}`,
        shownAs: "busy",
        work: async (s) => {
          if ((await rt.inspect(s))?.running) throw new Error(`machine ${id} is running: reinstall needs it stopped`);
          const image = await this.images_.get(imageId, s);
          if (!image) throw new Error(`image ${imageId} is not on this host nor in the registry`);
          await rt.pull(image, s);
          const rec = rt.record();
          await rt.create({ ...rec, reference: image.reference }, s);
          rt.dir.update((r) => {
            r.spec = { ...r.spec, imageId };
            r.reference = image.reference;
          });
          await this.ctx.podman.releaseImage(rec.reference, s);
          this.ctx.log.info({ machine: id, image: imageId }, "container reinstalled from a fresh copy of the image");
        },
      },
      signal,
    );
  }

  async resize(id: string, spec: MachineSpec, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await rt.queue.run(
      {
        key: "resize",
        shownAs: "busy",
        work: async (s) => {
          if ((await rt.inspect(s))?.running) throw new Error(`machine ${id} is running: resize needs it stopped`);
          // Applied at the next start (podman update of the running container).
          rt.dir.update((r) => {
            r.spec = { ...spec, imageId: r.spec.imageId, dataDisks: r.spec.dataDisks };
          });
          this.ctx.log.info({ machine: id, cpu: spec.cpu, memory: spec.memory }, "container resized (from its next start)");
        },
      },
      signal,
    );
  }

  async resetPassword(id: string, password: string, signal: AbortSignal): Promise<void> {
    const rt = await this.existing(id, signal);
    await rt.queue.run(
      {
        key: "password",
        work: async (s) => {
          if (!(await rt.inspect(s))?.running) {
            rt.dir.setPendingPassword(password);
            this.ctx.log.info({ machine: id }, "password recorded for the next start");
            return;
          }
          await rt.setPassword(password, s);
          rt.dir.clearPendingPassword();
        },
      },
      signal,
    );
  }

  async destroy(id: string, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await abortable(this.ready, signal);
    const rt = this.runtimes.known(id);
    if (!rt) return;
    await rt.queue.run(
      {
        key: "destroy",
        shownAs: "busy",
        preempts: rt.queue.keys(),
        keepWhenAbandoned: true,
        work: async (s) => {
          const reference = rt.dir.read()?.reference;
          await this.ctx.podman.run(["rm", "--force", "--time", "0", "--ignore", rt.dir.container], s);
          if (reference) await this.ctx.podman.releaseImage(reference, s);
          // Unmounted first: the data disk is kept, and must never be inside what is removed.
          await this.ctx.disks.unmount(rt.dir.cloudDir, s, true);
          rt.dir.remove();
          this.metrics_.forget(id);
          this.ctx.log.info({ machine: id }, "container destroyed");
        },
      },
      signal,
    );
    this.runtimes.forget(id, rt);
  }

  async attachDisk(id: string, disk: MachineDisk, signal: AbortSignal): Promise<void> {
    await attachDisk(await this.existing(id, signal), this.ctx, disk, this.holders(disk.id), signal);
  }

  async detachDisk(id: string, diskId: string, signal: AbortSignal): Promise<void> {
    await detachDisk(await this.existing(id, signal), this.ctx, diskId, signal);
  }

  async resizeDisk(diskId: string, sizeGb: number, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    if (!(await this.ctx.disks.grow(diskId, sizeGb, signal))) this.ctx.log.warn({ disk: diskId, sizeGb }, "the disk's file system grows at its next mount: this agent may not resize a mounted one (CAP_SYS_RESOURCE)");
  }

  async deleteDisk(diskId: string, signal: AbortSignal): Promise<void> {
    await abortable(this.ready, signal);
    await deleteDisk(this.ctx, this.holders(diskId), diskId, signal);
  }

  /** The machines the disk is attached to. */
  private holders(diskId: string): string[] {
    return listContainers(this.root).filter((m) => this.runtimes.get(m).dir.read()?.spec.dataDisks?.some((d) => d.id === diskId));
  }

  async consoleOutput(id: string, bytes: number, signal: AbortSignal): Promise<string> {
    const rt = await this.existing(id, signal);
    const log = await this.ctx.podman.run(["logs", "--tail", "5000", rt.dir.container], signal).catch(() => "");
    return bytes > 0 && log.length > bytes ? log.slice(-bytes) : log;
  }

  async metrics(id: string, seconds: number, signal: AbortSignal): Promise<MachineMetrics> {
    const rt = await this.existing(id, signal);
    if ((await rt.inspect(signal))?.running) {
      const gpus = effectiveSize(rt.record().spec).gpus;
      await this.metrics_.sample(this.ctx.podman, id, rt.dir.container, signal, gpus, this.ctx.gpuReading);
    }
    return this.metrics_.series(id, seconds);
  }

  async access(id: string, signal: AbortSignal): Promise<MachineAccess | null> {
    const rt = await this.existing(id, signal);
    if (!(await rt.inspect(signal))?.running) return null;
    const rec = rt.record();
    const sshUser = this.images_.platform(rec.spec.imageId)?.sshUser ?? "root";
    return { ip: this.ctx.sshHost, sshPort: rec.sshPort, sshUser, ...(rec.published?.length ? { ports: rec.published } : {}) };
  }

  /** Runs a command in the running container (diagnostics and tests). Not part of the Backend interface. */
  async exec(id: string, argv: string[], signal: AbortSignal): Promise<string> {
    const rt = await this.existing(id, signal);
    return this.ctx.podman.run(["exec", rt.dir.container, ...argv], signal);
  }

  /** Lets go of the machines as a crash of the agent would: the containers go on (conmon). */
  async close(): Promise<void> {
    this.closed = true;
    await this.ready.catch(() => undefined);
    this.builds.close();
    this.runtimes.clear();
    this.ctx.cdi.removeEmulatedSpec();
  }
}

/** The boot id a start begins from (it is done once the container reports another). */
function from(rt: ContainerRuntime): { fromBootId?: string } {
  const last = rt.record().bootIds.at(-1);
  return last ? { fromBootId: last } : {};
}
