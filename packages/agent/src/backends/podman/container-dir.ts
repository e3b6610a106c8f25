/**
 * A container instance's state directory, `${stateDir}/containers/<id>/` (a RecordDir):
 * machine.json (the spec, the image reference, the SSH port, every boot id seen, the boot count
 * and the action in flight), `run/`, mounted at /run/ocs in the container (its boot id), and `cloud/`, where its data disk is
 * mounted (disks.ts).
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { MachineSpec, PowerMode, PublishedPort } from "@opencompshare/protocol";
import { RecordDir } from "../common/record-dir.js";

/** A start or reboot asked for and not yet seen to complete (a restarted agent finishes it). */
export interface PendingStart {
  action: "boot" | "reboot";
  mode: PowerMode;
  /** The boot id current when it was asked: it is done once the container reports another. */
  fromBootId?: string;
  startedAt: number;
}

export interface ContainerRecord {
  id: string;
  spec: MachineSpec;
  /** The image reference the container was made from. */
  reference: string;
  /** The host port published to the container's port 23. */
  sshPort: number;
  /** The CDI devices (GPUs) the container was made with; podman cannot change them on a container. */
  devices?: string[];
  /** The spec's ports as the container publishes them (host ports at `--ssh-host`); fixed when it is made, as its devices. */
  published?: PublishedPort[];
  bootIds: string[];
  bootCount: number;
  pending?: PendingStart;
  createdAt: number;
}

export class ContainerDir extends RecordDir<ContainerRecord> {
  /** The container's name in podman. */
  get container(): string {
    return `ocs-${this.id}`;
  }
  /** Mounted at /run/ocs inside. */
  get runDir(): string {
    return join(this.dir, "run");
  }
  /** A shared mount point, bound at /cloud in the container: the data disk is mounted on it. */
  get cloudDir(): string {
    return join(this.dir, "cloud");
  }
  get bootIdFile(): string {
    return join(this.runDir, "boot-id");
  }

  record(): ContainerRecord {
    const r = this.read();
    if (!r) throw new Error(`machine ${this.id} does not exist`);
    return r;
  }

  /** The boot id the container wrote at its last start, if any. */
  currentBootId(): string | undefined {
    try {
      return readFileSync(this.bootIdFile, "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  clearBootId(): void {
    rmSync(this.bootIdFile, { force: true });
  }
}
