/**
 * The `ocs agent` daemon: registers its host with the control plane, heartbeats, and long-polls
 * for the driver calls to run on its machines, each behind the fence (executor.ts). It connects
 * out only. On a restart it finds its QEMU machines again (the backend does), and the commands
 * it was running are handed to it again and resumed, never repeated.
 */
import type { AgentGpu, GpuHealthReport, HostCommand, MachineReport } from "@opencompshare/protocol";
import type { Backend } from "./backends/backend.js";
import { Executor } from "./executor.js";
import { FenceStore } from "./fence-store.js";
import type { GpuInventory } from "./gpu/index.js";
import { cpuPlatform, hostBootId } from "./host-facts.js";
import { Link } from "./link.js";

export const AGENT_VERSION = "0.1.0";

export interface AgentLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The GPUs a host offers: its real ones (`auto`), none, or emulated ones for a host without any (no passthrough). */
export type GpuMode = { kind: "auto"; inventory: GpuInventory } | { kind: "none" } | { kind: "emulated"; gpuType: string; count: number; memoryMb: number };

export interface AgentOptions {
  server: string;
  token: string;
  stateDir: string;
  backend: Backend;
  gpus: GpuMode;
  log: AgentLog;
  heartbeatMs?: number;
  pollWaitMs?: number;
  /** What the host offers to placement, instead of its real CPUs and memory (MB). */
  capacity?: { cpus: number; memory: number };
  /** The most a guest really gets (MB), whatever its size. */
  guestMax?: { cpus: number; memory: number };
}

/** Sleeps `ms`, or less when `signal` aborts; never rejects. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/** Parses `4090x8` (an emulated GPU type and count). */
export function parseEmulated(spec: string): { gpuType: string; count: number } {
  const m = /^(.+)x(\d+)$/.exec(spec);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 64) throw new Error(`emulated GPUs: TYPExN such as 4090x8, got ${JSON.stringify(spec)}`);
  return { gpuType: m[1] as string, count: Number(m[2]) };
}

export class Agent {
  readonly link: Link;
  private readonly fences: FenceStore;
  private readonly executor: Executor;
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, Promise<void>>();
  private readonly emulated: string[];
  private loops: Promise<void>[] = [];
  private lastProgress = new Map<string, number>();

  constructor(private readonly opts: AgentOptions) {
    this.link = new Link(opts.server, opts.token);
    this.fences = new FenceStore(opts.stateDir);
    this.emulated = opts.gpus.kind === "emulated" ? Array.from({ length: opts.gpus.count }, (_, i) => `emulated:${i}`) : [];
    this.executor = new Executor({
      backend: opts.backend,
      fences: this.fences,
      ...(opts.guestMax ? { guestMax: opts.guestMax } : {}),
      onProgress: (cmd, p) => this.progress(cmd, p),
    });
  }

  get hostId(): string {
    return this.link.hostId;
  }

  /** Registers (retrying until the control plane answers), then runs the heartbeat and poll loops. */
  async start(): Promise<void> {
    const signal = this.stopping.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.register(signal);
        break;
      } catch (error) {
        this.opts.log.warn({ err: error, attempt }, "could not register with the control plane; retrying");
        await sleep(Math.min(30_000, 500 * 2 ** attempt), signal);
      }
    }
    this.loops = [this.heartbeatLoop(), this.pollLoop()];
  }

  /** Stops polling and heartbeating. Machines go on running; commands in flight are resumed at the next start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.running.values()]);
    await this.opts.backend.close?.();
  }

  private async register(signal: AbortSignal): Promise<void> {
    const [facts, images] = await Promise.all([this.opts.backend.facts(signal), this.opts.backend.images(signal)]);
    const gpus = await this.gpus(signal);
    await this.link.register(
      {
        bootId: hostBootId(),
        agentVersion: AGENT_VERSION,
        cpuPlatform: cpuPlatform(),
        cpus: this.opts.capacity?.cpus ?? facts.cpus,
        memory: this.opts.capacity?.memory ?? facts.memory,
        accelerator: facts.accelerator,
        gpus,
        images: images.map((i) => ({ id: i.id, name: i.name, osName: i.osName, sizeGb: i.sizeGb, ...(i.kind === "container" ? { container: true } : {}) })),
      },
      signal,
    );
    this.opts.log.info({ host: this.hostId, gpus: gpus.length, images: images.length, accelerator: facts.accelerator }, "registered with the control plane");
  }

  private async gpus(signal: AbortSignal): Promise<AgentGpu[]> {
    const mode = this.opts.gpus;
    if (mode.kind === "none") return [];
    if (mode.kind === "emulated") return this.emulated.map((device) => ({ device, gpuType: mode.gpuType, model: `emulated ${mode.gpuType}`, memoryMb: mode.memoryMb }));
    const devices = await mode.inventory.discover(signal);
    return devices.filter((d) => d.gpuType).map((d) => ({ device: d.pciAddress, gpuType: d.gpuType as string, model: d.name, memoryMb: d.memoryTotalMb ?? 0 }));
  }

  private async health(signal: AbortSignal): Promise<GpuHealthReport[]> {
    const mode = this.opts.gpus;
    if (mode.kind === "none") return [];
    if (mode.kind === "emulated") {
      return this.emulated.map((device) => ({ device, healthy: true, reasons: [], temperatureC: null, utilGpu: null, memoryUsedMb: null, memoryTotalMb: mode.memoryMb, eccUncorrected: null, xids: [] }));
    }
    return (await mode.inventory.health(signal)).map((h) => ({
      device: h.pciAddress,
      healthy: h.healthy,
      reasons: h.reasons,
      temperatureC: h.temperatureC,
      utilGpu: h.utilGpu,
      memoryUsedMb: h.memoryUsedMb,
      memoryTotalMb: h.memoryTotalMb,
      eccUncorrected: h.eccUncorrected,
      xids: h.xids,
    }));
  }

  private async heartbeatLoop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await sleep(this.opts.heartbeatMs ?? 10_000, signal);
      if (signal.aborted) return;
      try {
        const { backend } = this.opts;
        const ids = await backend.machines(signal);
        const machines: MachineReport[] = [];
        for (const id of ids) {
          const s = await backend.status(id, signal);
          machines.push({ id, power: s.power, bootCount: s.bootCount, ...(s.bootId ? { bootId: s.bootId } : {}) });
        }
        const images = (await backend.images(signal)).map((i) => i.id);
        await this.link.heartbeat({ bootId: hostBootId(), gpus: await this.health(signal), machines, images }, signal);
      } catch (error) {
        if (!signal.aborted) this.opts.log.warn({ err: error }, "heartbeat failed");
      }
    }
  }

  private async pollLoop(): Promise<void> {
    const signal = this.stopping.signal;
    for (let failures = 0; !signal.aborted; ) {
      let commands: HostCommand[];
      try {
        commands = await this.link.poll([...this.running.keys()], this.opts.pollWaitMs ?? 25_000, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        this.opts.log.warn({ err: error, failures }, "polling the control plane failed; retrying");
        await sleep(Math.min(10_000, 200 * 2 ** failures), signal);
        continue;
      }
      for (const cmd of commands) {
        if (this.running.has(cmd.id)) continue;
        const done = this.run(cmd).finally(() => this.running.delete(cmd.id));
        this.running.set(cmd.id, done);
      }
    }
  }

  private async run(cmd: HostCommand): Promise<void> {
    const signal = this.stopping.signal;
    let report;
    try {
      report = await this.executor.execute(cmd, signal);
    } catch (error) {
      if (!signal.aborted) this.opts.log.error({ err: error, command: cmd.id, method: cmd.method }, "command failed to run");
      return;
    }
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const taken = await this.link.report(report, signal);
        if (!taken) this.opts.log.info({ command: cmd.id, method: cmd.method }, "report not taken: the command ended otherwise");
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.opts.log.warn({ err: error, command: cmd.id, attempt }, "could not report; retrying");
        await sleep(Math.min(10_000, 200 * 2 ** attempt), signal);
      }
    }
  }

  /** Sends a long command's progress, at most once a second. */
  private progress(cmd: HostCommand, progress: unknown): void {
    const now = Date.now();
    if (now - (this.lastProgress.get(cmd.id) ?? 0) < 1000) return;
    this.lastProgress.set(cmd.id, now);
    this.link.report({ id: cmd.id, epoch: cmd.epoch, progress }, this.stopping.signal).catch(() => undefined);
  }
}
