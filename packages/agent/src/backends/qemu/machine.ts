/**
 * A QEMU machine's state directory, `${stateDir}/machines/<id>/` (a RecordDir): machine.json (the
 * spec, the SSH port, every boot id the guest reported, the boot count, and the action in
 * flight), QEMU's pidfile and sockets, the serial log, and the boot disk.
 */
import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { MachineSpec, PowerMode } from "@opencompshare/protocol";
import { RecordDir } from "../common/record-dir.js";

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

/** The paths and durable files of one machine's state directory. */
export class MachineDir extends RecordDir<MachineRecord> {
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
