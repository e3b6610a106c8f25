/**
 * The agent driver: the Driver interface, carried to the host an instance was placed on. Each
 * call becomes a command in the host's queue with the caller's fence (the instance epoch) and
 * waits for the host's report. A host that refuses a stale epoch answers StaleEpoch; a backend
 * that refuses answers DriverError, as the simulated driver would.
 */
import type { DriverMethod, ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode } from "@opencompshare/protocol";
import type { Db } from "../../store/schema.js";
import { DriverError, StaleEpoch, type Driver, type DriverCall } from "../driver.js";
import type { CommandQueue } from "./queue.js";

export class AgentDriver implements Driver {
  readonly name = "agent";

  constructor(
    private readonly db: Db,
    private readonly queue: CommandQueue,
  ) {}

  provision(id: string, spec: MachineSpec, call: DriverCall): Promise<void> {
    return this.onInstance(id, "provision", [id, spec], call);
  }
  powerOn(id: string, call: DriverCall): Promise<void> {
    return this.onInstance(id, "powerOn", [id], call);
  }
  powerOff(id: string, mode: PowerMode, call: DriverCall): Promise<void> {
    return this.onInstance(id, "powerOff", [id, mode], call);
  }
  reboot(id: string, mode: PowerMode, call: DriverCall): Promise<void> {
    return this.onInstance(id, "reboot", [id, mode], call);
  }
  async status(id: string, call: DriverCall): Promise<MachineStatus> {
    // A machine that was never placed does not exist anywhere.
    if (!(await this.hostOfInstance(id))) return { power: "absent", bootCount: 0 };
    return this.onInstance(id, "status", [id], call);
  }
  async settle(id: string, call: DriverCall): Promise<MachineStatus> {
    if (!(await this.hostOfInstance(id))) return { power: "absent", bootCount: 0 };
    return this.onInstance(id, "settle", [id], call);
  }
  snapshot(id: string, imageId: string, call: DriverCall): Promise<void> {
    return this.onInstance(id, "snapshot", [id, imageId], call);
  }
  async buildImage(imageId: string, call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void> {
    const { hostId, instanceId } = await this.hostOfImage(imageId);
    await this.run(hostId, "buildImage", [imageId], call, instanceId, onProgress as ((p: unknown) => Promise<void>) | undefined);
  }
  async imageProgress(imageId: string, call: DriverCall): Promise<ImageProgress> {
    const { hostId } = await this.hostOfImage(imageId);
    return this.run(hostId, "imageProgress", [imageId], { signal: call.signal }, null);
  }
  async deleteImage(imageId: string, call: DriverCall): Promise<void> {
    const row = await this.db.selectFrom("images").select(["host_id"]).where("id", "=", imageId).executeTakeFirst();
    // An image never completed, or one no host holds, has nothing to delete.
    if (!row?.host_id) return;
    await this.run(row.host_id, "deleteImage", [imageId], call, null);
  }
  reinstall(id: string, imageId: string, call: DriverCall): Promise<void> {
    return this.onInstance(id, "reinstall", [id, imageId], call);
  }
  resize(id: string, spec: MachineSpec, call: DriverCall): Promise<void> {
    return this.onInstance(id, "resize", [id, spec], call);
  }
  resetPassword(id: string, password: string, call: DriverCall): Promise<void> {
    return this.onInstance(id, "resetPassword", [id, password], call);
  }
  async destroy(id: string, call: DriverCall): Promise<void> {
    if (!(await this.hostOfInstance(id))) return;
    return this.onInstance(id, "destroy", [id], call);
  }
  attachDisk(id: string, disk: MachineDisk, call: DriverCall): Promise<void> {
    return this.onInstance(id, "attachDisk", [id, disk], call);
  }
  detachDisk(id: string, diskId: string, call: DriverCall): Promise<void> {
    return this.onInstance(id, "detachDisk", [id, diskId], call);
  }
  async resizeDisk(diskId: string, sizeGb: number, call: DriverCall): Promise<void> {
    const hostId = await this.hostOfDisk(diskId);
    if (hostId) await this.run(hostId, "resizeDisk", [diskId, sizeGb], call, null);
  }
  async deleteDisk(diskId: string, call: DriverCall): Promise<void> {
    const hostId = await this.hostOfDisk(diskId);
    if (hostId) await this.run(hostId, "deleteDisk", [diskId], call, null);
  }
  consoleOutput(id: string, bytes: number, call: DriverCall): Promise<string> {
    return this.onInstance(id, "consoleOutput", [id, bytes], call);
  }
  metrics(id: string, seconds: number, call: DriverCall): Promise<MachineMetrics> {
    return this.onInstance(id, "metrics", [id, seconds], call);
  }
  access(id: string, call: DriverCall): Promise<MachineAccess | null> {
    return this.onInstance(id, "access", [id], call);
  }

  private async onInstance<T>(id: string, method: DriverMethod, args: unknown[], call: DriverCall): Promise<T> {
    const hostId = await this.hostOfInstance(id);
    if (!hostId) throw new DriverError(method, `instance ${id} is on no host`);
    return this.run(hostId, method, args, call, id);
  }

  private async run<T>(hostId: string, method: DriverMethod, args: unknown[], call: DriverCall, instanceId: string | null, onProgress?: (p: unknown) => Promise<void>): Promise<T> {
    if (call.signal.aborted) throw call.signal.reason;
    const id = await this.queue.enqueue({
      hostId,
      method,
      instanceId,
      operationId: call.fence?.operationId ?? null,
      epoch: call.fence?.epoch ?? 0,
      args,
    });
    const outcome = await this.queue.wait(id, call.signal, onProgress);
    if (outcome.status === "done") return outcome.value as T;
    if (outcome.status === "cancelled") throw new DriverError(method, `the command to host ${hostId} was cancelled`);
    if (outcome.kind === "stale") throw new StaleEpoch(method, outcome.message);
    throw new DriverError(method, outcome.message);
  }

  /** The host an instance was placed on. Placement never moves an instance, so this never goes stale. */
  private async hostOfInstance(id: string): Promise<string | null> {
    const row = await this.db.selectFrom("instances").select("host_id").where("id", "=", id).executeTakeFirst();
    return row?.host_id ?? null;
  }

  /** Where an image's files are, or, while it is being made, the host of the instance it is made from. */
  private async hostOfImage(imageId: string): Promise<{ hostId: string; instanceId: string | null }> {
    const row = await this.db.selectFrom("images").select(["host_id", "source_instance_id"]).where("id", "=", imageId).executeTakeFirst();
    if (row?.host_id) return { hostId: row.host_id, instanceId: row.source_instance_id };
    const source = row?.source_instance_id ? await this.hostOfInstance(row.source_instance_id) : null;
    if (!source) throw new DriverError("image", `image ${imageId} is on no host`);
    return { hostId: source, instanceId: row?.source_instance_id ?? null };
  }

  private async hostOfDisk(diskId: string): Promise<string | null> {
    const row = await this.db.selectFrom("disks").select("host_id").where("id", "=", diskId).executeTakeFirst();
    return row?.host_id ?? null;
  }
}
