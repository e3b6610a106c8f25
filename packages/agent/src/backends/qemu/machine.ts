/**
 * A machine's state directory, `${stateDir}/machines/<id>/`: machine.json (the spec, the SSH
 * port, every boot id the guest reported, the boot count, and the action in flight), QEMU's
 * pidfile and sockets, the serial log, and the boot disk. machine.json is written with fsync
 * and renamed into place, so what it says survives a crash of the agent or of the host.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { MachineSpec, PowerMode } from "@opencompshare/protocol";
import { writeDurably } from "../common/durable.js";

/** A boot or reboot that was asked for and has not been seen to complete yet. */
export interface PendingBoot {
  action: "boot" | "reboot";
  mode: PowerMode;
  /** How a soft reboot was asked: through the guest agent, or by ACPI power button then reset. */
  via?: "agent" | "acpi";
  /** The boot id current when it was asked (a reboot is done once the guest reports another). */
  fromBootId?: string;
  /** Serial log offset when it was asked: boot ids printed before it are not this boot. */
  logOffset: number;
  startedAt: number;
}

/** machine.json. */
export interface MachineRecord {
  id: string;
  spec: MachineSpec;
  /** Host port forwarded to the guest's port 22. */
  sshPort: number;
  /** Every boot id the guest reported, oldest first (the last is the current boot's). */
  bootIds: string[];
  bootCount: number;
  /** Serial log offset at the last QEMU start. */
  runOffset: number;
  pending?: PendingBoot;
  createdAt: number;
}

/** How many boot ids machine.json keeps. */
const KEEP_BOOT_IDS = 1000;

/** The paths and durable files of one machine's state directory. */
export class MachineDir {
  readonly dir: string;

  constructor(
    root: string,
    readonly id: string,
  ) {
    MachineDir.check(id);
    this.dir = join(root, id);
  }

  /** Throws unless `id` can name a machine folder. */
  static check(id: string): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new Error(`machine id ${JSON.stringify(id)} is not valid (letters, digits, . _ -)`);
  }

  get json(): string {
    return join(this.dir, "machine.json");
  }
  get pidfile(): string {
    return join(this.dir, "qemu.pid");
  }
  get qmpSocket(): string {
    return join(this.dir, "qmp.sock");
  }
  get qgaSocket(): string {
    return join(this.dir, "qga.sock");
  }
  get serialLog(): string {
    return join(this.dir, "serial.log");
  }
  get bootDisk(): string {
    return join(this.dir, "boot.qcow2");
  }
  /** A password waiting for the next boot (mode 0600; removed once applied). */
  get pendingPassword(): string {
    return join(this.dir, "password.pending");
  }

  exists(): boolean {
    return existsSync(this.json);
  }

  read(): MachineRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.json, "utf8")) as MachineRecord;
    } catch {
      return undefined;
    }
  }

  /** Writes machine.json durably. */
  write(record: MachineRecord): void {
    mkdirSync(this.dir, { recursive: true });
    if (record.bootIds.length > KEEP_BOOT_IDS) record.bootIds = record.bootIds.slice(-KEEP_BOOT_IDS);
    writeDurably(this.json, `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Reads, changes and writes machine.json; throws when the machine does not exist. */
  update(change: (r: MachineRecord) => void): MachineRecord {
    const r = this.read();
    if (!r) throw new Error(`machine ${this.id} does not exist`);
    change(r);
    this.write(r);
    return r;
  }

  /**
   * The pid of this machine's QEMU when it runs: the pidfile's pid is alive, not a zombie, is a
   * qemu-system binary, and its command line names this machine's QMP socket.
   */
  qemuPid(): number | undefined {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(this.pidfile, "utf8").trim(), 10);
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    return isOurQemu(pid, this.qmpSocket) ? pid : undefined;
  }

  /** Removes the pidfile and sockets a stopped QEMU left. */
  clearRuntime(): void {
    for (const f of [this.pidfile, this.qmpSocket, this.qgaSocket]) {
      try {
        unlinkSync(f);
      } catch {
        // absent
      }
    }
  }

  /** Stores a password for the next boot, readable by the agent's user only. */
  setPendingPassword(password: string): void {
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

  /** Moves the directory aside and removes it (status is `absent` from the rename on). */
  remove(): void {
    if (!existsSync(this.dir)) return;
    const trash = join(this.dir, "..", `.deleted-${this.id}-${process.pid}-${Date.now()}`);
    renameSync(this.dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }
}

/** True when `pid` is a live (not zombie) qemu-system process whose command line has `socket`. */
export function isOurQemu(pid: number, socket: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (!(cmdline[0] ?? "").includes("qemu-system")) return false;
    const escaped = socket.replace(/,/g, ",,");
    return cmdline.some((arg) => arg.includes(socket) || arg.includes(escaped));
  } catch {
    return false;
  }
}

/** True while a process exists (zombies count as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The machine ids under `root` (folders with a machine.json). */
export function listMachines(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => !name.startsWith(".") && existsSync(join(root, name, "machine.json")))
    .sort();
}

/** Removes leftovers of interrupted removals (`.deleted-*`) under `root`. */
export function sweepDeleted(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    if (name.startsWith(".deleted-")) rmSync(join(root, name), { recursive: true, force: true });
  }
}
