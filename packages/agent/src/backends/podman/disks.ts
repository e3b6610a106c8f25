/**
 * Data disks of container instances: each an ext4 file system in a sparse file of its size,
 * `${stateDir}/disks/<diskId>.ext4`, loop-mounted by the host at the machine's `cloud/` folder.
 * That folder is a shared mount point, bound into the container at /cloud (the path CompShare's
 * guide gives containers) with slave propagation, so a disk mounted while the container runs
 * appears inside at once: attach needs no restart. A container takes one data disk.
 * Detach needs the machine stopped (as the contract says); the file is kept. A disk grows
 * online: the file, the loop device's size, then resize2fs.
 *
 * Mounting needs root (CAP_SYS_ADMIN); an agent without it answers a clear error.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { MachineDisk } from "@opencompshare/protocol";
import { RecordDir } from "../common/record-dir.js";

const run = promisify(execFile);
const GB = 1024 ** 3;

/** Where the data disk appears inside a container. */
export const DISK_MOUNT = "/cloud";

/** Whether `path` is a mount point now (from /proc/self/mountinfo). */
function mounted(path: string): number {
  const escaped = path.replace(/ /g, "\\040");
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((line) => line.split(" ")[4] === escaped).length;
}

export class ContainerDisks {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "disks");
  }

  file(diskId: string): string {
    RecordDir.check(diskId);
    return join(this.dir, `${diskId}.ext4`);
  }

  exists(diskId: string): boolean {
    try {
      return existsSync(this.file(diskId));
    } catch {
      return false;
    }
  }

  /** Makes the disk's file system when it does not exist yet (a new disk is empty). */
  async ensure(disk: MachineDisk, signal: AbortSignal): Promise<void> {
    const file = this.file(disk.id);
    if (existsSync(file)) return;
    mkdirSync(this.dir, { recursive: true });
    const partial = `${file}.partial`;
    rmSync(partial, { force: true });
    // Sparse: only what the file system writes takes room.
    writeFileSync(partial, "");
    truncateSync(partial, Math.max(1, disk.sizeGb) * GB);
    await run("mkfs.ext4", ["-q", "-F", "-L", disk.id.slice(0, 16), partial], { signal });
    renameSync(partial, file);
  }

  /** The machine's `cloud/` folder as a shared mount point (its bind into the container propagates what is mounted on it). */
  async share(folder: string, signal: AbortSignal): Promise<void> {
    mkdirSync(folder, { recursive: true });
    if (mounted(folder) > 0) return;
    await run("mount", ["--bind", folder, folder], { signal });
    await run("mount", ["--make-shared", folder], { signal });
  }

  /** Mounts the disk on the machine's folder (over the shared bind), unless it is there already. */
  async mount(diskId: string, folder: string, signal: AbortSignal): Promise<void> {
    await this.share(folder, signal);
    if (mounted(folder) > 1) return;
    await this.growOffline(this.file(diskId), signal);
    await run("mount", ["-o", "loop", this.file(diskId), folder], { signal });
  }

  /** Unmounts the disk from the folder (the folder's own bind stays unless `all`). */
  async unmount(folder: string, signal: AbortSignal, all = false): Promise<void> {
    while (mounted(folder) > (all ? 0 : 1)) await run("umount", [folder], { signal });
  }

  /**
   * Grows the file, and its file system: online when it is mounted and the kernel lets the agent
   * (CAP_SYS_RESOURCE), else at its next mount. Never shrinks. Answers whether the file system
   * has its new size now.
   */
  async grow(diskId: string, sizeGb: number, signal: AbortSignal): Promise<boolean> {
    const file = this.file(diskId);
    if (!existsSync(file)) throw new Error(`disk ${diskId} does not exist`);
    if (statSync(file).size < sizeGb * GB) truncateSync(file, sizeGb * GB);
    const loop = (await run("losetup", ["-j", file], { signal })).stdout.split(":")[0]?.trim();
    if (!loop) {
      await this.growOffline(file, signal);
      return true;
    }
    try {
      await run("losetup", ["-c", loop], { signal });
      await run("resize2fs", [loop], { signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Grows an unmounted file system to its file's size, when it is smaller. */
  private async growOffline(file: string, signal: AbortSignal): Promise<void> {
    const header = (await run("dumpe2fs", ["-h", file], { signal })).stdout;
    const blocks = Number(/^Block count:\s+(\d+)/m.exec(header)?.[1] ?? 0);
    const blockSize = Number(/^Block size:\s+(\d+)/m.exec(header)?.[1] ?? 0);
    if (blocks * blockSize >= statSync(file).size) return;
    await run("e2fsck", ["-f", "-p", file], { signal });
    await run("resize2fs", [file], { signal });
  }

  /** Whether the disk is mounted anywhere (attached to a machine whose host holds it). */
  async inUse(diskId: string, signal: AbortSignal): Promise<boolean> {
    const out = (await run("losetup", ["-j", this.file(diskId)], { signal })).stdout;
    return out.trim() !== "";
  }

  delete(diskId: string): void {
    rmSync(this.file(diskId), { force: true });
  }
}
