/**
 * The control plane's Driver interface, served by a host's own stack: each call becomes the
 * command an agent would receive (method, arguments, instance, fence) and runs through the
 * agent's Executor (the fence store, fsync) on its backend. It is what the agent driver reaches
 * over HTTP, without the HTTP, so that the driver conformance suite can run on real guests.
 */
import { randomUUID } from "node:crypto";
import { Executor, type ExecutorOptions } from "@opencompshare/agent";
import type { DriverMethod, ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode } from "@opencompshare/protocol";
import { DriverError, StaleEpoch, type Driver, type DriverCall } from "@opencompshare/server";

export class ExecutorDriver implements Driver {
  readonly name: string;
  private readonly executor: Executor;
  /** Progress callbacks of the builds in flight, by command id (the Executor reports progress per command). */
  private readonly progress = new Map<string, (p: unknown) => Promise<void>>();

  constructor(opts: Omit<ExecutorOptions, "onProgress">) {
    this.name = `${opts.backend.name} (agent executor)`;
    this.executor = new Executor({ ...opts, onProgress: (cmd, p) => void this.progress.get(cmd.id)?.(p) });
  }

  private async exec<T>(method: DriverMethod, args: unknown[], call: DriverCall, instanceId: string | null, onProgress?: (p: unknown) => Promise<void>): Promise<T> {
    if (call.signal.aborted) throw call.signal.reason;
    const id = `cmd-${randomUUID()}`;
    if (onProgress) this.progress.set(id, onProgress);
    try {
      const report = await this.executor.execute({ id, method, instanceId, operationId: call.fence?.operationId ?? null, epoch: call.fence?.epoch ?? 0, args }, call.signal);
      if ("progress" in report) throw new DriverError(method, "a progress report is not a result");
      if (report.ok) return report.value as T;
      if (report.error.kind === "stale") throw new StaleEpoch(method, report.error.message);
      throw new DriverError(method, report.error.message);
    } finally {
      this.progress.delete(id);
    }
  }

  provision(id: string, spec: MachineSpec, call: DriverCall): Promise<void> {
    return this.exec("provision", [id, spec], call, id);
  }
  powerOn(id: string, call: DriverCall): Promise<void> {
    return this.exec("powerOn", [id], call, id);
  }
  powerOff(id: string, mode: PowerMode, call: DriverCall): Promise<void> {
    return this.exec("powerOff", [id, mode], call, id);
  }
  reboot(id: string, mode: PowerMode, call: DriverCall): Promise<void> {
    return this.exec("reboot", [id, mode], call, id);
  }
  status(id: string, call: DriverCall): Promise<MachineStatus> {
    return this.exec("status", [id], call, id);
  }
  settle(id: string, call: DriverCall): Promise<MachineStatus> {
    return this.exec("settle", [id], call, id);
  }
  snapshot(id: string, imageId: string, call: DriverCall): Promise<void> {
    return this.exec("snapshot", [id, imageId], call, id);
  }
  buildImage(imageId: string, call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    return this.exec("buildImage", [imageId], call, null, onProgress as ((p: unknown) => Promise<void>) | undefined);
  }
  imageProgress(imageId: string, call: DriverCall): Promise<ImageProgress> {
    return this.exec("imageProgress", [imageId], call, null);
  }
  deleteImage(imageId: string, call: DriverCall): Promise<void> {
    return this.exec("deleteImage", [imageId], call, null);
  }
  reinstall(id: string, imageId: string, call: DriverCall): Promise<void> {
    return this.exec("reinstall", [id, imageId], call, id);
  }
  resize(id: string, spec: MachineSpec, call: DriverCall): Promise<void> {
    return this.exec("resize", [id, spec], call, id);
  }
  resetPassword(id: string, password: string, call: DriverCall): Promise<void> {
    return this.exec("resetPassword", [id, password], call, id);
  }
  destroy(id: string, call: DriverCall): Promise<void> {
    return this.exec("destroy", [id], call, id);
  }
  attachDisk(id: string, disk: MachineDisk, call: DriverCall): Promise<void> {
    return this.exec("attachDisk", [id, disk], call, id);
  }
  detachDisk(id: string, diskId: string, call: DriverCall): Promise<void> {
    return this.exec("detachDisk", [id, diskId], call, id);
  }
  resizeDisk(diskId: string, sizeGb: number, call: DriverCall): Promise<void> {
    return this.exec("resizeDisk", [diskId, sizeGb], call, null);
  }
  deleteDisk(diskId: string, call: DriverCall): Promise<void> {
    return this.exec("deleteDisk", [diskId], call, null);
  }
  consoleOutput(id: string, bytes: number, call: DriverCall): Promise<string> {
    return this.exec("consoleOutput", [id, bytes], call, id);
  }
  metrics(id: string, seconds: number, call: DriverCall): Promise<MachineMetrics> {
    return this.exec("metrics", [id, seconds], call, id);
  }
  access(id: string, call: DriverCall): Promise<MachineAccess | null> {
    return this.exec("access", [id], call, id);
  }
}
