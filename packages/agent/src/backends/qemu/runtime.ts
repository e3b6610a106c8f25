/**
 * What the backend holds in memory for one machine: its action queue, its one QMP connection
 * and guest-agent channel, its serial log, its metrics ring, and a monitor that, while nothing
 * is in flight, records boots it sees (a reboot from inside the guest, or one that completed
 * while the agent was down), finishes an ACPI fake reboot whose power-off it missed, and notices
 * a QEMU that exited on its own. Everything it learns is written to machine.json first.
 */
import type { BackendLog } from "../backend.js";
import { MachineQueue } from "../common/machine-queue.js";
import { GuestAgent } from "./guest-agent.js";
import type { ImageStore } from "./images.js";
import { processAlive, type MachineDir, type MachineRecord, type PendingBoot } from "./machine.js";
import { MetricsRing } from "./metrics.js";
import type { QemuImg } from "./qemu-img.js";
import { QmpClient, type QmpEvent } from "./qmp.js";
import { SerialLog } from "./serial.js";
import { abortable, sleep, throwIfAborted } from "../common/waits.js";

/** A pino-compatible logger (only these methods are used). */

/** What every machine runtime shares with the backend. */
export interface BackendContext {
  accel: "kvm" | "tcg";
  qemuBinary: string;
  qemuImg: QemuImg;
  images: ImageStore;
  disksDir: string;
  sshHost: string;
  sshBind: string;
  /** The host bridge guests are put on; unset: user-mode networking with a forwarded SSH port. */
  bridge?: string;
  log: BackendLog;
  /** How long a recorded reboot in flight is joined by a new call rather than asked again. */
  rejoinWindowMs: number;
  /** How long to wait for the guest agent when a password must be set. */
  agentWaitMs: number;
  /** Bytes/s a custom image copy may read and write (0: no limit). */
  imageCopyRate: number;
  /** A free host port for a machine's SSH forward (not one another machine holds). */
  allocatePort(bind: string): Promise<number>;
}

/** How often the monitor looks at a running machine. */
const MONITOR_MS = 2000;
/** After this long without a boot id on the serial console, a wait for a boot also asks the guest agent. */
const AGENT_FALLBACK_MS = 15_000;
/** How often a wait for a boot looks at the serial log. */
const BOOT_POLL_MS = 250;

/** The in-memory owner of one machine. */
export class MachineRuntime {
  readonly queue = new MachineQueue();
  readonly ga: GuestAgent;
  readonly serial: SerialLog;
  readonly metrics = new MetricsRing();
  private client?: QmpClient;
  private connecting?: Promise<QmpClient>;
  private monitor?: NodeJS.Timeout;
  private ticking = false;
  private finishing?: Promise<void>;
  private closed = false;

  constructor(
    readonly dir: MachineDir,
    readonly ctx: BackendContext,
  ) {
    this.ga = new GuestAgent(dir.qgaSocket);
    this.serial = new SerialLog(dir.serialLog);
  }

  get id(): string {
    return this.dir.id;
  }

  /** machine.json; throws when the machine does not exist. */
  record(): MachineRecord {
    const r = this.dir.read();
    if (!r) throw new Error(`machine ${this.id} does not exist`);
    return r;
  }

  /** The QEMU pid when the machine runs. */
  pid(): number | undefined {
    return this.dir.qemuPid();
  }

  /** The machine's QMP connection (connecting when there is none). */
  qmp(signal?: AbortSignal): Promise<QmpClient> {
    if (this.client && !this.client.closed) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error(`machine ${this.id}: the backend is closed`));
    if (!this.connecting) {
      this.connecting = QmpClient.connect(this.dir.qmpSocket, { timeoutMs: 5000 })
        .then((c) => {
          if (this.closed) {
            c.close();
            throw new Error(`machine ${this.id}: the backend is closed`);
          }
          this.client = c;
          c.onEvent((e) => this.onEvent(e));
          c.onClose(() => {
            if (this.client === c) this.client = undefined;
          });
          return c;
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return signal ? abortable(this.connecting, signal) : this.connecting;
  }

  /** Records a boot id the guest reported: appended once, the boot count grows, the pending boot ends. Written with fsync. */
  recordBoot(bootId: string, source: "serial" | "agent"): MachineRecord {
    let isNew = false;
    const r = this.dir.update((rec) => {
      if (!rec.bootIds.includes(bootId)) {
        rec.bootIds.push(bootId);
        rec.bootCount += 1;
        isNew = true;
      }
      delete rec.pending;
    });
    if (isNew) this.ctx.log.info({ machine: this.id, bootId, bootCount: r.bootCount, source }, "guest booted");
    return r;
  }

  /** The pending boot or reboot, unless it is older than the rejoin window (then it is no longer waited for). */
  livePending(rec: MachineRecord): PendingBoot | undefined {
    const p = rec.pending;
    return p && Date.now() - p.startedAt < this.ctx.rejoinWindowMs ? p : undefined;
  }

  /**
   * Compare-and-act's compare, before a reboot acts: has the guest booted since boot count `from`
   * and runs, with no boot pending? A pending reboot whose new boot the serial console already
   * shows (it finished while this agent could not watch: stopped, or cut off) is recorded first.
   */
  bootedSince(from: number): boolean {
    if (!this.pid()) return false;
    let rec = this.record();
    if (rec.pending) {
      const known = new Set(rec.bootIds);
      if (rec.pending.fromBootId) known.add(rec.pending.fromBootId);
      const seen = this.newBootIdOnSerial(rec.pending.logOffset, known);
      if (!seen) return false;
      rec = this.recordBoot(seen, "serial");
    }
    return rec.bootCount > from;
  }

  /** A boot id the guest printed since `offset` that is not among `known` (the newest), if any. */
  newBootIdOnSerial(offset: number, known: Set<string>): string | undefined {
    const ids = this.serial.bootIdsSince(offset).filter((id) => !known.has(id));
    return ids[ids.length - 1];
  }

  /**
   * Waits until the guest reports a boot id it had not reported before (on the serial console,
   * or else through the guest agent), records it, then applies a password waiting for this boot.
   */
  async awaitNewBoot(pending: PendingBoot, signal: AbortSignal): Promise<void> {
    const rec = this.record();
    const known = new Set(rec.bootIds);
    if (pending.fromBootId) known.add(pending.fromBootId);
    const started = Date.now();
    let lastAgentTry = 0;
    let lastStatusCheck = 0;
    for (;;) {
      throwIfAborted(signal);
      if (!this.pid()) {
        this.stopped("QEMU exited before the guest booted");
        throw new Error(`machine ${this.id}: QEMU exited before the guest booted (see its console output)`);
      }
      const fromSerial = this.newBootIdOnSerial(pending.logOffset, known);
      if (fromSerial) {
        this.recordBoot(fromSerial, "serial");
        break;
      }
      const now = Date.now();
      // Images that print no boot id line: ask the guest agent, less often.
      if (now - started > AGENT_FALLBACK_MS && now - lastAgentTry > 3000) {
        lastAgentTry = now;
        const id = await this.ga.bootId({ timeoutMs: 1500, signal }).catch(() => undefined);
        if (signal.aborted) throwIfAborted(signal);
        if (id && /^[0-9a-f-]{36}$/.test(id) && !known.has(id)) {
          this.recordBoot(id, "agent");
          break;
        }
      }
      // An ACPI fake reboot whose SHUTDOWN event was missed.
      if (pending.via === "acpi" && now - lastStatusCheck > 1000) {
        lastStatusCheck = now;
        await this.finishFakeReboot().catch(() => undefined);
      }
      await sleep(BOOT_POLL_MS, signal);
    }
    await this.applyPendingPassword(signal);
  }

  /** Sets a password that waited for this boot, through the guest agent (kept for the next boot when it does not answer). */
  async applyPendingPassword(signal: AbortSignal, waitMs = this.ctx.agentWaitMs): Promise<void> {
    const password = this.dir.takePendingPassword();
    if (password === undefined) return;
    const user = this.ctx.images.get(this.record().spec.imageId)?.sshUser ?? "root";
    if (!(await this.waitForAgent(waitMs, signal))) {
      this.ctx.log.warn({ machine: this.id }, "a password is waiting for the guest agent, which does not answer; kept for the next boot");
      return;
    }
    await this.ga.setPassword(user, password, { signal, timeoutMs: 15_000 });
    this.dir.clearPendingPassword();
    this.ctx.log.info({ machine: this.id, user }, "password set after boot");
  }

  /** Pings the guest agent until it answers or `waitMs` passes; true when it answered. */
  async waitForAgent(waitMs: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.ga.ping(1500, signal)) return true;
      if (Date.now() > deadline || !this.pid()) return false;
      await sleep(500, signal);
    }
  }

  /** Waits until process `pid` is gone. */
  async waitExit(pid: number, signal: AbortSignal): Promise<void> {
    while (processAlive(pid)) await sleep(100, signal);
  }

  /**
   * When QEMU is paused in its `shutdown` state (the guest powered off while the shutdown action
   * was `pause`): reset and continue if that was an ACPI soft reboot, else let QEMU end.
   */
  async finishFakeReboot(): Promise<void> {
    // The SHUTDOWN event, a wait for the boot and the monitor may all get here: one reset.
    if (this.finishing) return this.finishing;
    this.finishing = this.finishFakeRebootOnce().finally(() => {
      this.finishing = undefined;
    });
    return this.finishing;
  }

  private async finishFakeRebootOnce(): Promise<void> {
    const qmp = await this.qmp();
    const st = await qmp.execute<{ status: string }>("query-status", undefined, { timeoutMs: 3000 });
    if (st.status !== "shutdown") return;
    const pending = this.dir.read()?.pending;
    if (pending?.action === "reboot" && pending.via === "acpi") {
      await qmp.execute("system_reset");
      await qmp.execute("set-action", { shutdown: "poweroff" });
      await qmp.execute("cont");
      this.ctx.log.info({ machine: this.id }, "ACPI reboot: the guest powered off; reset and continued");
    } else {
      this.ctx.log.info({ machine: this.id }, "the guest powered off; QEMU ends");
      await qmp.execute("quit").catch(() => undefined);
    }
  }

  private onEvent(e: QmpEvent): void {
    if (e.event === "SHUTDOWN" && e.data?.guest === true) {
      this.finishFakeReboot().catch((error: unknown) => {
        // QEMU ending after the guest's power-off closes the connection: expected.
        if (this.pid()) this.ctx.log.warn({ machine: this.id, err: String(error) }, "after SHUTDOWN");
      });
    }
  }

  /** After QEMU is gone: drop the connections and runtime files, end a boot that cannot complete. */
  stopped(why: string): void {
    this.client?.close();
    this.client = undefined;
    this.ga.close();
    this.stopMonitor();
    this.dir.clearRuntime();
    if (this.dir.read()?.pending) {
      this.dir.update((r) => {
        delete r.pending;
      });
    }
    this.ctx.log.info({ machine: this.id, why }, "machine stopped");
  }

  /** Starts the monitor (idempotent). */
  startMonitor(): void {
    if (this.monitor || this.closed) return;
    this.monitor = setInterval(() => void this.tick(), MONITOR_MS);
    this.monitor.unref();
    void this.tick();
  }

  stopMonitor(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
  }

  /** One look at the machine while nothing is in flight. */
  async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    const running = this.pid();
    if (running) this.metrics.sample(running, 1000);
    if (!this.queue.idle()) return;
    this.ticking = true;
    try {
      const rec = this.dir.read();
      if (!rec) return this.stopMonitor();
      const pid = this.pid();
      if (!pid) return this.stopped("QEMU exited");
      if (!this.client) await this.qmp().catch(() => undefined);
      const known = new Set(rec.bootIds);
      if (rec.pending?.fromBootId) known.add(rec.pending.fromBootId);
      const seen = this.newBootIdOnSerial(rec.pending?.logOffset ?? rec.runOffset, known);
      if (seen && this.queue.idle()) {
        this.recordBoot(seen, "serial");
        if (this.dir.takePendingPassword() !== undefined) {
          void this.queue.detach({ key: "password-after-boot", work: (s) => this.applyPendingPassword(s) });
        }
      } else if (rec.pending && !this.livePending(rec)) {
        // A reboot the guest never did (it ignored the request): stop waiting for it.
        this.ctx.log.warn({ machine: this.id, pending: rec.pending.action, via: rec.pending.via }, "the guest never completed the boot asked for; no longer waiting");
        this.dir.update((r) => {
          delete r.pending;
        });
        if (rec.pending.via === "acpi") await (await this.qmp()).execute("set-action", { shutdown: "poweroff" }).catch(() => undefined);
      } else if (rec.pending?.via === "acpi") {
        await this.finishFakeReboot().catch(() => undefined);
      }
    } catch (error) {
      this.ctx.log.warn({ machine: this.id, err: String(error) }, "monitor");
    } finally {
      this.ticking = false;
    }
  }

  /** Lets go of the machine: cancels actions, closes connections; QEMU goes on. */
  close(): void {
    this.closed = true;
    this.stopMonitor();
    this.queue.cancelAll(new Error(`machine ${this.id}: the backend was closed`));
    this.client?.close();
    this.client = undefined;
    this.ga.close();
  }
}
