/**
 * A container instance's state directory, `${stateDir}/containers/<id>/`: machine.json (the spec,
 * the image reference, the SSH port, every boot id seen, the boot count and the action in flight),
 * `run/` (mounted at /run/ocs in the container: its boot id), and a password waiting for the next
 * start. machine.json is written durably and last at provision: a folder without it is a provision
 * that did not finish.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { MachineSpec, PowerMode } from "@opencompshare/protocol";
import { writeDurably } from "../common/durable.js";

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
  bootIds: string[];
  bootCount: number;
  pending?: PendingStart;
  createdAt: number;
}

const KEEP_BOOT_IDS = 1000;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class ContainerDir {
  readonly dir: string;

  constructor(
    root: string,
    readonly id: string,
  ) {
    ContainerDir.check(id);
    this.dir = join(root, id);
  }

  static check(id: string): void {
    if (!ID.test(id)) throw new Error(`machine id ${JSON.stringify(id)} is not valid (letters, digits, . _ -)`);
  }

  /** The container's name in podman. */
  get container(): string {
    return `ocs-${this.id}`;
  }
  get json(): string {
    return join(this.dir, "machine.json");
  }
  /** Mounted at /run/ocs inside. */
  get runDir(): string {
    return join(this.dir, "run");
  }
  get bootIdFile(): string {
    return join(this.runDir, "boot-id");
  }
  get pendingPassword(): string {
    return join(this.dir, "password.pending");
  }

  exists(): boolean {
    return existsSync(this.json);
  }

  read(): ContainerRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.json, "utf8")) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  record(): ContainerRecord {
    const r = this.read();
    if (!r) throw new Error(`machine ${this.id} does not exist`);
    return r;
  }

  write(record: ContainerRecord): void {
    mkdirSync(this.dir, { recursive: true });
    if (record.bootIds.length > KEEP_BOOT_IDS) record.bootIds = record.bootIds.slice(-KEEP_BOOT_IDS);
    writeDurably(this.json, `${JSON.stringify(record, null, 2)}\n`);
  }

  update(change: (r: ContainerRecord) => void): ContainerRecord {
    const r = this.record();
    change(r);
    this.write(r);
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

  setPendingPassword(password: string): void {
    mkdirSync(this.dir, { recursive: true });
    writeDurably(this.pendingPassword, password, 0o600);
  }

  takePendingPassword(): string | undefined {
    try {
      return readFileSync(this.pendingPassword, "utf8");
    } catch {
      return undefined;
    }
  }

  clearPendingPassword(): void {
    rmSync(this.pendingPassword, { force: true });
  }

  /** Moves the directory aside and removes it. */
  remove(): void {
    if (!existsSync(this.dir)) return;
    const trash = join(this.dir, "..", `.deleted-${this.id}-${process.pid}-${Date.now()}`);
    renameSync(this.dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}

/** The machine ids under `root` (folders with a machine.json). */
export function listContainers(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !name.startsWith(".") && existsSync(join(root, name, "machine.json")))
    .sort();
}
