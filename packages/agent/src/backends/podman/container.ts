/**
 * One container instance at run time: its state directory, its action queue (one action at a
 * time, joining and preempting as for QEMU machines), and the steps power actions are made of.
 * What podman says (`inspect`) and what the container wrote (its boot id) are read before acting;
 * memory is never trusted over them.
 */
import { mkdirSync } from "node:fs";
import type { MachineSpec, PublishedPort } from "@opencompshare/protocol";
import { effectiveSize } from "../common/effective-size.js";
import { MachineQueue } from "../common/machine-queue.js";
import { sleep, throwIfAborted } from "../common/waits.js";
import type { ContainerImage } from "../backend.js";
import type { ContainerDir, ContainerRecord, PendingStart } from "./container-dir.js";
import { DISK_MOUNT } from "./disks.js";
import { INIT_MOUNT, INIT_PATH, RUN_MOUNT, SSH_PORT } from "./init-script.js";
import type { PodmanContext } from "./options.js";
import { PodmanError, type ContainerState } from "./podman-cli.js";

const POLL_MS = 100;

export class ContainerRuntime {
  readonly queue = new MachineQueue();

  constructor(
    readonly dir: ContainerDir,
    private readonly ctx: PodmanContext,
    /** A free host port that no container of this host holds. */
    private readonly freePort: () => Promise<number>,
  ) {}

  get id(): string {
    return this.dir.id;
  }

  record(): ContainerRecord {
    return this.dir.record();
  }

  async inspect(signal: AbortSignal): Promise<ContainerState | undefined> {
    return this.ctx.podman.inspect(this.dir.container, signal);
  }

  /**
   * Records a boot the container reported and the record does not hold yet (a new boot id while
   * it runs), and clears a pending start it satisfies. Answers the current boot id when it runs.
   */
  observe(state: ContainerState | undefined): string | undefined {
    if (!state?.running) return undefined;
    const id = this.dir.currentBootId();
    if (!id) return undefined;
    const rec = this.dir.read();
    if (!rec) return id;
    const fresh = rec.bootIds.at(-1) !== id && !rec.bootIds.includes(id);
    const satisfied = rec.pending && rec.pending.fromBootId !== id;
    if (fresh || satisfied) {
      this.dir.update((r) => {
        if (fresh) {
          r.bootIds.push(id);
          r.bootCount += 1;
        }
        if (r.pending && r.pending.fromBootId !== id) delete r.pending;
      });
      if (fresh) this.ctx.log.info({ machine: this.id, bootId: id }, "container booted");
    }
    return id;
  }

  /** Whether the container has booted since boot count `from`. */
  bootedSince(from: number): boolean {
    return this.record().bootCount > from;
  }

  /** Pulls the image when this host lacks it. */
  async pull(image: ContainerImage, signal: AbortSignal): Promise<void> {
    const { podman, registry } = this.ctx;
    if (await podman.imageExists(image.reference, signal)) return;
    const tls = registry && image.reference.startsWith(`${registry.host}/`) ? [registry.tlsFlag] : [];
    this.ctx.log.info({ machine: this.id, reference: image.reference }, "pulling the image");
    await podman.run(["pull", "--quiet", ...tls, image.reference], signal);
  }

  /** The CDI devices the spec asks for now (none in no-GPU mode). */
  private wantedDevices(spec: MachineSpec): string[] {
    return this.ctx.cdi.devices(effectiveSize(spec).gpus);
  }

  /**
   * Where the spec's ports are published: on the host ports they had (a remake keeps the URLs),
   * or on free ones.
   */
  private async publishedPorts(rec: Pick<ContainerRecord, "spec" | "sshPort" | "published">): Promise<PublishedPort[]> {
    const out: PublishedPort[] = [];
    // Not yet in any record (a provision writes it after): not to be handed out twice here.
    const mine = new Set([rec.sshPort, ...(rec.published ?? []).map((p) => p.hostPort)]);
    for (const port of rec.spec.ports ?? []) {
      const kept = rec.published?.find((p) => p.port === port)?.hostPort;
      let hostPort = kept ?? (await this.freePort());
      while (kept === undefined && mine.has(hostPort)) hostPort = await this.freePort();
      mine.add(hostPort);
      out.push({ port, hostPort });
    }
    return out;
  }

  /**
   * Makes the container from the record (a leftover of an unfinished attempt is removed first),
   * and records the devices and ports it was made with (when the record exists: provision writes
   * it after).
   */
  async create(rec: Pick<ContainerRecord, "spec" | "reference" | "sshPort" | "published">, signal: AbortSignal): Promise<{ devices: string[]; published: PublishedPort[] }> {
    const { podman } = this.ctx;
    const devices = this.wantedDevices(rec.spec);
    const published = await this.publishedPorts(rec);
    await podman.run(["rm", "--force", "--time", "0", "--ignore", this.dir.container], signal);
    mkdirSync(this.dir.runDir, { recursive: true });
    await this.ctx.disks.share(this.dir.cloudDir, signal);
    await podman.run(
      [
        "create",
        "--name",
        this.dir.container,
        "--hostname",
        this.id,
        "--label",
        `${this.ctx.label}=${this.id}`,
        "--entrypoint",
        INIT_PATH,
        "--volume",
        `${this.ctx.initDir}:${INIT_MOUNT}:ro`,
        "--volume",
        `${this.dir.runDir}:${RUN_MOUNT}`,
        // What the host mounts on cloud/ (the data disk) appears inside, also while it runs.
        "--volume",
        `${this.dir.cloudDir}:${DISK_MOUNT}:rslave`,
        "--publish",
        `${this.ctx.sshBind}:${rec.sshPort}:${SSH_PORT}`,
        ...published.flatMap((p) => ["--publish", `${this.ctx.sshBind}:${p.hostPort}:${p.port}`]),
        ...limits(rec.spec),
        // The GPUs, by CDI name (fixed when the container is made: see remake).
        ...devices.flatMap((d) => ["--device", d]),
        ...this.ctx.runArgs,
        rec.reference,
      ],
      signal,
    );
    if (this.dir.exists()) {
      this.dir.update((r) => {
        r.devices = devices;
        r.published = published;
      });
    }
    return { devices, published };
  }

  /**
   * Podman cannot change a container's devices or published ports, so a stopped container whose
   * GPUs changed (a resize, no-GPU mode, or back) or whose ports did is made again with its
   * files: committed to an image of its own, which the record then names, and made from it. In
   * that order a crash at any step loses nothing: the next start commits again, or makes the
   * container from the committed image.
   */
  private async remake(signal: AbortSignal): Promise<void> {
    const { podman } = this.ctx;
    const kept = `localhost/ocs-kept/${this.id}:latest`;
    await podman.run(["commit", "--quiet", this.dir.container, kept], signal);
    const previous = this.record().reference;
    this.dir.update((r) => {
      r.reference = kept;
    });
    await this.create(this.record(), signal);
    this.ctx.log.info({ machine: this.id, devices: this.record().devices, ports: this.record().published }, "container made again with its files: its GPUs or ports changed");
    // The image it came from is no longer its own. Failing to remove it must not fail the start.
    if (previous !== kept) {
      await podman.releaseImage(previous, signal).catch((error: unknown) => {
        this.ctx.log.warn({ machine: this.id, reference: previous, err: String(error) }, "could not remove the image the container was made from");
      });
    }
  }

  /** Starts the container and waits for its new boot id; then applies the spec's limits and a waiting password. */
  async boot(pending: PendingStart, signal: AbortSignal): Promise<void> {
    this.dir.update((r) => {
      r.pending = pending;
    });
    let before = await this.inspect(signal);
    const rec = this.record();
    const changed = !sameList(rec.devices ?? [], this.wantedDevices(rec.spec)) || !sameList((rec.published ?? []).map((p) => p.port), rec.spec.ports ?? []);
    if (before && !before.running && changed) {
      await this.remake(signal);
      before = await this.inspect(signal);
    }
    if (!before) await this.create(this.record(), signal);
    // After a reboot of the host its mounts are gone: the shared folder and the disk again.
    await this.mountDisk(signal);
    if (!before?.running) {
      this.dir.clearBootId();
      await this.ctx.podman.run(["start", this.dir.container], signal);
    }
    await this.waitBooted(pending.fromBootId, signal);
    await this.applyLimits(signal);
    await this.applyPendingPassword(signal);
  }

  /** Mounts the machine's data disk, if it has one, on its shared folder. */
  async mountDisk(signal: AbortSignal): Promise<void> {
    const disk = this.record().spec.dataDisks?.[0];
    if (disk) await this.ctx.disks.mount(disk.id, this.dir.cloudDir, signal);
    else await this.ctx.disks.share(this.dir.cloudDir, signal);
  }

  /** Waits until the container runs with a boot id other than `from`, and records it. */
  async waitBooted(from: string | undefined, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const deadline = started + this.ctx.bootWaitMs;
    for (;;) {
      const state = await this.inspect(signal);
      const id = this.observe(state);
      if (id && id !== from) return;
      // Stopped for longer than a start takes to show: its init ended.
      if (state && !state.running && Date.now() - started > 2000) {
        const logs = await this.ctx.podman.run(["logs", "--tail", "5", this.dir.container], signal).catch(() => "");
        throw new Error(`container ${this.id} exited while starting: ${logs.trim().split("\n").at(-1) ?? ""}`);
      }
      if (Date.now() > deadline) throw new Error(`container ${this.id} did not report a boot id within ${Math.round(this.ctx.bootWaitMs / 1000)} s`);
      await sleep(POLL_MS, signal);
    }
  }

  /**
   * Sends `signal` to PID 1 (TERM: a soft stop; KILL: a hard one) and waits until the container
   * has stopped; then its data disk is unmounted (mounted again, and grown if it was, at the start).
   */
  async stop(sig: "TERM" | "KILL", signal: AbortSignal): Promise<void> {
    if ((await this.inspect(signal))?.running) {
      await this.ctx.podman.run(["kill", "--signal", sig, this.dir.container], signal).catch((error: unknown) => {
        // It stopped between the look and the kill.
        if (!(error instanceof PodmanError && /not running|no such container/i.test(error.stderr))) throw error;
      });
      while ((await this.inspect(signal))?.running) await sleep(POLL_MS, signal);
    }
    await this.ctx.disks.unmount(this.dir.cloudDir, signal);
  }

  /**
   * The spec's CPU and memory for the running container (`podman update`): a resize of a stopped
   * container applies here, at its next start. Podman 4.3 cannot update a stopped container.
   */
  private async applyLimits(signal: AbortSignal): Promise<void> {
    const state = await this.inspect(signal);
    if (!state?.running) return;
    const spec = this.record().spec;
    const size = effectiveSize(spec);
    const want = { nanoCpus: size.cpu * 1e9, memory: size.memory * 1024 * 1024 };
    if (size.cpu === 0 || size.memory === 0) return;
    if (state.nanoCpus === want.nanoCpus && state.memory === want.memory) return;
    await this.ctx.podman.run(["update", ...limits(spec), this.dir.container], signal);
  }

  /** A password recorded while the container was stopped, set now that it runs. */
  private async applyPendingPassword(signal: AbortSignal): Promise<void> {
    const password = this.dir.takePendingPassword();
    if (password === undefined) return;
    await this.setPassword(password, signal);
    this.dir.clearPendingPassword();
  }

  /** Sets root's password through chpasswd in the running container (the password goes through stdin). */
  async setPassword(password: string, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (/[\r\n]/.test(password)) throw new Error("a password may not hold a line break");
    await this.ctx.podman.run(["exec", "--interactive", this.dir.container, "chpasswd"], signal, `root:${password}\n`);
    this.ctx.log.info({ machine: this.id }, "root password set");
  }
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `podman create`/`update` limits of a spec: the size it starts with (none for a zero size). */
function limits(spec: MachineSpec): string[] {
  const { cpu, memory } = effectiveSize(spec);
  const out: string[] = [];
  if (cpu > 0) out.push("--cpus", String(cpu));
  if (memory > 0) out.push("--memory", `${memory}m`);
  return out;
}
