/**
 * Data disks: one qcow2 file per disk in `disksDir` (`<diskId>.qcow2`), listed in the spec of the
 * machine it is attached to. Attaching to a running machine hot-plugs it (blockdev-add, then
 * device_add on a free root port); detaching needs the machine stopped; a disk grows (QMP
 * `block_resize` while its machine runs, else qemu-img) and is never shrunk; a disk still
 * attached is not deleted.
 */
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { MachineDisk } from "@opencompshare/protocol";
import { HOTPLUG_PORTS, diskDeviceId, diskNodeName, diskSerial, rootPortId } from "./command-line.js";
import { listRecords as listMachines } from "../common/record-dir.js";
import { QmpError } from "./qmp.js";
import type { BackendContext, MachineRuntime } from "./runtime.js";

const DISK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const GB = 1024 ** 3;

/** The data disks of a host, and their operations on the machines that hold them. */
export class DataDisks {
  constructor(
    private readonly ctx: BackendContext,
    private readonly machinesRoot: string,
    private readonly runtime: (id: string) => MachineRuntime,
  ) {}

  /** The file of a data disk; throws when the id cannot name one. */
  diskPath(diskId: string): string {
    if (!DISK_ID.test(diskId)) throw new Error(`disk id ${JSON.stringify(diskId)} is not valid (letters, digits, . _ -)`);
    return join(this.ctx.disksDir, `${diskId}.qcow2`);
  }

  /** Creates the disk's file unless it is there (written as `.new`, then renamed into place). */
  async ensureDiskFile(disk: MachineDisk, signal: AbortSignal): Promise<string> {
    const path = this.diskPath(disk.id);
    if (!existsSync(path)) {
      const tmp = `${path}.new`;
      rmSync(tmp, { force: true });
      await this.ctx.qemuImg.createDisk(tmp, disk.sizeGb, signal);
      renameSync(tmp, path);
    }
    return path;
  }

  /** The machines whose spec lists the data disk. */
  private holders(diskId: string): string[] {
    return listMachines(this.machinesRoot).filter((m) => this.runtime(m).dir.read()?.spec.dataDisks?.some((d) => d.id === diskId));
  }

  /** The work of QemuBackend.attachDisk, once the machine is known to exist. */
  async attachDisk(rt: MachineRuntime, disk: MachineDisk, signal: AbortSignal): Promise<void> {
    const id = rt.id;
    const path = this.diskPath(disk.id);
    await rt.queue.run(
      {
        key: `disk:${disk.id}`,
        work: async (s) => {
          const others = this.holders(disk.id).filter((m) => m !== id);
          if (others.length > 0) throw new Error(`disk ${disk.id} is attached to machine ${others.join(", ")}`);
          await this.ensureDiskFile(disk, s);
          if (!rt.record().spec.dataDisks?.some((d) => d.id === disk.id)) {
            rt.dir.update((r) => {
              r.spec = { ...r.spec, dataDisks: [...(r.spec.dataDisks ?? []), { id: disk.id, sizeGb: disk.sizeGb }] };
            });
          }
          if (rt.pid()) await this.hotplug(rt, disk.id, path, s);
          this.ctx.log.info({ machine: id, disk: disk.id, live: Boolean(rt.pid()) }, "data disk attached");
        },
      },
      signal,
    );
  }

  /** Plugs a data disk into a running machine: blockdev-add, then device_add on a free root port. Observes first. */
  private async hotplug(rt: MachineRuntime, diskId: string, path: string, signal: AbortSignal): Promise<void> {
    const qmp = await rt.qmp(signal);
    const node = diskNodeName(diskId);
    const dev = diskDeviceId(diskId);
    const nodes = await qmp.execute<Array<{ "node-name": string }>>("query-named-block-nodes", { flat: true }, { signal });
    if (!nodes.some((n) => n["node-name"] === node)) {
      await qmp.execute("blockdev-add", { driver: "qcow2", "node-name": node, file: { driver: "file", filename: path } }, { signal });
    }
    const peripherals = await qmp.execute<Array<{ name: string }>>("qom-list", { path: "/machine/peripheral" }, { signal });
    if (peripherals.some((p) => p.name === dev)) return;
    const errors: string[] = [];
    for (let i = 0; i < 64; i++) {
      try {
        await qmp.execute("device_add", { driver: "virtio-blk-pci", id: dev, drive: node, bus: rootPortId(i), serial: diskSerial(diskId) }, { signal });
        return;
      } catch (error) {
        if (!(error instanceof QmpError)) throw error;
        errors.push(`${rootPortId(i)}: ${error.desc}`);
        if (/not found/i.test(error.desc)) break;
      }
    }
    throw new Error(`no free hot-plug slot for disk ${diskId} (the machine has ${HOTPLUG_PORTS} spare; power it off and on to attach more): ${errors.join("; ")}`);
  }

  /** The work of QemuBackend.detachDisk, once the machine is known to exist. */
  async detachDisk(rt: MachineRuntime, diskId: string, signal: AbortSignal): Promise<void> {
    const id = rt.id;
    if (rt.pid()) throw new Error(`machine ${id} is running: detaching a data disk needs it stopped`);
    await rt.queue.run(
      {
        key: `disk:${diskId}`,
        work: async () => {
          if (rt.pid()) throw new Error(`machine ${id} is running: detaching a data disk needs it stopped`);
          rt.dir.update((r) => {
            r.spec = { ...r.spec, dataDisks: (r.spec.dataDisks ?? []).filter((d) => d.id !== diskId) };
          });
          this.ctx.log.info({ machine: id, disk: diskId }, "data disk detached");
        },
      },
      signal,
    );
  }

  /** The work of QemuBackend.resizeDisk, once recovery is done. */
  async resizeDisk(diskId: string, sizeGb: number, signal: AbortSignal): Promise<void> {
    const path = this.diskPath(diskId);
    if (!existsSync(path)) throw new Error(`disk ${diskId} does not exist`);
    const live = this.holders(diskId)
      .map((m) => this.runtime(m))
      .find((rt) => rt.pid());
    if (live) {
      const info = await this.ctx.qemuImg.info(path, signal);
      if (sizeGb * GB < info.virtualSize) throw new Error(`disk ${diskId} is ${info.virtualSize / GB} GB: disks are never shrunk`);
      await (await live.qmp(signal)).execute("block_resize", { "node-name": diskNodeName(diskId), size: Math.round(sizeGb * GB) }, { signal });
    } else {
      await this.ctx.qemuImg.grow(path, sizeGb, signal);
    }
    for (const m of this.holders(diskId)) {
      this.runtime(m).dir.update((r) => {
        r.spec = { ...r.spec, dataDisks: (r.spec.dataDisks ?? []).map((d) => (d.id === diskId ? { ...d, sizeGb } : d)) };
      });
    }
  }

  /** The work of QemuBackend.deleteDisk, once recovery is done. */
  deleteDisk(diskId: string): void {
    const path = this.diskPath(diskId);
    const holders = this.holders(diskId);
    if (holders.length > 0) throw new Error(`disk ${diskId} is attached to machine ${holders.join(", ")}: detach it first`);
    rmSync(path, { force: true });
  }
}
