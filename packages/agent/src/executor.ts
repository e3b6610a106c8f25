/**
 * Runs the control plane's commands on the backend, behind the fence:
 * - a command's arguments are checked against the machine contract; one that does not match is
 *   refused, and never reaches the backend;
 * - a command that only reads runs as it is;
 * - a command already recorded as done or failed answers its recorded result and does nothing;
 * - a command whose epoch is lower than the highest seen for its instance is refused (stale);
 * - otherwise the epoch and "started" are written durably, then the backend acts, then the result
 *   is written. A command cut short by a crash ("started") runs again when it is redelivered: the
 *   backend's methods join what the machine is already doing, so it does not act twice.
 */
import { invokeMachine, isMachineMethod, underFault, parseMachineArgs, READ_METHODS, type CommandReport, type HostCommand, type MachineSpec } from "@opencompshare/protocol";
import { setTimeout as delay } from "node:timers/promises";
import type { Backend } from "./backends/backend.js";
import { HOST_KEY, type FenceStore } from "./fence-store.js";

export interface ExecutorOptions {
  backend: Backend;
  fences: FenceStore;
  /** Called with the progress of a long command (an image build). */
  onProgress?: (command: HostCommand, progress: unknown) => void;
  /** The most vCPUs and memory (MB) a guest really gets. */
  guestMax?: { cpus: number; memory: number };
  now?: () => number;
}

/** Waits `ms` of real time, rejecting when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal });

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Executor {
  constructor(private readonly opts: ExecutorOptions) {}

  async execute(cmd: HostCommand, signal: AbortSignal): Promise<CommandReport> {
    if (!isMachineMethod(cmd.method)) return { id: cmd.id, epoch: cmd.epoch, ok: false, error: { kind: "refused", message: `unknown method ${String(cmd.method)}` } };
    // The arguments as the contract has them, or a refusal: a command never reaches the backend on a cast.
    const parsed = parseMachineArgs(cmd.method, cmd.args);
    if (!parsed.ok) return { id: cmd.id, epoch: cmd.epoch, ok: false, error: { kind: "refused", message: `${cmd.method}: ${parsed.reason}` } };
    const args = this.adapt(cmd, parsed.args);
    const progress = async (p: unknown) => this.opts.onProgress?.(cmd, p);
    // A fault a test armed is applied here, before the backend acts (protocol's faults.ts): a real reboot can hang too.
    const call = () =>
      underFault(cmd.fault, signal, { fail: (m) => { throw new Error(m); }, sleep: (ms, s) => pause(ms, s) }, () => invokeMachine(this.opts.backend, cmd.method, args, signal, progress));
    if (READ_METHODS.has(cmd.method)) {
      try {
        return { id: cmd.id, epoch: cmd.epoch, ok: true, value: (await call()) ?? null };
      } catch (error) {
        return { id: cmd.id, epoch: cmd.epoch, ok: false, error: { kind: "refused", message: message(error) } };
      }
    }
    const key = cmd.instanceId ?? HOST_KEY;
    const now = this.opts.now ?? Date.now;
    const verdict = await this.opts.fences.update(key, (r): CommandReport | "run" => {
      const prior = r.commands[cmd.id];
      if (prior?.status === "done") return { id: cmd.id, epoch: cmd.epoch, ok: true, value: prior.value };
      if (prior?.status === "failed") return { id: cmd.id, epoch: cmd.epoch, ok: false, error: prior.error };
      if (cmd.instanceId && cmd.epoch < r.epoch) {
        const error = { kind: "stale" as const, message: `epoch ${cmd.epoch} of operation ${cmd.operationId ?? "?"} is older than epoch ${r.epoch}, already seen for ${cmd.instanceId}` };
        r.commands[cmd.id] = { status: "failed", at: now(), error };
        return { id: cmd.id, epoch: cmd.epoch, ok: false, error };
      }
      r.epoch = Math.max(r.epoch, cmd.epoch);
      r.commands[cmd.id] = { status: "started", at: now() };
      return "run";
    });
    if (verdict !== "run") return verdict;
    let report: CommandReport;
    try {
      const value = (await call()) ?? null;
      report = { id: cmd.id, epoch: cmd.epoch, ok: true, value };
    } catch (error) {
      // An abort (the agent stopping) is not a result: the command stays "started" and runs again.
      if (signal.aborted) throw error;
      report = { id: cmd.id, epoch: cmd.epoch, ok: false, error: { kind: "refused", message: message(error) } };
    }
    await this.opts.fences.update(key, (r) => {
      r.commands[cmd.id] = report.ok === true ? { status: "done", at: now(), value: report.value } : { status: "failed", at: now(), error: (report as { error: { kind: "refused"; message: string } }).error };
    });
    return report;
  }

  /**
   * The machine spec as this host runs it: within the guest limit of a small test box. Its GPUs
   * stay as placed; each backend passes what it can (VFIO: PCI functions; CDI: real GPUs, and
   * emulated ones only as stand-in nodes).
   */
  private adapt(cmd: HostCommand, args: unknown[]): unknown[] {
    const max = this.opts.guestMax;
    if ((cmd.method !== "provision" && cmd.method !== "resize") || !max) return args;
    const [id, spec, ...rest] = args as [string, MachineSpec, ...unknown[]];
    return [id, { ...spec, cpu: Math.min(spec.cpu, max.cpus), memory: Math.min(spec.memory, max.memory) }, ...rest];
  }
}
