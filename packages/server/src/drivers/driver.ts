/**
 * The driver interface: what the control plane asks of a hypervisor. The simulated driver is
 * its executable specification, and `test/conformance/driver-suite.ts` is the suite every driver
 * must pass.
 *
 * Every method takes a DriverCall. When its signal fires, the method rejects promptly, and the
 * machine may still finish the action on its own (as real hardware does). Every method is safe
 * to call again after a crash: calling it while the same action is in flight joins that action
 * instead of starting a second one. Calls made by an operation carry its fence (the operation and
 * the instance epoch it acts under); a driver that reaches real hosts hands it down, and a host
 * refuses a call from an older epoch than one it has seen, so a stale runner can never act twice.
 */
import type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode } from "@opencompshare/protocol";

export type { ImageProgress, MachineAccess, MachineDisk, MachineMetrics, MachineSpec, MachineStatus, PowerMode, PowerState } from "@opencompshare/protocol";

/** The operation a call belongs to, and the instance epoch it acts under. */
export interface Fence {
  operationId: string;
  epoch: number;
}

export interface DriverCall {
  signal: AbortSignal;
  /** Present on calls made by an operation; absent on reads made outside one. */
  fence?: Fence;
}

export class DriverError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`driver ${method}: ${message}`);
  }
}

/** A host refused the call: its epoch is older than one the host has seen (a stale runner). */
export class StaleEpoch extends DriverError {
  constructor(method: string, message: string) {
    super(method, message);
  }
}

export interface Driver {
  readonly name: string;
  /** Postcondition: the machine exists with `spec`, powered off. Idempotent. */
  provision(id: string, spec: MachineSpec, call: DriverCall): Promise<void>;
  /** Postcondition: the machine is running and booted (a new boot id). A no-op when already running. */
  powerOn(id: string, call: DriverCall): Promise<void>;
  /** Postcondition: the machine is stopped. `soft` asks the guest; `hard` cuts power at once. */
  powerOff(id: string, mode: PowerMode, call: DriverCall): Promise<void>;
  /** Postcondition: the machine has booted again since the call (bootCount grew, a new boot id) and runs. */
  reboot(id: string, mode: PowerMode, call: DriverCall): Promise<void>;
  /** The power state now. Never changes anything, except completing an action whose time is up. */
  status(id: string, call: DriverCall): Promise<MachineStatus>;
  /** Waits for any action in flight to end, then returns the status. */
  settle(id: string, call: DriverCall): Promise<MachineStatus>;
  /** Postcondition: a point-in-time copy of the disks exists for `imageId`; the machine may go on. */
  snapshot(id: string, imageId: string, call: DriverCall): Promise<void>;
  /** Postcondition: the image is complete and bootable. `onProgress` gets 0–100. */
  buildImage(imageId: string, call: DriverCall, onProgress?: (p: ImageProgress) => Promise<void>): Promise<void>;
  /** How far the build of `imageId` has come. */
  imageProgress(imageId: string, call: DriverCall): Promise<ImageProgress>;
  /** Postcondition: the image is gone. Idempotent. */
  deleteImage(imageId: string, call: DriverCall): Promise<void>;
  /** Postcondition: the boot disk holds a fresh copy of `imageId`; the machine is stopped. */
  reinstall(id: string, imageId: string, call: DriverCall): Promise<void>;
  /** Postcondition: the machine has `spec` from its next boot; it is stopped. */
  resize(id: string, spec: MachineSpec, call: DriverCall): Promise<void>;
  /** Postcondition: the guest's login password is `password` (plain text, never logged). */
  resetPassword(id: string, password: string, call: DriverCall): Promise<void>;
  /** Postcondition: the machine no longer exists (status `absent`). Idempotent. */
  destroy(id: string, call: DriverCall): Promise<void>;
  /** Postcondition: the data disk exists and is attached to the machine (hot-plugged when it runs). Idempotent. */
  attachDisk(id: string, disk: MachineDisk, call: DriverCall): Promise<void>;
  /** Postcondition: the data disk is no longer attached; it is kept. Needs a stopped machine. Idempotent. */
  detachDisk(id: string, diskId: string, call: DriverCall): Promise<void>;
  /** Postcondition: the data disk has `sizeGb` (never smaller). */
  resizeDisk(diskId: string, sizeGb: number, call: DriverCall): Promise<void>;
  /** Postcondition: the data disk is gone. Idempotent. */
  deleteDisk(diskId: string, call: DriverCall): Promise<void>;
  /** The tail of the machine's serial console, at most `bytes`. Read-only. */
  consoleOutput(id: string, bytes: number, call: DriverCall): Promise<string>;
  /** CPU, memory and GPU usage over the last `seconds`, as percentages. Read-only. */
  metrics(id: string, seconds: number, call: DriverCall): Promise<MachineMetrics>;
  /** Where the machine's SSH server is reachable, or null when it has none yet. Read-only. */
  access(id: string, call: DriverCall): Promise<MachineAccess | null>;
}
