/**
 * The simulated GPU fleet: the executable specification of the driver interface. Machine state
 * lives in the database (`sim_machines`, `sim_access`, `sim_images`), so it survives a crash of
 * the server, and an action in flight completes on its own time even while nobody watches, like
 * hardware. Each machine holds a public address of OCS_SIM_PUBLIC_RANGE and its image's login.
 * The rows are store/repositories/simulator.ts's; what the machines do is decided here.
 */
import type { Clock } from "../../clock.js";
import {
  claimSimAccess,
  completeSimAction,
  deleteSimImage,
  insertSimImage,
  insertSimMachine,
  powerOffSimMachine,
  setSimLogin,
  setSimMachineSpec,
  simAccess,
  simImage,
  simJournal,
  simMachine,
  simMachineSpec,
  simPublicIps,
  startSimAction,
  type SimMachine,
  type SimOutcome,
} from "../../store/repositories/simulator.js";
import { imagesById } from "../../store/repositories/images.js";
import { setAccess } from "../../store/repositories/instances.js";
import { loginOf, type Login } from "../../domain/logins.js";
import type { Db } from "../../store/schema.js";
import {
  DriverError,
  type Driver,
  type DriverCall,
  type ImageProgress,
  type MachineAccess,
  type MachineDisk,
  type MachineMetrics,
  type MachineSpec,
  type MachineStatus,
  type PowerMode,
  type PowerState,
  type RebootResult,
} from "../driver.js";
import { bootIdOf, consoleOf, metricsOf, simulatedAccess } from "./telemetry.js";
import { takeFault } from "../../controls/faults.js";
import { underFault, type FaultMethod } from "@opencompshare/protocol";
import { addressesOf, DOCUMENTATION_RANGES, freeAddress } from "./addresses.js";

export interface SimTimings {
  bootMs: number;
  imageMs: number;
  /** The public addresses machines are given (OCS_SIM_PUBLIC_RANGE); RFC 5737's documentation ranges when unset. */
  publicRange?: string;
}

/** How many times a machine looks for another free address when replicas took the ones it chose. */
const CLAIM_ATTEMPTS = 20;

/** What each timed action leaves behind when its time is up. */
const OUTCOME: Record<string, SimOutcome> = {
  provision: { power: "off" },
  boot: { power: "on", boots: 1 },
  shutdown: { power: "off" },
  reboot: { power: "on", boots: 1 },
  reinstall: { power: "off" },
  resize: { power: "off" },
  password: {},
  snapshot: {},
  attach: {},
  detach: {},
  destroy: { gone: true },
};

const SHOWN_AS: Record<string, PowerState> = { boot: "starting", shutdown: "stopping", reboot: "rebooting" };

export class SimulatedDriver implements Driver {
  readonly name = "simulated";
  private readonly pool: readonly string[];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly timings: SimTimings,
  ) {
    this.pool = addressesOf(timings.publicRange ?? DOCUMENTATION_RANGES);
  }

  async provision(id: string, spec: MachineSpec, { signal }: DriverCall): Promise<void> {
    return this.faulted("provision", id, signal, async (extra) => {
      await insertSimMachine(this.db, id, spec);
      // The simulated fleet knows where a machine will be as soon as it makes it: the instance shows it while it boots.
      await this.claimAccess(id, spec.imageId);
      await setAccess(this.db, id, simulatedAccess(id, await simAccess(this.db, id), spec.ports));
      await this.act(id, "provision", this.timings.bootMs / 3 + extra, signal);
    });
  }

  async powerOn(id: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("powerOn", id, signal, async (extra) => {
      const row = await this.current(id);
      // A machine made before the fleet gave public addresses gets its own at its next boot.
      await this.claimAccess(id, (await this.spec(id)).imageId);
      if (row.power === "on" && row.action === null) return;
      await this.act(id, "boot", this.timings.bootMs + extra, signal);
    });
  }

  async powerOff(id: string, mode: PowerMode, { signal }: DriverCall): Promise<void> {
    return this.faulted("powerOff", id, signal, async (extra) => {
      const row = await this.current(id);
      if (row.power === "off" && row.action === null) return;
      if (mode === "hard") {
        await this.delay(extra, signal);
        await powerOffSimMachine(this.db, id);
        return;
      }
      await this.act(id, "shutdown", this.timings.bootMs / 3 + extra, signal);
    });
  }

  async reboot(id: string, mode: PowerMode, fromBootCount: number, { signal }: DriverCall): Promise<RebootResult> {
    return this.faulted(mode === "soft" ? "reboot" : "hardReboot", id, signal, async (extra) => {
      const row = await this.current(id);
      // Compare-and-act: booted since the caller's count, nothing in flight: the reboot is done already.
      if (row.power === "on" && row.action === null && row.bootCount > fromBootCount) return { alreadyBooted: true };
      if (row.power !== "on" && row.action !== "reboot") throw new DriverError("reboot", `machine ${id} is not running`);
      // A hard reboot cuts a soft one short: it starts a fresh boot now.
      await this.act(id, "reboot", this.timings.bootMs + extra, signal, mode === "hard");
      return { alreadyBooted: false };
    });
  }

  async status(id: string, { signal }: DriverCall): Promise<MachineStatus> {
    return this.faulted("status", id, signal, async (extra) => {
      await this.delay(extra, signal);
      const row = await this.find(id);
      if (!row) return { power: "absent", bootCount: 0 };
      return this.describe(row);
    });
  }

  async settle(id: string, { signal }: DriverCall): Promise<MachineStatus> {
    const row = await this.waitIdle(id, signal);
    return row ? this.describe(row) : { power: "absent", bootCount: 0 };
  }

  async snapshot(id: string, _imageId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("snapshot", id, signal, async (extra) => {
      await this.act(id, "snapshot", this.timings.imageMs / 10 + extra, signal);
    });
  }

  async buildImage(imageId: string, call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    const { signal } = call;
    return this.faulted("buildImage", imageId, signal, async (extra) => {
      const now = this.clock.now();
      await insertSimImage(this.db, imageId, now, now + (this.timings.imageMs * 9) / 10 + extra);
      for (;;) {
        const p = await this.imageProgress(imageId, call);
        if (onProgress) await onProgress(p);
        if (p.remainingMs <= 0) return;
        await this.clock.sleep(Math.min(p.remainingMs, Math.max(1, p.totalMs / 10)), signal);
      }
    });
  }

  async imageProgress(imageId: string, _call: DriverCall): Promise<ImageProgress> {
    const image = await simImage(this.db, imageId);
    if (!image) throw new DriverError("imageProgress", `image ${imageId} is unknown`);
    const totalMs = image.readyAt - image.startedAt;
    const remainingMs = Math.max(0, image.readyAt - this.clock.now());
    const percent = totalMs <= 0 ? 100 : Math.round(((totalMs - remainingMs) / totalMs) * 1000) / 10;
    return { percent, totalMs, remainingMs };
  }

  async deleteImage(imageId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("deleteImage", imageId, signal, async (extra) => {
      await this.delay(extra, signal);
      await deleteSimImage(this.db, imageId);
    });
  }

  /** The simulated fleet keeps no image files: a community version runs as any image does. */
  async publishImage(imageId: string, _asImageId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("publishImage", imageId, signal, async (extra) => {
      await this.delay(extra, signal);
    });
  }

  async reinstall(id: string, imageId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("reinstall", id, signal, async (extra) => {
      const row = await this.current(id);
      if (row.power === "on") throw new DriverError("reinstall", `machine ${id} is running`);
      await this.setSpec(id, (spec) => ({ ...spec, imageId }));
      // The new image's login; the address stays the machine's.
      const login = await this.loginFor(imageId);
      await setSimLogin(this.db, id, login.user, login.sshPort);
      await this.act(id, "reinstall", this.timings.bootMs + extra, signal);
    });
  }

  async resize(id: string, spec: MachineSpec, { signal }: DriverCall): Promise<void> {
    return this.faulted("resize", id, signal, async (extra) => {
      const row = await this.current(id);
      if (row.power === "on") throw new DriverError("resize", `machine ${id} is running`);
      // The data disks are the machine's own: a resize changes the rest.
      await this.setSpec(id, (old) => ({ ...spec, dataDisks: old.dataDisks ?? [] }));
      await this.act(id, "resize", this.timings.bootMs / 2 + extra, signal);
    });
  }

  async resetPassword(id: string, _password: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("resetPassword", id, signal, async (extra) => {
      // A stopped machine takes the password at its next boot, at once (as a real host records it).
      const row = await this.current(id);
      if (row.power === "off" && row.action === null) return this.delay(extra, signal);
      await this.act(id, "password", this.timings.bootMs / 3 + extra, signal);
    });
  }

  async destroy(id: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("destroy", id, signal, async (extra) => {
      if (!(await this.find(id))) return;
      await this.act(id, "destroy", this.timings.bootMs / 3 + extra, signal);
    });
  }

  async attachDisk(id: string, disk: MachineDisk, { signal }: DriverCall): Promise<void> {
    return this.faulted("attachDisk", id, signal, async (extra) => {
      const row = await this.current(id);
      const spec = await this.spec(id);
      if ((spec.dataDisks ?? []).some((d) => d.id === disk.id) && row.action !== "attach") return;
      await this.setSpec(id, (s) => ({ ...s, dataDisks: [...(s.dataDisks ?? []).filter((d) => d.id !== disk.id), disk] }));
      await this.act(id, "attach", this.timings.bootMs / 6 + extra, signal);
    });
  }

  async detachDisk(id: string, diskId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("detachDisk", id, signal, async (extra) => {
      const row = await this.current(id);
      if (row.power === "on" && row.action !== "detach") throw new DriverError("detachDisk", `machine ${id} is running`);
      const spec = await this.spec(id);
      if (!(spec.dataDisks ?? []).some((d) => d.id === diskId) && row.action !== "detach") return;
      await this.setSpec(id, (s) => ({ ...s, dataDisks: (s.dataDisks ?? []).filter((d) => d.id !== diskId) }));
      await this.act(id, "detach", this.timings.bootMs / 6 + extra, signal);
    });
  }

  async resizeDisk(diskId: string, _sizeGb: number, { signal }: DriverCall): Promise<void> {
    return this.faulted("resizeDisk", diskId, signal, async (extra) => {
      await this.delay(extra, signal);
    });
  }

  async deleteDisk(diskId: string, { signal }: DriverCall): Promise<void> {
    return this.faulted("deleteDisk", diskId, signal, async (extra) => {
      await this.delay(extra, signal);
    });
  }

  async consoleOutput(id: string, bytes: number, { signal }: DriverCall): Promise<string> {
    return this.faulted("consoleOutput", id, signal, async (extra) => {
      await this.delay(extra, signal);
      const text = consoleOf(id, await simJournal(this.db, id), this.clock.now());
      return text.length > bytes ? text.slice(text.length - bytes) : text;
    });
  }

  async metrics(id: string, seconds: number, { signal }: DriverCall): Promise<MachineMetrics> {
    return this.faulted("metrics", id, signal, async (extra) => {
      await this.delay(extra, signal);
      const row = await this.find(id);
      const spec = row ? await this.spec(id) : undefined;
      const running = row?.power === "on" && !row.action;
      return metricsOf(id, spec?.gpuDevices ?? [], running, this.clock.now(), seconds);
    });
  }

  async access(id: string, { signal }: DriverCall): Promise<MachineAccess | null> {
    return this.faulted("access", id, signal, async (extra) => {
      await this.delay(extra, signal);
      return (await this.find(id)) ? simulatedAccess(id, await simAccess(this.db, id), (await this.spec(id)).ports) : null;
    });
  }

  /** Runs a call under the armed faults (protocol's faults.ts says what each mode does). */
  private async faulted<T>(method: FaultMethod, id: string, signal: AbortSignal, call: (extraMs: number) => Promise<T>): Promise<T> {
    const shot = await takeFault(this.db, method, id);
    return underFault(shot, signal, { fail: (message) => { throw new DriverError(method, message); }, sleep: (ms, s) => this.clock.sleep(ms, s) }, call);
  }

  private describe(row: SimMachine): MachineStatus {
    const bootCount = row.bootCount;
    const bootId = bootCount > 0 ? bootIdOf(row.id, bootCount) : undefined;
    if (row.action) return { power: SHOWN_AS[row.action] ?? "busy", bootCount, ...(bootId ? { bootId } : {}) };
    return { power: row.power === "on" ? "running" : "stopped", bootCount, ...(bootId ? { bootId } : {}) };
  }

  /** The machine with any action whose time is up completed. */
  private async find(id: string): Promise<SimMachine | undefined> {
    const row = await simMachine(this.db, id);
    if (!row || !row.action || row.actionUntil > this.clock.now()) return row;
    return completeSimAction(this.db, row, OUTCOME[row.action] ?? {});
  }

  private async current(id: string): Promise<SimMachine> {
    const row = await this.find(id);
    if (!row) throw new DriverError("lookup", `machine ${id} does not exist`);
    return row;
  }

  /**
   * Runs a timed action: records it, waits its duration, completes it. When the same action
   * is already in flight it joins it instead, unless `restart` asks for a fresh one.
   */
  private async act(id: string, action: string, durationMs: number, signal: AbortSignal, restart = false): Promise<void> {
    const row = await this.current(id);
    let until: number;
    if (row.action === action && !restart) {
      until = row.actionUntil;
    } else {
      const now = this.clock.now();
      until = now + Math.max(0, Math.round(durationMs));
      await startSimAction(this.db, id, action, now, until);
    }
    await this.clock.sleep(until - this.clock.now(), signal);
    // Another action may have replaced this one meanwhile (a hard reboot cutting a soft one
    // short): the postcondition holds only once nothing is in flight.
    await this.waitIdle(id, signal);
  }

  /** Waits until the machine has no action in flight; undefined when it does not exist. */
  private async waitIdle(id: string, signal: AbortSignal): Promise<SimMachine | undefined> {
    for (;;) {
      const row = await this.find(id);
      if (!row || !row.action) return row;
      await this.clock.sleep(row.actionUntil - this.clock.now(), signal);
    }
  }

  /** Waits out the extra time of a `slow` fault, for methods that have no timed action. */
  private async delay(ms: number, signal: AbortSignal): Promise<void> {
    if (ms > 0) await this.clock.sleep(ms, signal);
  }

  /** The login an instance of `imageId` has (root on 22 for an image the store does not know). */
  private async loginFor(imageId: string): Promise<Login> {
    const image = (await imagesById(this.db, [imageId])).get(imageId);
    return image ? loginOf(image) : { user: "root", sshPort: 22 };
  }

  /** Gives the machine a free public address and its image's login, unless it holds them already. */
  private async claimAccess(id: string, imageId: string): Promise<void> {
    if (await simAccess(this.db, id)) return;
    const login = await this.loginFor(imageId);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const publicIp = freeAddress(id, this.pool, await simPublicIps(this.db));
      if (!publicIp) throw new DriverError("provision", `no free public address: all ${this.pool.length} of OCS_SIM_PUBLIC_RANGE are held`);
      if (await claimSimAccess(this.db, id, { publicIp, sshUser: login.user, sshPort: login.sshPort })) return;
      // Taken meanwhile by another machine (then choose again), or this machine's by another call.
      if (await simAccess(this.db, id)) return;
    }
    throw new DriverError("provision", `no public address claimed after ${CLAIM_ATTEMPTS} attempts`);
  }

  private spec(id: string): Promise<MachineSpec> {
    return simMachineSpec(this.db, id);
  }

  private async setSpec(id: string, change: (spec: MachineSpec) => MachineSpec): Promise<void> {
    await setSimMachineSpec(this.db, id, change(await this.spec(id)));
  }
}
